"""Signals: SIGTERM unwinds like Ctrl-C (so half-written files are removed) and is remembered, so the
command can exit 143 instead of 130; `deferred()` holds both signals back for the few steps that must not
be cut in half (spawning a worker, removing a half-written folder); and `check()` raises again, before
written work is made final, an interrupt that some C code cleared."""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
import threading
from types import FrameType
from typing import Iterator

from actinit_cli.errors import INTERRUPTED, TERMINATED

_raised: list[int] = []  # each signal whose handler here raised (or re-sent) KeyboardInterrupt since `install`
_decided: list[int] = []  # the exit code, once `hold` has it: the handler then only takes note
_STOP = {signal.SIGINT, signal.SIGTERM}
_BLOCK = {signal.SIGINT}  # what children started inside deferred() inherit blocked: a terminal's Ctrl-C;
# SIGTERM stays deliverable, so a child stopped while it starts simply ends (its default action)


RESEND_AFTER = 0.005  # seconds: a signal that arrived where its exception would be lost comes again this late


def interrupt(signum: int, frame: FrameType | None) -> None:
    """Ctrl-C and SIGTERM: Python's own KeyboardInterrupt, noted (`check`, `terminated`), unless it would be
    raised where Python only prints it (`swallowed`): then the signal comes again a moment later, and is noted
    now, so that work finished within that moment is not made final (`check`)."""
    _raised.append(signum)
    if _decided:  # the exit code stands (hold): noted, nothing raised
        return
    if swallowed(frame):
        resend(signum)
        return
    raise KeyboardInterrupt


def check() -> None:
    """Raise KeyboardInterrupt again if a handler here raised one and the program went on all the same: C code
    cleared it without a trace. Call it before a step that makes written work final. Seen at the floors:
    numpy 1.24's lstsq (under polyfit) compares its rcond, a float64, with "warn"; numpy packs "warn" into an
    array through PyObject_Str, which runs a pending signal's handler, and then clears the failure and answers
    NotImplemented (its _failed_comparison_workaround), so the comparison is False and the Ctrl-C is gone.
    A program that catches KeyboardInterrupt and then writes on must not call this (none does)."""
    if _raised:
        raise KeyboardInterrupt


def interrupted() -> bool:
    """Whether a Ctrl-C or SIGTERM raised KeyboardInterrupt in this process (even one that C code cleared)."""
    return bool(_raised)


def swallowed(frame: FrameType | None) -> bool:
    """Whether an exception raised at `frame` would be printed as "Exception ignored in" and dropped: inside a
    weakref callback of the import system (its module locks' `cb`, run whenever a lock is collected, e.g. while
    another thread imports) or of the weakref module's containers (WeakKeyDictionary's and WeakValueDictionary's
    `remove`, WeakSet's `_remove`, run when a key or value is collected), a __del__, or a garbage-collection
    callback (gc.callbacks: Dask registers one). Seen in the fault tests, a review and a fuzz run: a Ctrl-C during
    imports, writing, a Dask sweep's start or a sweep's end was lost or printed with a traceback."""
    collecting = {getattr(cb, "__code__", None) for cb in gc.callbacks}
    while frame is not None:
        code = frame.f_code
        if code.co_name == "__del__" or code in collecting or any(
                code.co_name == name and where in code.co_filename for name, where in DROPPING):
            return True
        frame = frame.f_back
    return False


# (function, where its file name says it is): weakref callbacks, where Python drops exceptions: the standard library's
# and matplotlib's (a transform's parent collected)
DROPPING = (("cb", "importlib"), ("remove", f"{os.sep}weakref.py"), ("_remove", f"{os.sep}_weakrefset.py"),
            ("__call__", f"{os.sep}weakref.py"), ("__call__", f"multiprocessing{os.sep}util.py"),  # finalize, Finalize
            ("<lambda>", f"matplotlib{os.sep}transforms.py"))  # seen during a sweep's heatmaps


def resend(signum: int) -> None:
    """Deliver the signal to this process again in a moment, when the main thread has left that frame."""
    timer = threading.Timer(RESEND_AFTER, os.kill, (os.getpid(), signum))
    timer.daemon = True
    timer.start()


def install() -> None:
    """SIGTERM raises KeyboardInterrupt where Python is, and Ctrl-C does as Python's own handler does, both
    never where the exception would be dropped (`swallowed`); call it first thing. An ignored SIGINT (nohup,
    a background job) stays ignored. A fresh start: an interrupt of an earlier command in this process (the
    CLI called in-process) does not carry over."""
    _raised.clear()
    _decided.clear()
    signal.signal(signal.SIGTERM, interrupt)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, interrupt)


def terminated() -> bool:
    """Whether the unwind in progress was started by SIGTERM."""
    return signal.SIGTERM in _raised


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
    # an ignored signal stays ignored (a sweep worker's SIGINT): given a handler for the block, it could arrive
    # between the restoring call's check for pending signals and its change back to SIG_IGN, and Python would
    # print "Signal 2 ignored due to race condition" with a traceback at the next call (seen once in CI)
    old = {s: signal.signal(s, lambda signum, frame: came.append(signum)) for s in _STOP
           if signal.getsignal(s) is not signal.SIG_IGN}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _BLOCK)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)  # what was blocked is noted now
        for s, handler in old.items():
            signal.signal(s, handler)
        if came and callable(old[came[0]]):  # raises KeyboardInterrupt (and notes a SIGTERM); given this frame, as a
            old[came[0]](came[0], sys._getframe())  # handler that asks where it was (a sweep worker's) must be


def hold(code: int) -> None:
    """The command is over and its exit `code` decided: from now on the handler here only takes note (nothing
    raised, so a pending signal run by the calls below cannot escape as a traceback), and then SIGINT and SIGTERM
    are ignored, so one that arrives while Python shuts down cannot kill the process with no message either (a
    fuzz run: 5 of 41 signals at the very end of `actinit train` or `sweep` ended with -15 or -2). Python puts
    the default action back for a signal it handled, not for an ignored one; blocking them would not do, as the
    kernel hands a process-directed signal to any thread that does not block it (OpenBLAS's). Console script
    only (entry.main): shutdown then cannot be interrupted, and commands close their pools before they return."""
    _decided.append(code)
    for s in _STOP:
        if signal.getsignal(s) is interrupt:
            signal.signal(s, signal.SIG_IGN)


def unblock() -> None:
    """In a process started inside `deferred()`: let SIGINT in again (after setting its handler)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _BLOCK)


def forget_unhandled() -> None:
    """Clear CPython's note that a Ctrl-C went unhandled. A KeyboardInterrupt raised inside exec() of a string (a
    dataclass's generated methods or a namedtuple's, built while a library imports) sets it even when caught, and
    `python -m actinit_cli` then ends by SIGINT (-2) instead of with its exit code: 4 of 8 Ctrl-Cs 0.3 s into a Dask
    sweep. An exec() of a string that completes clears it (CPython 3.11, pythonrun.c run_eval_code_obj)."""
    exec("pass")
