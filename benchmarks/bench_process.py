"""Benchmark: a whole `actinit run SPEC --no-plots` process against a bare NumPy script that performs the same
matrix products (its own process too: Python, numpy's import, the arrays), both as subprocesses, interleaved.

    python benchmarks/bench_process.py [--depth 50] [--width 1024] [--batch 1024] [--rounds 5]

Target (issue 11): actinit <= 1.4 x the bare script.
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

BARE = """
import numpy as np
rng = np.random.default_rng(0)
depth, width, batch = {depth}, {width}, {batch}
x = rng.standard_normal((batch, width), dtype=np.float32)
ws = [rng.standard_normal((width, width), dtype=np.float32) for _ in range(depth + 1)]
for w in ws:  # forward
    x = np.tanh(x @ w)
g = x
for w in reversed(ws):  # backward: dW and dx per layer
    g.T @ g
    g = g @ w.T
"""


def seconds(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for flag, default in (("--depth", 50), ("--width", 1024), ("--batch", 1024), ("--rounds", 5)):
        parser.add_argument(flag, type=int, default=default)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "spec.yaml").write_text(f"name: p\nmodel: {{depth: {args.depth}, width: {args.width}, "
                                          f"activation: tanh}}\ndata: {{batch_size: {args.batch}}}\n")
        (folder / "bare.py").write_text(BARE.format(depth=args.depth, width=args.width, batch=args.batch))
        ours = [sys.executable, "-m", "actinit_cli", "run", "spec.yaml", "--no-plots", "--quiet", "--out", "runs"]
        bare = [sys.executable, "bare.py"]
        seconds(ours, folder), seconds(bare, folder)  # warm the file cache
        pairs = [(seconds(ours, folder), seconds(bare, folder)) for _ in range(args.rounds)]
    ratios = [o / b for o, b in pairs]
    print(f"actinit run --no-plots: median {statistics.median(o for o, _ in pairs):.3f} s; bare NumPy script "
          f"{statistics.median(b for _, b in pairs):.3f} s")
    print(f"actinit / bare script: {statistics.median(ratios):.3f} (rounds {min(ratios):.3f}-{max(ratios):.3f})  "
          f"{verdict(statistics.median(ratios), 1.4)}")


if __name__ == "__main__":
    main()
