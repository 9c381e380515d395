"""Benchmark: where a run's steady-state time goes beyond bench_run's bare products, side by side in one
process, interleaved round by round:

  bare products       bench_run's baseline: per layer x @ W, x @ W^T, x^T @ x on one x and one W (in cache)
  own products        the same products along the run's own weights, on fresh arrays (weights and tape from memory)
  no statistics       actinit's forward + backward (activation, derivative, tape) without the statistics
  with statistics     the same with the statistics and the first batch's histogram samples, as a run's first
                      repeat keeps them (bench_run times a whole run: this, the loss and drawing the weights)

    python benchmarks/bench_parts.py [--depth 50] [--width 1024] [--batch 1024] [--rounds 5]

Each figure is printed as a ratio to the bare products; the last one beside issue 11's target (<= 1.15).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

from actinit_cli.nn import mlp, stats
from actinit_cli.run import runner

sys.path.insert(0, str(Path(__file__).parent))
from bench_run import bare_products, setup, verdict  # noqa: E402


def own_products(net: mlp.Network, x: np.ndarray, dy: np.ndarray) -> float:
    """Seconds for the run's products on its own weights: forward y @ W, backward y^T @ dh and dh @ W^T."""
    start = time.perf_counter()
    ys = [x]
    for w in net.weights:
        ys.append(ys[-1] @ w)
    d = dy
    for layer in range(len(net.weights), 0, -1):
        ys[layer - 1].T @ d
        d = d @ net.weights[layer - 1].T
        ys[layer] = None
    return time.perf_counter() - start


def actinit_pass(net: mlp.Network, x: np.ndarray, r: np.ndarray, with_stats: bool) -> float:
    """Seconds for actinit's forward + backward (random projection of the output), with or without statistics."""
    acc = stats.Accumulator(net, keep_hist=True) if with_stats else None
    start = time.perf_counter()
    tape = mlp.forward(net, x, acc.forward_layer if acc else None)
    dh = net.output.vjp(tape.h[-1], tape.y[-1], r)
    for grad in mlp.backward(net, tape, r, dh):
        if acc:
            acc.backward(grad)
    return time.perf_counter() - start


def main() -> None:
    args, s = setup(__doc__)
    net = runner.network(s, np.random.SeedSequence(0))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.batch, args.width), dtype=np.float32)
    r = rng.standard_normal((args.batch, s.sizes[-1]), dtype=np.float32)
    sides = {"own products": lambda: own_products(net, x, r),
             "no statistics": lambda: actinit_pass(net, x, r, False),
             "with statistics": lambda: actinit_pass(net, x, r, True)}
    for side in sides.values():  # warm up: first-touch page faults belong to bench_run's first run
        side()
    ratios: dict[str, list[float]] = {name: [] for name in sides}
    bares = []
    names = list(sides)
    for k in range(args.rounds):  # the sides in a rotated order each round: none always follows the same one
        bares.append(bare_products(args.depth, args.width, args.batch, rng))
        for name in names[k % len(names):] + names[:k % len(names)]:
            ratios[name].append(sides[name]() / bares[-1])
    print(f"shape: depth {args.depth}, width {args.width}, batch {args.batch}, float32, {args.activation}; "
          f"bare products median {statistics.median(bares):.3f} s, {args.rounds} rounds")
    for name, values in ratios.items():
        median = statistics.median(values)
        target = f"  {verdict(median, 1.15)}" if name == "with statistics" else ""
        print(f"{name + ' / bare products:':34s}{median:.3f} (rounds {min(values):.3f}-{max(values):.3f}){target}")


if __name__ == "__main__":
    main()
