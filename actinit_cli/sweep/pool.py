"""A sweep's points run in parallel worker processes, each a normal run written under points/.

Workers are spawned with one BLAS thread each (so they do not fight over cores, and --jobs 1 and
--jobs N give identical numbers); a point that fails is recorded with its reason and the sweep goes on.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from types import FrameType
from typing import Callable, Iterator

from actinit_cli import signals
from actinit_cli.errors import ActinitError
from actinit_cli.run import memory, partials, report, rundir, runner
from actinit_cli.sweep import rows
from actinit_cli.sweep.plan import Point

ONE_THREAD = {v: "1" for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                               "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")}


def run_point(point: Point, root: Path, plots: bool) -> dict:
    """Run one point into root/<label>/<time>-<id>/ and return its row; any failure becomes its reason."""
    try:
        return _point(point, root, plots)
    except KeyboardInterrupt:  # SIGTERM from the parent stopping us, or from Linux when the parent died: the
        os._exit(143)  # half-written run directory is already removed; do not go back for another point


def _point(point: Point, root: Path, plots: bool) -> dict:
    start = time.perf_counter()
    try:
        if point.spec.resolved.get("train"):  # a training point: its data read, trained, written (train/job.py)
            from actinit_cli.train import job

            result, run_dir = job.execute(job.prepare(point.spec, root), plots)
        else:
            result = runner.execute(point.spec, probe=point.probe)
            run_dir = report.write(result, root, plots=plots)
        return rows.row(point.values, point.spec, result.rows, run_dir, time.perf_counter() - start,
                        scalars=result.scalars)
    except Exception as exc:  # a failing point never stops the sweep: record why
        reason = " ".join(str(exc).split()) or type(exc).__name__
        return rows.row(point.values, point.spec, seconds=time.perf_counter() - start, reason=reason)


def _stopped(signum: int, frame: FrameType | None) -> None:
    """SIGTERM in a worker: while a point runs, unwind like Ctrl-C (its half-written folder is removed on the way,
    then run_point ends the worker); anywhere else (waiting for a point, sending a row back) end now: a
    KeyboardInterrupt there would escape concurrent.futures' worker loop as a traceback on the sweep's stderr."""
    f = frame
    while f is not None:
        if f.f_code is _point.__code__:
            return signals.interrupt(signum, frame)
        f = f.f_back
    os._exit(143)


# run(points, root, plots): runs points into root and yields (point, row) as each finishes (another executor's pool)
Runner = Callable[[list[Point], Path, bool], Iterator[tuple[Point, dict]]]
RUN_ID = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{6}")  # rundir.new_run_dir's names: other folders are the user's


def finished(point: Point, root: Path, notes: list[str] | None = None) -> dict | None:
    """The row of a point already run under root (for --resume), or None: not run yet, or its newest run directory
    cannot be read; that one is left in place, the point runs again into a new one, and `notes` gets a line
    saying so. Half-written run directories that a killed worker left in the point's folder are removed on the
    way."""
    folder = root / point.label
    if not folder.is_dir():
        return None
    partials.remove_stale_partials(folder)
    newest = _newest_run(folder)
    if newest is None:
        return None
    try:
        saved, seconds = _read(newest)
        return rows.row(point.values, saved.spec, saved.rows, newest, seconds, scalars=saved.scalars)
    except ActinitError as exc:
        why = " ".join(str(exc).split()).split("; ")[0].removeprefix(str(newest)).lstrip("/: ")
        if notes is not None:
            notes.append(f"{newest} cannot be read, so point {point.label} runs again into a new run directory "
                         f"(the damaged one is left in place): {why}")
        return None


def _newest_run(folder: Path) -> Path | None:
    """The newest run directory in a point's folder (run ids sort by time), or None."""
    runs = [d for d in folder.iterdir() if d.is_dir() and RUN_ID.fullmatch(d.name)] if folder.is_dir() else []
    return max(runs, default=None)


def kept(points: list[Point], root: Path) -> int:
    """How many of the points a --resume would keep: their newest run directory can be read (a damaged one left
    in place, or a user's own folder, is not a finished point). Touches nothing on disk."""
    count = 0
    for newest in (_newest_run(root / point.label) for point in points):
        if newest is None:
            continue
        try:
            _read(newest)
        except ActinitError:
            continue
        count += 1
    return count


def _read(run_dir: Path) -> tuple[rundir.Saved, float]:
    """A finished point's run directory and its total seconds (ActinitError where it cannot be read)."""
    return rundir.load(run_dir), _seconds(run_dir)


def _seconds(run_dir: Path) -> float:
    """A run's total seconds, from its summary.json (rundir.load has read it as a JSON object)."""
    try:
        return float(json.loads((run_dir / "summary.json").read_text())["timings"]["total_seconds"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ActinitError(f"{run_dir}/summary.json: damaged (no timings.total_seconds: {exc!r})") from None


def execute(points: list[Point], root: Path, jobs: int, plots: bool = False, resume: bool = False,
            progress: Callable[[int], None] | None = None, run: Runner | None = None,
            notes: list[str] | None = None) -> list[dict]:
    """Run every point not already finished (with resume) in `jobs` single-threaded worker processes
    (or with `run`, e.g. on a Dask cluster); rows come back in the sweep's order. A damaged point that is run
    again adds a line to `notes`."""
    tick = progress or (lambda n: None)
    by_label: dict[str, dict] = {}
    todo = []
    for p in points:
        done = finished(p, root, notes) if resume else None
        if done is not None:
            by_label[p.label] = done
            tick(1)
        else:
            todo.append(p)
    if todo:
        for p, r in (run(todo, root, plots) if run else _pool(todo, root, jobs, plots)):
            by_label[p.label] = r
            tick(1)
    return [by_label[p.label] for p in points]


def _worker_init(parent: int) -> None:
    """In each worker: Ctrl-C is the parent's to handle (the worker was born with SIGINT blocked, see
    _submit, and lets it in only now that it is ignored); SIGTERM (the parent stopping us) unwinds a running
    point like Ctrl-C, so a half-written run directory is removed on the way out, and otherwise ends the worker
    (`_stopped`; until now it simply ended the starting worker); and the worker gets SIGTERM when its parent
    dies, even by SIGKILL."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signals.unblock()
    _die_with(parent)
    memory.keep_freed_memory()
    signal.signal(signal.SIGTERM, _stopped)  # last: a stop during the set-up above just ends us


PR_SET_PDEATHSIG = 1  # Linux <sys/prctl.h>


def _die_with(parent: int) -> None:
    """Ask Linux to send SIGTERM when the parent exits; if it already has (a race), leave now."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the parent's own shutdown still stops us
        pass
    if os.getppid() != parent:
        os._exit(1)


def _lost(point: Point, exc: BaseException) -> dict:
    """The row of a point whose worker died (killed, or out of memory) or failed outside run_point:
    failed, to be redone by --resume."""
    why = (f"its worker process died ({type(exc).__name__})" if isinstance(exc, BrokenProcessPool)
           else " ".join(str(exc).split()) or type(exc).__name__)
    return rows.row(point.values, point.spec, reason=f"{why}; rerun with --resume")


def _pool(points: list[Point], root: Path, jobs: int, plots: bool):
    """Yield (point, row) as workers finish. Workers are spawned with one BLAS thread each; on Ctrl-C
    (or any error here) queued points are cancelled and running workers stopped before re-raising."""
    import multiprocessing

    with environ(ONE_THREAD):  # read by each spawned worker when it imports numpy
        pool = ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_worker_init, initargs=(os.getpid(),))
        yield from _results(pool, points, root, plots)


def _results(pool: ProcessPoolExecutor, points: list[Point], root: Path, plots: bool):
    try:
        futures = _submit(pool, points, root, plots)
        for future in as_completed(futures):
            try:
                row = future.result()
            except Exception as exc:  # BrokenProcessPool (a worker died) or anything run_point could not catch
                row = _lost(futures[future], exc)
            yield futures[future], row
        pool.shutdown(wait=True)
    except BaseException:
        _stop(pool)
        raise


@contextlib.contextmanager
def environ(values: dict[str, str]) -> Iterator[None]:
    """`values` in os.environ inside the block (for processes started there), those keys restored after, whoever
    changed them meanwhile."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _submit(pool: ProcessPoolExecutor, points: list[Point], root: Path, plots: bool) -> dict:
    """Submit every point. Workers are spawned here, with SIGINT and SIGTERM held back: a spawn cut in half
    leaves a worker reading a closed pipe (a traceback), and a terminal's Ctrl-C reaches the whole process
    group, where a worker still importing numpy would print one too. Held back, not ignored: a Ctrl-C
    meant for the parent arrives as soon as the spawning is done."""
    with signals.deferred():
        return {pool.submit(run_point, p, root, plots): p for p in points}


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel queued points and terminate running workers (SIGTERM: they clean up their partial runs).
    Python < 3.14 has no public call for the second part, so the pool's process table is used."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # shutdown() forgets them
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=10)
    if manager is not None:  # let it close its pipes now, not in a race with the interpreter's exit hook
        manager.join(timeout=5)
