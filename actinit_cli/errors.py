"""The one domain exception: core code raises it, only `cli.py` turns it into a message and an exit code."""


class ActinitError(Exception):
    """A user mistake or an impossible request, stated in one line that names the field and the way out.

    The CLI prints ``error: <message>`` to stderr and exits with code 2 (bad usage or bad input).
    """

    exit_code = 2


class Interrupted(ActinitError):
    """Ctrl-C (or SIGTERM) during long work that keeps what it finished (a sweep): exit 130 (143) with what
    to do next."""

    def __init__(self, message: str, exit_code: int = 130):
        super().__init__(message)
        self.exit_code = exit_code
