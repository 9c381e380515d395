"""Benchmark: a run's forward + backward + statistics against the bare matrix products it cannot avoid,
and its peak memory against what backward must keep. Ratios measured in one process, interleaved, so a
noisy shared machine affects both sides alike.

    python benchmarks/bench_run.py [--depth 50] [--width 1024] [--batch 1024] [--rounds 5]

Targets (issue 3): time <= 1.25 x the bare products; peak memory <= 1.3 x the kept arrays.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

import numpy as np

from actinit_cli.run import memory, runner, spec
from actinit_cli.nn import mlp


def bare_products(depth: int, width: int, batch: int, rng: np.random.Generator) -> float:
    """Seconds for the products a run needs: per layer x @ W, dh @ W^T and y^T @ dh (float32)."""
    x = rng.standard_normal((batch, width), dtype=np.float32)
    w = rng.standard_normal((width, width), dtype=np.float32) / np.float32(width**0.5)
    start = time.perf_counter()
    for _ in range(depth + 1):
        x @ w
        x @ w.T
        x.T @ x
    return time.perf_counter() - start


def timed_run(s: spec.Spec) -> tuple[float, float]:
    """(forward+backward+statistics seconds, total seconds including drawing weights and data)."""
    result = runner.execute(s)
    return result.timings["forward_backward_statistics"], result.seconds


def peak_memory(s: spec.Spec) -> int:
    """Peak bytes NumPy allocated during a run (tracemalloc slows allocation, so it runs apart from timing)."""
    tracemalloc.start()
    runner.execute(s)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=50)
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--activation", default="tanh")
    args = parser.parse_args()
    memory.keep_freed_memory()  # as the actinit command does (actinit_cli/run/memory.py)
    s = spec.parse(f"model: {{depth: {args.depth}, width: {args.width}, activation: {args.activation}}}\n"
                   f"data: {{batch_size: {args.batch}}}\nloss: random_projection")
    rng = np.random.default_rng(0)
    runs, totals, bares = [], [], []
    first_bare = bare_products(args.depth, args.width, args.batch, rng)
    first, _ = timed_run(s)  # the first run also faults in its tape's pages (a one-shot CLI run pays this)
    for _ in range(args.rounds):
        bares.append(bare_products(args.depth, args.width, args.batch, rng))
        compute, total = timed_run(s)
        runs.append(compute)
        totals.append(total)
    peak = peak_memory(s)
    kept = mlp.kept_bytes(s.sizes, args.batch, 4)
    run_t, bare_t, total_t = statistics.median(runs), statistics.median(bares), statistics.median(totals)
    print(f"shape: depth {args.depth}, width {args.width}, batch {args.batch}, float32, {args.activation}")
    print(f"forward+backward+statistics:       median {run_t:.3f} s over {args.rounds} rounds")
    print(f"bare matrix products:              median {bare_t:.3f} s")
    print(f"time ratio run / bare products:    {run_t / bare_t:.3f}   (target <= 1.25; memory reused, as in a "
          f"sweep worker)")
    print(f"first run in this process:         {first:.3f} s ({first / first_bare:.3f} x bare: includes faulting in "
          f"the tape)")
    print(f"whole run incl. drawing weights:   median {total_t:.3f} s ({total_t / bare_t:.3f} x bare)")
    print(f"peak traced memory:                {peak / 2**20:.0f} MiB")
    print(f"kept for backward (h, y, x, W, b): {kept / 2**20:.0f} MiB")
    print(f"memory ratio peak / kept:          {peak / kept:.3f}   (target <= 1.3)")


if __name__ == "__main__":
    main()
