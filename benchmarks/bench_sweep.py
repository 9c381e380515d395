"""Benchmark: a whole `actinit sweep` with --jobs 2 against --jobs 1, end to end (process start-up, the plan,
the workers, points.csv, the heatmaps and the recommendations), as subprocesses, alternating so a noisy
shared machine affects both alike.

    python benchmarks/bench_sweep.py [--rounds 3]

The grid: 4 points, tanh and relu x glorot_normal and he_normal, depth 40, width 512, batch 1024.
Target (issue 11): --jobs 2 at least 1.8x faster than --jobs 1 on 2 cores.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_run import verdict  # noqa: E402

SPEC = """name: bench
model: {depth: 40, width: 512}
data: {batch_size: 1024}
sweep:
  model.activation: [tanh, relu]
  model.initializer: [glorot_normal, he_normal]
"""


def wall(folder: Path, jobs: int) -> float:
    cmd = [sys.executable, "-m", "actinit_cli", "sweep", "spec.yaml", "--jobs", str(jobs), "--out", f"runs{jobs}"]
    start = time.perf_counter()
    subprocess.run(cmd, cwd=folder, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "spec.yaml").write_text(SPEC)
        pairs = [(wall(folder, 1), wall(folder, 2)) for _ in range(args.rounds)]
    speedups = [one / two for one, two in pairs]
    print(f"4 points (depth 40, width 512, batch 1024), end to end, {args.rounds} rounds")
    print(f"--jobs 1: median {statistics.median(o for o, _ in pairs):.2f} s; --jobs 2: median "
          f"{statistics.median(t for _, t in pairs):.2f} s")
    print(f"speed-up: {statistics.median(speedups):.2f}x (rounds {min(speedups):.2f}-{max(speedups):.2f})  "
          f"{verdict(statistics.median(speedups), 1.8, below=False)}")


if __name__ == "__main__":
    main()
