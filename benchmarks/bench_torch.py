"""Benchmark: actinit's hooks and statistics on a torch model against a plain torch forward + backward of the
same model and batch, side by side in one process, interleaved round by round, so a noisy shared machine
affects both sides alike.

    python benchmarks/bench_torch.py [--rounds 7]

Target (issue 14): measured forward + backward <= 1.5 x the plain one, for each model.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

from actinit_cli.run import memory
from actinit_cli.torch.fold import input_gradient
from actinit_cli.torch.measure import one_blas_thread
from actinit_cli.torch.record import Recorder

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import torch_models  # noqa: E402  (examples/torch_models.py)

TARGET = 1.5


def models() -> dict[str, tuple[torch.nn.Module, tuple[int, ...]]]:
    """name -> (model, batch shape): the examples at sizes where a forward + backward takes 50-500 ms."""
    torch.manual_seed(0)
    return {"small_cnn (32 ch, 4 blocks), batch 128 x 3x32x32": (torch_models.small_cnn(32, 4), (128, 3, 32, 32)),
            "residual_mlp (width 512, 8 blocks), batch 1024": (torch_models.residual_mlp(512, 8, 256), (1024, 256)),
            "plain_mlp (width 1024, 10 layers), batch 1024": (torch_models.plain_mlp(1024, 10, 1024, "ReLU"),
                                                               (1024, 1024))}


def plain(model: torch.nn.Module, x: torch.Tensor, r: torch.Tensor) -> float:
    start = time.perf_counter()
    (model(x) * r).sum().backward()
    model.zero_grad(set_to_none=True)
    return time.perf_counter() - start


def measured(model: torch.nn.Module, x: torch.Tensor, r: torch.Tensor) -> float:
    """What a torch run does per batch: hooks on every leaf module, statistics, parameter gradients and dL/dx where
    a run measures it (fold.input_gradient)."""
    start = time.perf_counter()
    rec = Recorder(model)
    xr = x.clone().requires_grad_(input_gradient(model))
    out = model(rec.start(xr))
    (out * r).sum().backward()
    rec.finish(xr, out)
    rec.close()
    model.zero_grad(set_to_none=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    memory.keep_freed_memory()  # as the actinit command does (actinit_cli/run/memory.py)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; median over {args.rounds} interleaved rounds")
    failed = False
    with one_blas_thread():
        for name, (model, shape) in models().items():
            x = torch.randn(*shape)
            r = torch.randn_like(model(x)).detach()
            plain(model, x, r), measured(model, x, r)  # warm up both (allocator, hooks)
            ratios, base = [], []
            for k in range(args.rounds):  # alternate which side goes first, so neither inherits warm caches
                m, p = (measured(model, x, r), plain(model, x, r)) if k % 2 else \
                    tuple(reversed((plain(model, x, r), measured(model, x, r))))
                ratios.append(m / p)
                base.append(p)
            ratio = statistics.median(ratios)
            verdict = "PASS" if ratio <= TARGET else "FAIL"
            failed |= verdict == "FAIL"
            print(f"{name}: plain {statistics.median(base) * 1e3:.0f} ms; measured / plain median {ratio:.3f} "
                  f"(rounds {min(ratios):.2f}-{max(ratios):.2f})   target <= {TARGET}  {verdict}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
