"""Sweep points on Dask workers, with no shared file system: a worker runs a point exactly as the local
pool does (`pool.run_point`) into a private temporary folder, reads the run directory back as bytes
and deletes it; the client writes those bytes under points/<label>/<run id>/ (whole or not at all).

Imported by the workers (by module name, so every worker needs actinit installed) and by the client;
Dask itself is imported lazily.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from actinit_cli import __version__
from actinit_cli.errors import ActinitError
from actinit_cli.run import memory, partials
from actinit_cli.sweep import pool, rows
from actinit_cli.sweep.plan import Point

# matplotlib is not thread-safe (its own docs): with --plots, the threads of one worker draw one point at a time
_DRAWING = threading.Lock()


@dataclass(frozen=True)
class Outcome:
    """What a worker sends back for one point: its points.csv row and, if it finished, its run
    directory's name and files (relative path -> bytes)."""

    row: dict
    run_id: str | None = None
    files: dict[str, bytes] | None = None

    @property
    def size(self) -> int:
        """Bytes of file contents carried back."""
        return sum(len(b) for b in (self.files or {}).values())


def compute(point: Point, plots: bool) -> Outcome:
    """On a worker: run one point in a temporary folder and return its row and files; the folder is gone
    afterwards, whatever happens."""
    memory.keep_freed_memory()
    with contextlib.ExitStack() as stack:
        if plots:
            stack.enter_context(_DRAWING)
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="actinit-point-")))
        row = pool.run_point(point, tmp, plots)
        if row["status"] != "ok":
            return Outcome(row)
        return Outcome(row, Path(row["run_dir"]).name, pack(Path(row["run_dir"])))


def pack(run_dir: Path) -> dict[str, bytes]:
    """Every file of a run directory, by its path relative to it."""
    return {f.relative_to(run_dir).as_posix(): f.read_bytes() for f in sorted(run_dir.rglob("*")) if f.is_file()}


def place(root: Path, point: Point, outcome: Outcome) -> dict:
    """On the client: write a finished point's files to root/<label>/<run id>/ (a hidden temporary folder
    renamed into place, as a local run is) and return its row pointing there."""
    if outcome.run_id is None:
        return outcome.row
    final = Path(root) / point.label / outcome.run_id
    # as a local run's (.partial-<pid>-, stale ones cleared first): a client killed here leaves a folder the next
    # writer removes
    tmp = partials.fresh(final.parent, root)
    try:
        for name, data in (outcome.files or {}).items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_bytes(data)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {**outcome.row, "run_dir": str(final)}


def _failed(point: Point, exc: BaseException) -> dict:
    """The row of a point Dask could not finish: every worker that tried it died (KilledWorker, after the
    scheduler's retries), or the task failed outside run_point (e.g. a worker without actinit)."""
    tries = getattr(exc, "allowed_failures", None)
    why = (f"its worker died on {'its only try' if tries == 0 else f'each of {tries + 1} tries'} (Dask KilledWorker: "
           f"killed, or out of memory)"
           if tries is not None else " ".join(f"{type(exc).__name__}: {exc}".split()))
    return rows.row(point.values, point.spec, reason=f"{why}; rerun with --resume")


def _collect(future: Any, point: Point, root: Path) -> dict:
    try:
        outcome = future.result()
    except Exception as exc:  # KilledWorker, a lost scheduler (FutureCancelledError), an import error on a worker
        return _failed(point, exc)
    try:
        return place(root, point, outcome)
    except (OSError, ActinitError) as exc:  # ActinitError: no hidden folder could be made there
        return _failed(point, exc)


def run(client: Any, places: dict[str, list[str] | None], points: list[Point], root: Path,
        plots: bool) -> Iterator[tuple[Point, dict]]:
    """Submit every point (to the workers `places` gives it, None: any) and yield (point, row) as each
    result arrives. On Ctrl-C, or any error here, the points not yet received are cancelled. A point goes
    to another worker only when none of its own is left (a restarted worker has a new address): that
    never hangs, and at worst the point is stopped for its memory, retried, and recorded as failed."""
    from distributed import as_completed

    batch = secrets.token_hex(3)  # task keys are unique per sweep run, readable on the dashboard
    waiting = {client.submit(compute, p, plots, key=f"actinit-{batch}-{p.label}", pure=False,
                             workers=places.get(p.label), allow_other_workers=places.get(p.label) is not None): p
               for p in points}
    try:
        for future in as_completed(list(waiting), loop=client.loop):
            point = waiting.pop(future)
            row = _collect(future, point, root)
            future.release()  # its files are written: the worker may forget them (a long sweep would pile up)
            yield point, row
    finally:
        if waiting:
            client.cancel(list(waiting), force=True)


def versions() -> str:
    """On a worker: the actinit version it runs (a worker without actinit fails to load this function)."""
    return __version__


def dask_setup(worker: Any) -> None:
    """Dask preload for the workers of the LocalCluster actinit starts: Ctrl-C at the terminal reaches
    every process of the group, and is the client's to handle (it cancels and closes the cluster)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    memory.keep_freed_memory()
