"""Benchmark: a sweep's wall time with --jobs 2 against --jobs 1 on a grid of equal points, measured in
one process (alternating, so a noisy shared machine affects both alike).

    python benchmarks/bench_sweep.py [--points 8] [--rounds 2]

Target (issue 6): at least 1.6x on 2 cores. Each worker runs with one BLAS thread, as `actinit sweep` does.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from actinit_cli.run import spec
from actinit_cli.sweep import plan, pool as sweep


def wall(points: list[sweep.Point], jobs: int) -> float:
    with tempfile.TemporaryDirectory() as root:
        start = time.perf_counter()
        rows = sweep.execute(points, Path(root), jobs)
        assert all(r["status"] == "ok" for r in rows)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    seeds = ", ".join(str(s) for s in range(args.points))
    base = spec.parse(f"name: bench\nmodel: {{depth: 30, width: 512}}\ndata: {{batch_size: 1024}}\n"
                      f"loss: random_projection\nsweep:\n  seed: [{seeds}]\n")
    points = plan.expand(base)
    one, two = [], []
    for _ in range(args.rounds):
        one.append(wall(points, 1))
        two.append(wall(points, 2))
    t1, t2 = statistics.median(one), statistics.median(two)
    print(f"{args.points} equal points (depth 30, width 512, batch 1024), {args.rounds} rounds")
    print(f"--jobs 1: median {t1:.2f} s")
    print(f"--jobs 2: median {t2:.2f} s")
    print(f"speed-up: {t1 / t2:.2f}x   (target >= 1.6)")


if __name__ == "__main__":
    main()
