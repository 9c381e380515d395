"""Benchmark: actinit against the PyTorch code a user would otherwise write, side by side in one process.

The same network (depth 50, width 1024, batch 1024, float32, tanh, a random projection at the top) and the
same statistics per layer: the sums of h, h^2, y, y^2 and the per-unit variance of y across the batch,
zero and saturated counts and the dead units, the sums and squares of dL/dy, dL/dh, dL/dW and dL/db, and
the variance of each weight matrix (once per run, as actinit's statistics clock counts it).
PyTorch computes them in forward and backward hooks around autograd (torch.no_grad inside the hooks);
actinit runs its own forward, backward and statistics. Both are timed against the bare matrix products
of the same shape, interleaved, so the machine's noise affects all three alike.

    python benchmarks/bench_vs_torch.py [--depth 50] [--width 1024] [--batch 1024] [--rounds 5]

Target (issue 11): actinit's time <= PyTorch's (ratio actinit / torch <= 1). Needs torch (the `torch`
extra); without it the benchmark says so and exits 0.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

from actinit_cli.run import memory, runner, spec

sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from bench_run import bare_products, verdict  # noqa: E402


def torch_net(torch, depth: int, width: int, seed: int = 0):
    """Linear + tanh layers (Glorot normal weights, zero biases), the top one linear."""
    torch.manual_seed(seed)
    layers = []
    for i in range(depth + 1):
        lin = torch.nn.Linear(width, width)
        torch.nn.init.xavier_normal_(lin.weight)
        torch.nn.init.zeros_(lin.bias)
        layers += [lin] + ([torch.nn.Tanh()] if i < depth else [])
    return torch.nn.Sequential(*layers)


def hooks(torch, net):
    """Forward and backward hooks that take actinit's statistics; returns the dict they fill."""
    out: dict = {}

    def sums(name, t):
        t = t.detach()
        out[name] = (t.sum(dtype=torch.float64).item(), (t.double() ** 2).sum().item())

    def forward(module, inputs, y):
        with torch.no_grad():
            h = inputs[0]
            sums(f"{id(module)}h", h)
            col = y.sum(0, dtype=torch.float64)
            col2 = (y.double() ** 2).sum(0)
            n = y.shape[0]
            out[f"{id(module)}unit"] = (col2 / n - (col / n) ** 2).mean().item()
            out[f"{id(module)}zero"] = (y == 0).sum().item()
            out[f"{id(module)}sat"] = (y.abs() >= 0.99).sum().item()
            out[f"{id(module)}alive"] = (y != 0).any(0)

    def backward(module, grad_in, grad_out):
        with torch.no_grad():
            sums(f"{id(module)}dy", grad_out[0])
            sums(f"{id(module)}dh", grad_in[0])

    for m in net:
        if isinstance(m, torch.nn.Tanh):
            m.register_forward_hook(forward)
            m.register_full_backward_hook(backward)
    return out


def torch_step(torch, net, x, r):
    """The weights' variance, forward, a random projection, backward, and the weight-gradient statistics."""
    for p in net.parameters():
        p.grad = None
    with torch.no_grad():
        for lin in net[::2]:
            lin.weight.double().var(unbiased=False).item()
    y = net(x)
    (y * r).sum().backward()
    with torch.no_grad():
        for lin in net[::2]:
            for p in (lin.weight.grad, lin.bias.grad):
                p.sum(dtype=torch.float64).item(), (p.double() ** 2).sum().item()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for flag, default in (("--depth", 50), ("--width", 1024), ("--batch", 1024), ("--rounds", 5)):
        parser.add_argument(flag, type=int, default=default)
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        print("torch is not installed: pip install \"actinit[torch]\" to compare with PyTorch autograd")
        return
    memory.keep_freed_memory()
    torch.set_num_threads(len(__import__("os").sched_getaffinity(0)))
    s = spec.parse(f"model: {{depth: {args.depth}, width: {args.width}, activation: tanh}}\n"
                   f"data: {{batch_size: {args.batch}}}\nloss: random_projection")
    net = torch_net(torch, args.depth, args.width)
    hooks(torch, net)
    x, r = torch.randn(args.batch, args.width, requires_grad=True), torch.randn(args.batch, args.width)
    rng = np.random.default_rng(0)
    ours, theirs, bares = [], [], []
    runner.execute(s), torch_step(torch, net, x, r)  # warm both up
    for _ in range(args.rounds):
        bares.append(bare_products(args.depth, args.width, args.batch, rng))
        ours.append(runner.execute(s).timings["forward_backward_statistics"])
        start = time.perf_counter()
        torch_step(torch, net, x, r)
        theirs.append(time.perf_counter() - start)
    show(ours, theirs, bares)


def show(ours, theirs, bares) -> None:
    a = statistics.median(o / b for o, b in zip(ours, bares))
    t = statistics.median(o / b for o, b in zip(theirs, bares))
    vs = statistics.median(o / th for o, th in zip(ours, theirs))
    print(f"actinit / bare products:      {a:.3f}")
    print(f"torch autograd / bare products: {t:.3f}")
    print(f"actinit / torch:              {vs:.3f} (rounds {min(o / th for o, th in zip(ours, theirs)):.3f}-"
          f"{max(o / th for o, th in zip(ours, theirs)):.3f})  {verdict(vs, 1.0)}")


if __name__ == "__main__":
    main()
