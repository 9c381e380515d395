"""Benchmark: one training step (forward, backward and the optimizer's update, without the periodic
statistics) against the bare matrix products of that step, measured in one process, interleaved, so a
noisy shared machine affects both sides alike.

    python benchmarks/bench_train.py [--depth 50] [--width 1024] [--batch 1024] [--rounds 5] [--optimizer momentum]

Target (issue 13): a step <= 1.3 x the bare products (per layer x @ W, dh @ W^T and y^T @ dh, float32).
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from actinit_cli.nn import optimizers
from actinit_cli.run import memory, runner, spec
from actinit_cli.train import loop
from bench_run import bare_products, shape_parser  # the same products, timed the same way (this script's folder is on sys.path)

TARGET = 1.3


def main() -> None:
    parser = shape_parser(__doc__)
    parser.add_argument("--optimizer", default="momentum", choices=optimizers.REGISTRY.names())
    args = parser.parse_args()
    memory.keep_freed_memory()  # as the actinit command does (actinit_cli/run/memory.py)
    s = spec.parse(f"model: {{depth: {args.depth}, width: {args.width}, activation: relu, initializer: he_normal}}\n"
                   f"loss: mse")
    rng = np.random.default_rng(0)
    net = runner.network(s, np.random.SeedSequence(0))
    opt = optimizers.get({"name": args.optimizer, "lr": 1e-4})
    x = rng.standard_normal((args.batch, args.width), dtype=np.float32)
    t = rng.standard_normal((args.batch, args.width), dtype=np.float32)
    loop.step(net, opt, "mse", x, t)  # the first step creates the optimizer's state and faults in pages
    steps, bares = [], []
    for _ in range(args.rounds):
        bares.append(bare_products(args.depth, args.width, args.batch, rng))
        start = time.perf_counter()
        loop.step(net, opt, "mse", x, t)
        steps.append(time.perf_counter() - start)
    ratios = [a / b for a, b in zip(steps, bares)]
    ratio = statistics.median(ratios)
    print(f"depth {args.depth}, width {args.width}, batch {args.batch}, float32, {args.optimizer}, {args.rounds} rounds")
    print(f"bare products  {statistics.median(bares):.3f} s (median)")
    print(f"training step  {statistics.median(steps):.3f} s (median)")
    print(f"ratio          {ratio:.3f} x (per round: {', '.join(f'{r:.3f}' for r in ratios)})  "
          f"{'PASS' if ratio <= TARGET else 'FAIL'} (target <= {TARGET:g})")


if __name__ == "__main__":
    main()
