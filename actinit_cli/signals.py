"""Signals: SIGTERM unwinds like Ctrl-C (so half-written files are removed) and is remembered, so the
command can exit 143 instead of 130; and `deferred()` holds both signals back for the few steps that
must not be cut in half (spawning a worker, removing a half-written folder)."""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Iterator

INTERRUPTED, TERMINATED = 130, 128 + signal.SIGTERM
_received: list[int] = []
_STOP = {signal.SIGINT, signal.SIGTERM}
_BLOCK = {signal.SIGINT}  # what children started inside deferred() inherit blocked: a terminal's Ctrl-C;
# SIGTERM stays deliverable, so a child stopped while it starts simply ends (its default action)


def _terminate(signum: int, frame: object) -> None:
    _received.append(signum)
    raise KeyboardInterrupt


def install() -> None:
    """SIGTERM raises KeyboardInterrupt where Python is (Ctrl-C already does); call it first thing."""
    signal.signal(signal.SIGTERM, _terminate)


def terminated() -> bool:
    """Whether the unwind in progress was started by SIGTERM."""
    return signal.SIGTERM in _received


def exit_code() -> int:
    return TERMINATED if terminated() else INTERRUPTED


def reason() -> str:
    return "terminated (SIGTERM)" if terminated() else "interrupted"


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back until the end of the block, then act on the first that came: their
    Python handlers only take note meanwhile (the kernel may hand a process-directed signal to any thread,
    and Python acts on it in the main thread whatever the thread's mask). The main thread also blocks
    SIGINT, so child processes started inside inherit it blocked and lift it once they ignore it. Main
    thread only (elsewhere it does nothing)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    came: list[int] = []
    old = {s: signal.signal(s, lambda signum, frame: came.append(signum)) for s in _STOP}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _BLOCK)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)  # what was blocked is noted now
        for s, handler in old.items():
            signal.signal(s, handler)
        if came and callable(old[came[0]]):
            old[came[0]](came[0], None)  # raises KeyboardInterrupt (and notes a SIGTERM)


def unblock() -> None:
    """In a process started inside `deferred()`: let SIGINT in again (after setting its handler)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _BLOCK)
