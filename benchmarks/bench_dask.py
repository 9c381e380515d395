"""Benchmark: a sweep through `--executor dask` (a LocalCluster of 2 single-threaded worker processes,
started and closed inside the timing, as `actinit sweep --executor dask` does) against the local
`--jobs 2` pool, interleaved in one process so a noisy shared machine affects both alike; and the
per-point cost of sending a point's results back to the client instead of writing them in place.

    python benchmarks/bench_dask.py [--points 16] [--rounds 3] [--depth 30] [--width 512]

Target (issue 16): median wall-time ratio dask / local <= 1.15. The CPU-time ratio (every process
involved) is printed beside it: on a shared machine it moves less than wall time.
"""

from __future__ import annotations

import argparse
import pickle
import resource
import statistics
import tempfile
import time
from pathlib import Path

from actinit_cli import resources
from actinit_cli.run import memory, spec
from actinit_cli.sweep import executors, plan, pool, remote

TARGET = 1.15


def _cpu(processes: list) -> float:
    return sum(c.user + c.system for c in (p.cpu_times() for p in processes))


def local(points: list[plan.Point], jobs: int) -> tuple[float, float]:
    """(seconds, CPU seconds of this process and its workers) for the local pool, start-up included."""
    with tempfile.TemporaryDirectory() as root:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu, start = time.process_time(), time.perf_counter()
        rows = pool.execute(points, Path(root), jobs)  # joins its workers: their CPU is in RUSAGE_CHILDREN
        wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
        assert all(r["status"] == "ok" for r in rows), rows
        return wall, time.process_time() - cpu + (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)


def dask(sweep: plan.Plan) -> tuple[float, float, float]:
    """(seconds with the LocalCluster's start and close, seconds of the points alone, CPU seconds of this
    process (client, scheduler, nannies), the fork server and the workers). The fork server is stopped
    first, so every round starts it again, as each `actinit sweep` does."""
    import psutil
    from multiprocessing import forkserver

    forkserver._forkserver._stop()  # private, but what CPython's own tests use; a no-op when none runs
    with tempfile.TemporaryDirectory() as root:
        cpu, start = time.process_time(), time.perf_counter()
        with executors.session("dask", sweep, None) as session:
            began = time.perf_counter()
            rows = pool.execute(sweep.points, Path(root), 0, run=session.runner)
            points = time.perf_counter() - began
            helpers = _cpu(psutil.Process().children(recursive=True))  # fork server and workers, before they stop
        wall = time.perf_counter() - start
        assert all(r["status"] == "ok" for r in rows), rows
        assert session.plan.jobs == sweep.jobs, "the LocalCluster should have one worker per core"
        return wall, points, time.process_time() - cpu + helpers


def overhead(point: plan.Point, repeats: int = 5) -> dict[str, float]:
    """Per point, what the Dask path adds to a local run: reading the run directory back as bytes on the
    worker, pickling it there and unpickling it on the client (what Dask does with a result), and writing
    the files on the client. Medians over `repeats`; sizes in bytes."""
    parts: dict[str, list[float]] = {"read": [], "pickle": [], "unpickle": [], "write": []}
    with tempfile.TemporaryDirectory() as root:
        for _ in range(repeats):
            row = pool.run_point(point, Path(root) / "worker", False)
            t0 = time.perf_counter()
            outcome = remote.Outcome(row, Path(row["run_dir"]).name, remote.pack(Path(row["run_dir"])))
            t1 = time.perf_counter()
            blob = pickle.dumps(outcome, protocol=5)
            t2 = time.perf_counter()
            back = pickle.loads(blob)
            t3 = time.perf_counter()
            remote.place(Path(root) / "client", point, back)
            t4 = time.perf_counter()
            for k, v in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                parts[k].append(v)
    out = {k: statistics.median(v) for k, v in parts.items()}
    return {**out, "bytes": len(blob), "files": outcome.size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--depth", type=int, default=30)
    parser.add_argument("--width", type=int, default=512)
    args = parser.parse_args()
    memory.keep_freed_memory()  # as the actinit command does
    seeds = ", ".join(str(s) for s in range(args.points))
    base = spec.parse(f"name: bench\nmodel: {{depth: {args.depth}, width: {args.width}}}\ndata: {{batch_size: 1024}}\n"
                      f"loss: random_projection\nsweep:\n  seed: [{seeds}]\n")
    points = plan.expand(base, local=False)
    sweep = plan.Plan(base, points, Path(tempfile.gettempdir()), resources.cores())
    print(f"{args.points} equal points (depth {args.depth}, width {args.width}, batch 1024), {sweep.jobs} workers, "
          f"{args.rounds} rounds")
    ratios, bare, cpu = [], [], []
    for r in range(args.rounds):
        t_local, c_local = local(points, sweep.jobs)
        t_dask, t_points, c_dask = dask(sweep)
        ratios.append(t_dask / t_local)
        bare.append(t_points / t_local)
        cpu.append(c_dask / c_local)
        verdict = "PASS" if ratios[-1] <= TARGET else "FAIL"
        print(f"round {r + 1}: local --jobs {sweep.jobs} {t_local:.2f} s, dask {t_dask:.2f} s (points alone "
              f"{t_points:.2f} s): ratio {ratios[-1]:.3f}   target <= {TARGET}  {verdict};  CPU {c_local:.1f} s "
              f"against {c_dask:.1f} s: {cpu[-1]:.3f}")
    med = statistics.median(ratios)
    print(f"median ratio dask / local: {med:.3f} (range {min(ratios):.3f}-{max(ratios):.3f})   target <= {TARGET}  "
          f"{'PASS' if med <= TARGET else 'FAIL'}")
    print(f"without the LocalCluster's start and close: median {statistics.median(bare):.3f}")
    print(f"CPU seconds dask / local (less sensitive to other load on the machine): median "
          f"{statistics.median(cpu):.3f} (range {min(cpu):.3f}-{max(cpu):.3f})")
    cost = overhead(points[0])
    total = cost["read"] + cost["pickle"] + cost["unpickle"] + cost["write"]
    print(f"per-point overhead of sending results back: {total * 1e3:.1f} ms ({cost['files'] / 1024:.0f} KiB of files, "
          f"{cost['bytes'] / 1024:.0f} KiB pickled): read {cost['read'] * 1e3:.1f} ms, pickle "
          f"{cost['pickle'] * 1e3:.1f} ms, unpickle {cost['unpickle'] * 1e3:.1f} ms, write "
          f"{cost['write'] * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
