"""`actinit ... | head -1`: the reader closes stdout after one line; the command runs to its end and exits with
its own code (click and rich alone would exit 1, the code of a failed check). Rows whose code is 1 anyway or
whose output Python flushes at exit (sample) pin that the rest stays so. And `>&-`: no stdout at all."""

import os
import subprocess

import pytest

from tests.faults.procs import ENTRY

CASES = [(["list"], 0), (["run", "configs/xavier_tanh.yaml", "--no-plots"], 0),
         (["check", "configs/xavier_tanh.yaml"], 0), (["check", "configs/xavier_relu.yaml"], 1),
         (["sample", "he_normal", "--shape", "3000", "300"], 0)]


@pytest.mark.parametrize("args, code", CASES, ids=[" ".join(a[:2]) for a, _ in CASES])
def test_a_closed_pipe_keeps_the_commands_exit_code(tmp_path, args, code):
    proc = subprocess.Popen([*ENTRY, *args, *(["--out", str(tmp_path)] if args[0] in ("run", "check") else [])],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()  # as `head -1` does
    assert proc.wait(timeout=120) == code
    assert proc.stderr.read() == b""
    if args[0] == "run":
        assert len(list(tmp_path.glob("xavier_tanh/*/summary.json"))) == 1  # the run finished and was written


@pytest.mark.parametrize("args, code", CASES, ids=[" ".join(a[:2]) for a, _ in CASES])
def test_no_stdout_at_all_keeps_the_commands_exit_code(tmp_path, args, code):
    """`actinit ... >&-` (fd 1 closed: Python's sys.stdout is None): was exit 120 or 70 with a traceback."""
    out = ["--out", str(tmp_path)] if args[0] in ("run", "check") else []
    done = subprocess.run([*ENTRY, *args, *out], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120,
                          preexec_fn=lambda: os.close(1))
    assert (done.returncode, done.stderr) == (code, b"")
