"""Benchmark: drawing a run's 4 PNGs (variance by layer, the two histograms, saturation) at depth 20.

    python benchmarks/bench_plots.py [--rounds 5]

Target (issue 11): <= 0.4 s once matplotlib is imported (`actinit run` imports it in a thread while the
network computes); the import itself, in a fresh interpreter, is printed beside it.
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

from actinit_cli import plots  # noqa: E402
from actinit_cli.run import report, runner, spec  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    s = spec.parse("model: {depth: 20, width: 512, activation: tanh}\ndata: {batch_size: 1024}")
    run = runner.execute(s)
    plots.preload()
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.rounds + 1):
            folder = Path(tmp) / str(i)
            folder.mkdir()
            start = time.perf_counter()
            names = report.draw_plots(run, folder)
            times.append(time.perf_counter() - start)
    times = times[1:]  # the first also builds matplotlib's font cache entries
    code = "import time; t = time.perf_counter(); from actinit_cli import plots; plots.preload(); " \
           "print(time.perf_counter() - t)"
    cold = float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    median = statistics.median(times)
    print(f"{len(names)} PNGs at depth 20: median {median:.3f} s (rounds {min(times):.3f}-{max(times):.3f})  "
          f"{verdict(median, 0.4)}")
    print(f"importing matplotlib in a fresh interpreter: {cold:.3f} s (overlapped with the run's computation)")


if __name__ == "__main__":
    main()
