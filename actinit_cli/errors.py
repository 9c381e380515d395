"""The one domain exception: core code raises it, only `cli.py` turns it into a message and an exit code.
EXIT_CODES is the one table of exit codes: `actinit --help` and the README's table are made from it."""

from __future__ import annotations

from typing import NamedTuple


class ExitCode(NamedTuple):
    code: int
    short: str  # in `actinit --help`
    meaning: str  # in the README's "Exit codes" table


OK, CHECK_FAILED, BAD_INPUT, BUG, INTERRUPTED, TERMINATED = 0, 1, 2, 70, 130, 143  # 143 = 128 + SIGTERM
EXIT_CODES = (
    ExitCode(OK, "success", "success; also a sweep that finished with failed points (listed as `failed: ...`, "
             "status `failed` in points.csv; `--resume` redoes them)"),
    ExitCode(CHECK_FAILED, "a check failed", "failure (a check failed)"),
    ExitCode(BAD_INPUT, "bad usage or bad input", "bad usage or bad input: one line on stderr that names the field and "
             "what to do"),
    ExitCode(BUG, "a bug in actinit", "a bug in actinit: one line naming the exception; `ACTINIT_DEBUG=1` shows the "
             "traceback (please report it)"),
    ExitCode(INTERRUPTED, "interrupted (Ctrl-C)", "interrupted (Ctrl-C): nothing half-written is left"),
    ExitCode(TERMINATED, "terminated (SIGTERM)", "terminated (SIGTERM, what `kill`, CI cancellation and container stops "
             "send): handled like Ctrl-C"),
)


def exit_codes_help() -> str:
    """The exit codes in one sentence, for `actinit --help`."""
    return "Exit codes: " + ", ".join(f"{e.code} {e.short}" for e in EXIT_CODES) + "."


def exit_codes_markdown() -> str:
    """The README's exit-code table (a test keeps the README equal to it)."""
    return "\n".join(["| code | meaning |", "|---|---|", *(f"| {e.code} | {e.meaning} |" for e in EXIT_CODES)])


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
