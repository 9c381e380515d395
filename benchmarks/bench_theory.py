"""Benchmark: the theory overlay's cost beside the run it annotates (ratios from one process).

    python benchmarks/bench_theory.py

Prints the seconds of a depth-100 SELU profile, a 60 x 60 tanh chi_1 grid (the phase diagram), and
the profile's share of a depth-50, width-1024 run.
"""

from __future__ import annotations

import time

from actinit_cli.run import overlay, runner, spec
from actinit_cli.theory import phase, profile as theory


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    profile = min(seconds(lambda: theory.profile("selu", 1.0, 1.0, 0.0, 1.0, 0.0, [512] * 102)) for _ in range(3))
    grid = min(seconds(lambda: phase.chi1_grid("tanh", [0.5 + 0.06 * i for i in range(60)],
                                               [i / 59 for i in range(60)])) for _ in range(2))
    s = spec.parse("model: {depth: 50, width: 1024, activation: tanh}\ndata: {batch_size: 1024}")
    run = runner.execute(s)
    share = seconds(lambda: overlay.predict(s)) / run.seconds
    print(f"profile, selu, depth 100:      {profile:.3f} s")
    print(f"chi_1 grid 60 x 60, tanh:       {grid:.3f} s")
    print(f"theory share of a 50x1024 run:  {share:.3f} (prediction / whole run)")


if __name__ == "__main__":
    main()
