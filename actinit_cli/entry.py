"""The `actinit` console script. It imports the command line itself, so that Ctrl-C (or SIGTERM) even
while Python loads the libraries is one line and exit 130 (143) instead of a traceback."""

from __future__ import annotations

import sys


def main() -> None:
    from actinit_cli import signals

    signals.install()  # SIGTERM during the imports below unwinds too (exit 143, one line)
    try:
        from actinit_cli.cli import main as run

        run()
    except KeyboardInterrupt:  # before the command line took over (imports)
        sys.stderr.write(f"error: {signals.reason()}; nothing was left half-written\n")
        sys.exit(signals.exit_code())
    finally:  # the exit code is decided (the command's sys.exit is on its way out): a signal from here on is ignored
        signals.hold()
