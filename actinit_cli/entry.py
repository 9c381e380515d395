"""The `actinit` console script. It imports the command line itself, so that Ctrl-C even while Python
loads the libraries is one line and exit 130 instead of a traceback."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from actinit_cli.cli import main as run

        run()
    except KeyboardInterrupt:  # before the command line took over (imports)
        sys.stderr.write("error: interrupted; nothing was left half-written\n")
        sys.exit(130)
