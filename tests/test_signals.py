"""actinit_cli/signals.py: a Ctrl-C that arrives inside a weakref callback or a __del__, where Python would
print the KeyboardInterrupt as "Exception ignored" and drop it, is delivered again once the main thread has
left that frame (the fault tests lost such a Ctrl-C during imports and writing, a few times in a hundred)."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from actinit_cli import signals
from tests.cases import REPO


def frame_in(name: str, filename: str):
    namespace: dict = {}
    exec(compile(f"def {name}():\n    import sys\n    return sys._getframe()\n", filename, "exec"), namespace)
    return namespace[name]()


@pytest.mark.parametrize("name, filename, swallowed", [
    ("cb", "<frozen importlib._bootstrap>", True),  # an import lock's weakref callback
    ("remove", "/usr/lib/python3.11/weakref.py", True),  # WeakKeyDictionary's and WeakValueDictionary's
    ("_remove", "/usr/lib/python3.11/_weakrefset.py", True),  # WeakSet's
    ("remove", "/home/me/myweakref.py", False),
    ("__call__", "/usr/lib/python3.11/weakref.py", True),  # weakref.finalize
    ("__call__", "/usr/lib/python3.11/multiprocessing/util.py", True),  # multiprocessing's Finalize (pool teardown)
    ("__del__", "anything.py", True),
    ("cb", "mine.py", False),
    ("work", "<frozen importlib._bootstrap>", False),
])
def test_frames_where_an_exception_would_be_dropped(name, filename, swallowed):
    assert signals.swallowed(frame_in(name, filename)) is swallowed


@pytest.mark.parametrize("container", ["WeakKeyDictionary", "WeakValueDictionary", "WeakSet"])
def test_the_weakref_containers_callbacks_are_such_frames(container):
    """The callback this Python's own container runs when an entry is collected (a fuzz run's late Ctrl-C of a
    sweep printed "Exception ignored in: <function WeakKeyDictionary.__init__.<locals>.remove>")."""
    import weakref

    code = getattr(weakref, container)()._remove.__code__
    assert signals.swallowed(frame_in(code.co_name, code.co_filename))


def test_matplotlibs_transform_callback_is_such_a_frame():
    """The weakref callback matplotlib gives a transform's parent (TransformNode.set_children's lambda): a review's
    Ctrl-C during a sweep's heatmaps printed "Exception ignored ... KeyboardInterrupt" there, and once the drawing
    went on with a broken transform (exit 70, "Invalid affine transformation matrix")."""
    from matplotlib import transforms

    namespace: dict = {}
    exec(compile("f = lambda: __import__('sys')._getframe()", transforms.__file__, "exec"), namespace)
    assert signals.swallowed(namespace["f"]())
    exec(compile("f = lambda: __import__('sys')._getframe()", "mine.py", "exec"), namespace)
    assert not signals.swallowed(namespace["f"]())


def test_a_garbage_collection_callback_is_such_a_frame():
    """Python prints and drops an exception raised in a gc callback (Dask's distributed/gc.py has one)."""
    frames = []

    def callback(phase, info):
        frames.append(sys._getframe())

    gc.callbacks.append(callback)
    try:
        gc.collect()
        assert frames and signals.swallowed(frames[0])
    finally:
        gc.callbacks.remove(callback)
    callback("start", {})  # once it is no longer registered, its frames are ordinary ones
    assert not signals.swallowed(frames[-1])
    assert signals.swallowed(None) is False


CHILD = textwrap.dedent("""
    import os, signal, sys, time, weakref
    from actinit_cli import signals
    signals.install()

    class Thing:
        pass

    def callback(ref):  # runs inside a weakref callback: Python drops any exception raised here
        os.kill(os.getpid(), signal.SIGINT)
        end = time.monotonic() + 0.05
        while time.monotonic() < end:
            pass

    callback.__code__ = callback.__code__.replace(co_name="cb", co_filename="<frozen importlib._bootstrap>")
    thing = Thing()
    ref = weakref.ref(thing, callback)
    try:
        del thing  # the callback runs, the Ctrl-C arrives inside it
        end = time.monotonic() + 2
        while time.monotonic() < end:
            pass
        print("lost")
    except KeyboardInterrupt:
        print("interrupted")
""")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_ctrl_c_inside_a_weakref_callback_arrives_afterwards():
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=30,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert out.stdout.strip() == "interrupted", (out.stdout, out.stderr)
    assert "Exception ignored" not in out.stderr


@pytest.mark.parametrize("raised, interrupted", [([], False), ([signal.SIGINT], True), ([signal.SIGTERM], True)])
def test_check_raises_again_once_a_handler_raised(monkeypatch, raised, interrupted):
    monkeypatch.setattr(signals, "_raised", list(raised))
    assert signals.interrupted() is interrupted
    if interrupted:
        with pytest.raises(KeyboardInterrupt):
            signals.check()
    else:
        signals.check()


@pytest.mark.parametrize("before, replaced", [(signal.SIG_IGN, False), (signal.default_int_handler, True)],
                         ids=["ignored (a sweep worker)", "handled"])
def test_deferred_leaves_an_ignored_sigint_ignored(before, replaced):
    """An ignored SIGINT gets no handler inside deferred(): one that arrived while it was restored to SIG_IGN would
    make Python print a traceback ("Signal 2 ignored due to race condition") at the next signal.signal call."""
    saved = signal.signal(signal.SIGINT, before)
    try:
        with signals.deferred():
            inside = signal.getsignal(signal.SIGINT)
        assert (inside is not before) == replaced
        assert signal.getsignal(signal.SIGINT) is before
    finally:
        signal.signal(signal.SIGINT, saved)


def test_install_starts_afresh(monkeypatch):
    """An interrupt of an earlier command (the CLI called twice in one process) does not stop the next one."""
    monkeypatch.setattr(signals, "_raised", [signal.SIGINT])
    monkeypatch.setattr(signal, "signal", lambda *args: None)  # leave pytest's own handlers alone
    signals.install()
    assert not signals.interrupted()
    signals.check()


@pytest.mark.parametrize("name, filename, raises", [("work", "mine.py", True), ("__del__", "anything.py", False)])
def test_the_handler_notes_every_interrupt(monkeypatch, name, filename, raises):
    monkeypatch.setattr(signals, "_raised", [])
    monkeypatch.setattr(signals, "resend", lambda signum: None)
    if raises:
        with pytest.raises(KeyboardInterrupt):
            signals.interrupt(signal.SIGTERM, frame_in(name, filename))
    else:
        signals.interrupt(signal.SIGTERM, frame_in(name, filename))
    assert signals._raised == [signal.SIGTERM]  # re-sent or raised, it is pending: `check` holds the commit back
    assert signals.terminated()


# A signal that comes 50 ms into writing a run directory, while `fill` runs one of these for up to 2 s. The handler is
# actinit's own (on SIGALRM, from a timer: the kernel delivers it while the loop runs). "numpy str comparison": a
# float64 compared with a str, as numpy 1.24's lstsq does under polyfit: numpy runs the handler inside (through
# PyObject_Str) and, at 1.24, clears the KeyboardInterrupt and answers False; "bare except": a library that does so.
WHILE_WRITING = {
    "plain": "while time.monotonic() < end: pass",
    "numpy str comparison": "while time.monotonic() < end: list(map(operator.eq, [np.float64(1.0)] * 1000, ['warn'] * 1000))",
    "bare except": "try:\n        while time.monotonic() < end: pass\n    except BaseException:\n        pass\n"
                   "    while time.monotonic() < end: pass",
}
WRITER = """
import operator, os, signal, sys, time
from pathlib import Path
import numpy as np
from actinit_cli import signals
from actinit_cli.run import rundir

def fill(folder, run_id, created):
    (folder / "summary.json").write_text("{{}}")
    end = time.monotonic() + 2
    {work}

signal.signal(signal.SIGALRM, signals.interrupt)
signal.setitimer(signal.ITIMER_REAL, 0.05)
try:
    rundir.atomic_dir(Path(sys.argv[1]), "f", fill)
    print("written")
except KeyboardInterrupt:
    print("interrupted")
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("how", WHILE_WRITING)
def test_a_signal_while_writing_leaves_no_run_directory(tmp_path, how):
    script = WRITER.format(work=WHILE_WRITING[how])
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "runs")], capture_output=True, text=True,
                         timeout=60)
    assert out.stdout.strip() == "interrupted", (out.stdout, out.stderr)
    assert not (tmp_path / "runs").exists() or list((tmp_path / "runs").rglob("*")) == []


AT_EXIT = textwrap.dedent("""
    import atexit, os, signal, sys, time
    atexit.register(lambda: (os.kill(os.getpid(), signal.{sig}), time.sleep(0.2)))  # while Python shuts down
    sys.argv = ["actinit", {args}]
    from actinit_cli.entry import main
    main()
""")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("sig, args, code", [("SIGTERM", "'list'", 0), ("SIGINT", "'list'", 0),
                                             ("SIGTERM", "'run', 'missing.yaml'", 2)])
def test_a_signal_after_the_command_is_over_changes_nothing(sig, args, code):
    """The exit code is decided: a signal while Python shuts down waits (signals.hold) instead of killing the
    process with no message (-15) or printing a traceback from an atexit callback."""
    out = subprocess.run([sys.executable, "-c", AT_EXIT.format(sig=sig, args=args)], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == code, out.stderr
    assert "Traceback" not in out.stderr and "Exception ignored" not in out.stderr



# `python -m` this: a command whose Ctrl-C is raised inside exec() of a string, as in a dataclass being built while
# a library imports, and is then handled as any Ctrl-C
EXEC_MAIN = textwrap.dedent("""
    from actinit_cli import cli, entry

    cli.main = lambda: exec("raise KeyboardInterrupt")
    entry.main()
""")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_ctrl_c_inside_exec_still_exits_130_under_python_m(tmp_path):
    """CPython notes a KeyboardInterrupt that leaves an exec() of a string as unhandled, even once caught, and
    `python -m` then ends the process by SIGINT (-2; 4 of 8 Ctrl-Cs 0.3 s into a Dask sweep) instead of 130."""
    (tmp_path / "probe.py").write_text(EXEC_MAIN)
    out = subprocess.run([sys.executable, "-m", "probe"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])})
    assert (out.returncode, out.stderr) == (130, "error: interrupted; nothing was left half-written\n")

WORKER = textwrap.dedent("""
    import os, signal, sys, time
    from actinit_cli.sweep import pool

    from actinit_cli import signals

    def work(marker, root, plots):  # stands in for a point's run: a SIGTERM here unwinds it (its finally removes a partial folder)
        try:
            with signals.deferred() if sys.argv[1] == "held" else open(os.devnull):  # held: as while a folder is made
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.2)
            time.sleep(2)
        finally:
            open(marker, "w").close()

    signal.signal(signal.SIGTERM, pool._stopped)
    if sys.argv[1] in ("point", "held"):
        pool._point = work
        pool.run_point(sys.argv[2], None, None)
    else:  # between points: waiting in concurrent.futures' worker loop for the next one
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(2)
    print("survived")
""")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("where, unwound", [("point", True), ("held", True), ("idle", False)])
def test_a_stopped_sweep_worker_ends_quietly(tmp_path, where, unwound):
    """The parent stops its workers with SIGTERM: a worker running a point unwinds it and exits 143; one waiting for
    its next point exits 143 at once. A KeyboardInterrupt there would escape concurrent.futures' worker loop and
    print "Process SpawnProcess-2: Traceback ..." on the sweep's stderr (seen in CI after a Ctrl-C). A signal held
    back by signals.deferred (while a run's folder is made) reaches the handler with the block's frame, so the
    point unwinds and removes the folder (handed no frame, the worker ended at once and left a .partial-*)."""
    marker = tmp_path / "unwound"
    out = subprocess.run([sys.executable, "-c", WORKER, where, str(marker)], capture_output=True, text=True,
                         timeout=30)
    assert (out.returncode, out.stdout, out.stderr) == (143, "", "")
    assert marker.exists() == unwound


@pytest.mark.parametrize("signum, code, said", [(signal.SIGINT, 130, "interrupted"),
                                                (signal.SIGTERM, 143, "terminated (SIGTERM)")])
def test_an_exception_wrapping_the_interrupt_is_the_interrupt(cli, monkeypatch, signum, code, said):
    """A Ctrl-C inside a class's __set_name__ (an import) reaches Python 3.11's caller as RuntimeError from
    KeyboardInterrupt: exit 130 (143) and the interrupt's line, not an internal error (exit 70)."""
    from actinit_cli.nn import sample

    def interrupted(shape):
        signals._raised.append(signum)  # what the handler notes as it raises KeyboardInterrupt
        raise RuntimeError("Error calling __set_name__ on 'Field' instance 'params'") from KeyboardInterrupt()

    monkeypatch.setattr(signals, "_raised", [])
    monkeypatch.setattr(sample, "check_shape", interrupted)
    r = cli("sample", "he_normal", "--shape", "3", "2")
    assert (r.exit_code, r.stderr) == (code, f"error: {said}; nothing was left half-written\n"), r.output
