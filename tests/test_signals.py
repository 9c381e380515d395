"""actinit_cli/signals.py: a Ctrl-C that arrives inside a weakref callback or a __del__, where Python would
print the KeyboardInterrupt as "Exception ignored" and drop it, is delivered again once the main thread has
left that frame (the fault tests lost such a Ctrl-C during imports and writing, a few times in a hundred)."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

from actinit_cli import signals


def frame_in(name: str, filename: str):
    namespace: dict = {}
    exec(compile(f"def {name}():\n    import sys\n    return sys._getframe()\n", filename, "exec"), namespace)
    return namespace[name]()


@pytest.mark.parametrize("name, filename, swallowed", [
    ("cb", "<frozen importlib._bootstrap>", True),  # an import lock's weakref callback
    ("__del__", "anything.py", True),
    ("cb", "mine.py", False),
    ("work", "<frozen importlib._bootstrap>", False),
])
def test_frames_where_an_exception_would_be_dropped(name, filename, swallowed):
    assert signals.swallowed(frame_in(name, filename)) is swallowed
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
