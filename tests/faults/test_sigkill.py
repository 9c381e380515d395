"""SIGKILL cannot be handled: what matters is what the next command does with the remains. A `.partial-*`
folder older than its process is cleaned by the next run (or left alone and reported, naming it); one whose
process is alive (here: stopped) is never touched. A sweep whose main process is killed leaves no worker or
resource tracker running, and `--resume` completes it."""

from __future__ import annotations

import signal
from pathlib import Path

from tests.faults.procs import Proc, incomplete_run_dirs, partials, session, until
from tests.faults.test_signals import RUN_SPEC, SWEEP_SPEC

RUN = ["run", "spec.yaml", "--out", "out", "--quiet"]
SWEEP = ["sweep", "spec.yaml", "--out", "out", "--jobs", "2"]


def killed_while_writing(spawn, cwd: Path, args: list) -> list[Path]:
    """Start the command, SIGKILL its whole session as soon as a .partial-* folder appears; return the remains."""
    proc = spawn(args, cwd)
    found = until(lambda: partials(cwd / "out") or proc.popen.poll() is not None, 15, "a .partial-* folder")
    assert proc.popen.poll() is None, f"finished before writing could be interrupted: {found}"
    proc.send(signal.SIGKILL, group=True)
    proc.wait(deadline=5)
    until(lambda: not session(proc.pid), 5, "the killed session to be gone")
    stale = partials(cwd / "out")
    assert stale, "SIGKILL while writing left nothing to clean (the moment was missed)"
    return stale


def cleaned_or_reported(stale: list[Path], proc: Proc) -> None:
    """Each stale folder is gone, or still there and named in the new command's output."""
    said = proc.stdout + proc.stderr
    kept = [p for p in stale if p.exists() and p.name not in said]
    assert not kept, f"stale {[p.name for p in kept]} neither cleaned nor reported; output: {said[-400:]!r}"


def test_the_next_run_cleans_or_reports_a_stale_partial(spawn, tmp_path):
    (tmp_path / "spec.yaml").write_text(RUN_SPEC)
    stale = killed_while_writing(spawn, tmp_path, RUN)
    again = spawn(RUN, tmp_path)
    assert again.wait(deadline=60) == 0, again.stderr[-800:]
    cleaned_or_reported(stale, again)
    assert incomplete_run_dirs(tmp_path / "out") == []


def test_a_live_runs_partial_is_left_alone(spawn, tmp_path):
    (tmp_path / "spec.yaml").write_text(RUN_SPEC)
    first = spawn(RUN, tmp_path)
    mine = until(lambda: partials(tmp_path / "out") or first.popen.poll() is not None, 15, "a .partial-* folder")
    assert first.popen.poll() is None, "finished before it could be paused"
    first.send(signal.SIGSTOP)
    try:
        second = spawn(RUN, tmp_path)
        assert second.wait(deadline=60) == 0, second.stderr[-800:]
        assert all(p.exists() for p in mine), f"the paused run's {mine} was removed while its process lives"
    finally:
        first.send(signal.SIGCONT)
    assert first.wait(deadline=60) == 0, first.stderr[-800:]
    assert partials(tmp_path / "out") == [] and incomplete_run_dirs(tmp_path / "out") == []
    assert len(list((tmp_path / "out" / "f").iterdir())) == 2


def test_orphan_sweep_workers_exit_when_the_sweep_dies(spawn, tmp_path):
    (tmp_path / "spec.yaml").write_text(SWEEP_SPEC)
    proc = spawn(SWEEP, tmp_path)
    workers = until(lambda: proc.workers() or proc.popen.poll() is not None, 15, "worker processes")
    assert proc.popen.poll() is None, "the sweep finished before its workers could be orphaned"
    proc.send(signal.SIGKILL)  # the main process only: its workers and resource tracker are orphaned
    proc.wait(deadline=5)
    until(lambda: not session(proc.pid), 5, f"the orphans of the sweep (workers {workers}) to exit")


def test_resume_after_a_killed_sweep(spawn, tmp_path):
    (tmp_path / "spec.yaml").write_text(SWEEP_SPEC)
    stale = killed_while_writing(spawn, tmp_path, SWEEP)
    again = spawn(SWEEP + ["--resume"], tmp_path)
    assert again.wait(deadline=60) == 0, again.stderr[-800:]
    cleaned_or_reported(stale, again)
    folder = next((tmp_path / "out" / "sw").iterdir())
    assert (folder / "summary.json").is_file() and incomplete_run_dirs(folder / "points") == []
    assert len([p for p in (folder / "points").iterdir()]) == 12
