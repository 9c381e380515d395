"""stdout closed by its reader (`actinit check SPEC | head -3`): the output stops there, and the command still runs
to its end and exits with its own code (0, or 1 when a check failed). Left alone, click and rich exit 1 at the
first write that fails, which this tool's exit codes reserve for a failed check, and could cut a run short."""

from __future__ import annotations

import os
from typing import Any, TextIO


def guarded(stream: TextIO | None) -> TextIO | Pacified:
    """What the command line writes to: `stream` pacified, once; the null device when there is no stdout at all
    (`actinit check SPEC >&-`, a daemon), so that the command still runs and exits with its own code."""
    if stream is None:
        return open(os.devnull, "w")
    return stream if isinstance(stream, Pacified) else Pacified(stream)


class Pacified:
    """A text stream whose writes, once its reader has gone, go to the null device instead of raising."""

    def __init__(self, stream: TextIO):
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._to_null()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._to_null()

    def _to_null(self) -> None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, self._stream.fileno())  # what is still buffered goes there too
        os.close(devnull)

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding, ...: the stream's own
        return getattr(self._stream, name)
