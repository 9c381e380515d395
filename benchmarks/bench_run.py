"""Benchmark: a run's forward + backward + statistics, and drawing its weights, against the bare matrix
products the run cannot avoid; its peak memory against what backward must keep; and `actinit --help`.
Ratios are measured in one process, interleaved, so a noisy shared machine affects both sides alike.

    python benchmarks/bench_run.py [--depth 50] [--width 1024] [--batch 1024] [--rounds 5]

Targets (issue 11): steady state <= 1.15 x the bare products, the first run in a fresh process <= 1.3 x;
drawing the weights <= 0.25 x the bare products of one forward + backward; peak memory <= 1.3 x the kept
arrays; `actinit --help` < 0.3 s.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc

import numpy as np

from actinit_cli.nn import mlp
from actinit_cli.run import memory, runner, spec


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


def timed_run(s: spec.Spec) -> tuple[float, float, float]:
    """(forward+backward+statistics, drawing weights and data, total) seconds of one run."""
    result = runner.execute(s)
    return (result.timings["forward_backward_statistics"], result.timings["draw_weights_and_data"], result.seconds)


def faults() -> int:
    """Minor page faults of this process so far (a page touched for the first time)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def fault_seconds(pages: int) -> float:
    """Seconds to touch `pages` fresh pages once each (one mmap'd array, unmapped again): the kernel's and the
    hypervisor's price for the memory a first run must fault in, with no computation."""
    page = resource.getpagesize()
    fresh = np.empty(pages * page, dtype=np.uint8)
    start = time.perf_counter()
    fresh[::page] = 1
    return time.perf_counter() - start


def peak_memory(s: spec.Spec) -> int:
    """Peak bytes NumPy allocated during a run (tracemalloc slows allocation, so it runs apart from timing)."""
    tracemalloc.start()
    runner.execute(s)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def help_seconds(rounds: int = 5) -> float:
    """Median wall time of `actinit --help` in a fresh interpreter."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "actinit_cli", "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def verdict(value: float, target: float, below: bool = True) -> str:
    ok = value <= target if below else value >= target
    return f"{'PASS' if ok else 'FAIL'} (target {'<=' if below else '>='} {target:g})"


def shape_parser(doc: str) -> argparse.ArgumentParser:
    """--depth, --width, --batch (the issue's shape by default) and --rounds, for this and bench_train."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--depth", type=int, default=50)
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=5)
    return parser


def setup(doc: str) -> tuple[argparse.Namespace, spec.Spec]:
    """The command line (shape, rounds and --activation) and the spec of the run it describes; freed memory kept
    as the actinit command keeps it (actinit_cli/run/memory.py). For this benchmark and bench_parts."""
    parser = shape_parser(doc)
    parser.add_argument("--activation", default="tanh")
    args = parser.parse_args()
    memory.keep_freed_memory()
    return args, spec.parse(f"model: {{depth: {args.depth}, width: {args.width}, activation: {args.activation}}}\n"
                            f"data: {{batch_size: {args.batch}}}\nloss: random_projection")


def main() -> None:
    args, s = setup(__doc__)
    rng = np.random.default_rng(0)
    first_bare = bare_products(args.depth, args.width, args.batch, rng)
    before = faults()
    first, _, _ = timed_run(s)  # the first run also faults in its tape's pages (a one-shot CLI run pays this)
    first_faults = faults() - before
    runs, draws, bares = [], [], []
    for _ in range(args.rounds):
        bares.append(bare_products(args.depth, args.width, args.batch, rng))
        compute, draw, _ = timed_run(s)
        runs.append(compute)
        draws.append(draw)
    ratios = [r / b for r, b in zip(runs, bares)]
    draw_ratios = [d / b for d, b in zip(draws, bares)]
    peak, kept = peak_memory(s), mlp.kept_bytes(s.sizes, args.batch, 4)
    show(args, runs, bares, ratios, first / first_bare, draw_ratios, peak / kept, help_seconds())
    print(f"first run: {first_faults} page faults ({first - statistics.median(runs):+.3f} s over a steady run); "
          f"touching as many fresh pages alone takes {fault_seconds(first_faults):.3f} s on this machine")


def show(args, runs, bares, ratios, first, draws, memory_ratio, help_s) -> None:
    spread = f"(rounds {min(ratios):.3f}-{max(ratios):.3f})"
    print(f"shape: depth {args.depth}, width {args.width}, batch {args.batch}, float32, {args.activation}")
    print(f"forward+backward+statistics: median {statistics.median(runs):.3f} s; bare products "
          f"{statistics.median(bares):.3f} s")
    print(f"run / bare products, steady:      {statistics.median(ratios):.3f} {spread}  "
          f"{verdict(statistics.median(ratios), 1.15)}")
    print(f"run / bare products, first run:   {first:.3f}  {verdict(first, 1.3)}")
    print(f"drawing weights / bare products:  {statistics.median(draws):.3f}  {verdict(statistics.median(draws), 0.25)}")
    print(f"peak memory / kept arrays:        {memory_ratio:.3f}  {verdict(memory_ratio, 1.3)}")
    print(f"actinit --help:                   {help_s:.3f} s  {verdict(help_s, 0.3)}")


if __name__ == "__main__":
    main()
