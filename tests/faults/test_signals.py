"""SIGINT (Ctrl-C: the terminal signals the whole process group) and SIGTERM (`kill`, CI cancellation,
container stop: the main process only) at moments spread over `run`, `check` and `sweep`: during the
imports, at a moment drawn at random, and while run directories are being written. Each must exit 130
(SIGTERM: handled like Ctrl-C) with one line and no traceback, leave no `.partial-*` folder, no run
directory that cannot be read back whole, and no process of its own running; a sweep must stop within
a second (README) and say how many finished points it keeps."""

from __future__ import annotations

import random
import re
import signal
import time
import xml.etree.ElementTree as ET

import pytest

from tests.faults.procs import (TERM_CODES, Proc, assert_interrupted, incomplete_run_dirs, partials, session,
                                until)

RUN_SPEC = """name: f
model: {depth: 30, width: 384, activation: tanh, initializer: glorot_normal}
data: {batch_size: 512, batches: 2}
checks:
  - {quantity: nonfinite, max: 0}
"""
SWEEP_SPEC = """name: sw
model: {depth: 20, width: 256}
data: {batch_size: 512}
sweep:
  model.activation: [tanh, relu]
  model.initializer: [glorot_normal, he_normal]
  seed: [0, 1, 2]
"""
# Few matrix products (a training run makes thousands of small ones, which a loaded 2-core machine's threaded
# BLAS can slow 30-fold); most of its 1-2 s is drawing its four plots, the "writing" moment.
TRAIN_SPEC = """name: f
model: {depth: 4, width: 128, activation: relu, initializer: he_normal}
train: {task: {name: gaussian_mixture, samples: 2048, features: 32}, steps: 40, batch_size: 128, eval_every: 10,
        optimizer: {name: momentum, lr: 0.01}}
"""
COMMANDS = {
    "run": (RUN_SPEC, ["run", "spec.yaml", "--out", "out", "--quiet"]),
    "check": (RUN_SPEC, ["check", "spec.yaml", "--out", "out", "--junit", "report.xml"]),
    "train": (TRAIN_SPEC, ["train", "spec.yaml", "--out", "out", "--quiet"]),
    "sweep": (SWEEP_SPEC, ["sweep", "spec.yaml", "--out", "out", "--jobs", "4"]),  # 4 workers: a longer spawn
}
# Moments, each observed rather than slept to: "startup" when the program's own imports have begun (typer's
# shutil maps the first compression module), "imports" when the command's lazy imports reach numpy, a time
# drawn once from a fixed seed (a failure names it and reproduces), and "writing" when the first .partial-*
# folder appears. Each workload takes 2-3.5 s on the 2-core machine (writing starts near 0.6 s for run and
# check, 1.1 s for a sweep).
_RNG = random.Random(20261201)
MOMENTS = ["startup", "imports", f"{_RNG.uniform(0.4, 1.5):.2f}s", "writing"]
# A sweep also while its workers start (spawned and importing, Ctrl-C reaches them too): 0, 50 and 100 ms
# after the first appears (at 0 the main process is still spawning the other three).
WORKERS = ["workers+0.00s", "workers+0.05s", "workers+0.10s"]
CASES = [(c, m) for c in COMMANDS for m in MOMENTS + (WORKERS if c == "sweep" else [])]
MAPPED = {"startup": ("_bz2", "_lzma", "zlib", "_posixsubprocess", "_multiarray_umath"),
          "imports": ("_multiarray_umath",)}
SIGNALS = {"SIGINT to the group": (signal.SIGINT, True, (130,)),
           "SIGTERM to the main process": (signal.SIGTERM, False, TERM_CODES)}
SWEEP_STOPS_WITHIN = 1.5  # README: "Ctrl-C stops a sweep within a second"; 0.5 s for the process to exit


def reach(proc: Proc, moment: str, out) -> None:
    """Wait until `moment` (see MOMENTS)."""
    if moment in MAPPED:
        until(lambda: any(m in proc.mapped() for m in MAPPED[moment]) or proc.popen.poll() is not None, 15,
              f"the {moment} moment")
    elif moment.startswith("workers"):
        until(lambda: proc.workers() or proc.popen.poll() is not None, 15, "a worker process to start")
        time.sleep(float(moment[len("workers+"):-1]))
    elif moment == "writing":
        until(lambda: partials(out) or proc.popen.poll() is not None, 15, "a .partial-* folder to appear")
    else:
        time.sleep(float(moment[:-1]))
    assert proc.popen.poll() is None, f"finished before the {moment} moment: the workload is too short to test"


def assert_nothing_half_written(command: str, box) -> None:
    out = box / "out"
    assert partials(out) == [], partials(out)
    folders = [out / "sw" / d.name / "points" for d in (out / "sw").iterdir()] if (out / "sw").is_dir() else [out]
    for folder in folders:
        assert incomplete_run_dirs(folder) == [], incomplete_run_dirs(folder)
    if command == "check" and (box / "report.xml").exists():
        ET.parse(box / "report.xml")  # a JUnit file, if any, is whole


@pytest.mark.parametrize("how", SIGNALS)
@pytest.mark.parametrize("command, moment", CASES)
def test_signal_leaves_nothing_behind(spawn, tmp_path, command, moment, how):
    spec, args = COMMANDS[command]
    (tmp_path / "spec.yaml").write_text(spec)
    sig, group, codes = SIGNALS[how]
    proc = spawn(args, tmp_path)
    reach(proc, moment, tmp_path / "out")
    sent = time.monotonic()
    proc.send(sig, group)
    code = proc.wait(deadline=10)
    took = time.monotonic() - sent
    assert_interrupted(proc, code, codes)
    until(lambda: not session(proc.pid), 5, f"every process of the {command} to exit")
    assert_nothing_half_written(command, tmp_path)
    if command == "sweep" and (moment == "writing" or moment.startswith("workers")):
        assert took < SWEEP_STOPS_WITHIN, f"the sweep took {took:.2f} s to stop"
        said = re.search(r"(\d+) finished points? (is|are) kept in (\S+):", proc.stderr)
        assert said, proc.stderr
        kept = [p for p in (tmp_path / said[3] / "points").glob("*/*") if not p.name.startswith(".")]
        assert int(said[1]) == len(kept), (said[0], kept)  # the count is what is on disk, 1 in the singular
