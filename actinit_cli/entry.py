"""The `actinit` console script. It imports the command line itself, so that Ctrl-C (or SIGTERM) even
while Python loads the libraries is one line and exit 130 (143) instead of a traceback."""

from __future__ import annotations

import sys


def main() -> None:
    from actinit_cli import signals

    signals.install()  # SIGTERM during the imports below unwinds too (exit 143, one line)
    try:
        from actinit_cli.cli import main as run

        code = run()
    except KeyboardInterrupt:  # before the command line took over (imports), or a command's last instants
        sys.stderr.write(f"error: {signals.reason()}; nothing was left half-written\n")
        code = signals.exit_code()
    except SystemExit as exc:  # an error, its one line written (app.fail)
        code = exc.code
    signals.hold(code)  # the exit code is decided: a signal from here on changes nothing
    signals.forget_unhandled()  # so that `python -m actinit_cli` exits with it too
    sys.exit(code)
