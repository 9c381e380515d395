"""Networks of blocks: residual and normalized MLPs on the layers of `nn/layers.py`.

Block l (1..depth) maps the stream x[l-1] to x[l]:

    residual, pre-norm (or no norm):  x[l] = x[l-1] + alpha * F(N(x[l-1]))     (Xiong et al. 2020's Pre-LN)
    residual, post-norm:              x[l] = N(x[l-1] + alpha * F(x[l-1]))     (Post-LN, as the Transformer)
    no residual:                      x[l] = F(N(x[l-1]))  or  N(F(x[l-1]))

F is the branch, [act, dense] (W phi(x) + b: He et al. 2016's pre-activation unit, the exact case of Yang &
Schoenholz 2017, arXiv:1712.08969), [dense, act] or [act, dense, act, dense]; N is a norm of `nn/norms.py`
or nothing. The first dense layer of a branch maps n[l-1] to n[l] units, a second one n[l] to n[l]. After
the last block a dense head and the output activation make layer depth + 1, as in `nn/mlp.py`:
h = x[depth] @ W + b, y = psi(h). x[0] is the input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import numpy as np

from actinit_cli.nn import layers as L
from actinit_cli.nn import mlp, norms
from actinit_cli.nn.activations import Activation
from actinit_cli.nn.architecture import Architecture
from actinit_cli.nn.initializers import Initializer

@dataclass(frozen=True)
class Taps:
    """Where a block's statistics are read: the stream after it, its last dense output, its last activation's
    output, the norm's input (None without norm) and the branch output F."""

    stream: np.ndarray
    dense_out: np.ndarray
    act_out: np.ndarray
    norm_in: np.ndarray | None
    branch_out: np.ndarray


@dataclass
class Cache:
    branch: L.Trace
    norm: norms.Cache | None
    taps: Taps


@dataclass(frozen=True)
class Grads:
    """A block's gradients: dL/d(stream after it), dL/d(last dense output), dL/dW and dL/db of each dense
    layer in branch order, dL/dgamma and dL/dbeta of its norm (empty without norm)."""

    stream: np.ndarray
    dense_out: np.ndarray
    dW: list[np.ndarray]
    db: list[np.ndarray]
    norm: dict[str, np.ndarray]


@dataclass(frozen=True)
class Block:
    """One block as a layer: forward and its vector-Jacobian product (see the module docstring)."""

    branch: tuple[L.Layer, ...]
    arch: Architecture
    norm: L.Normalize | None

    def _last(self, kind: type) -> int:
        return max(i for i, layer in enumerate(self.branch) if isinstance(layer, kind))

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, Cache]:
        a = self.arch
        u, ncache = self.norm.forward(x) if a.pre else (x, None)
        f, trace = L.chain_forward(self.branch, u)
        with np.errstate(all="ignore"):
            scaled = f * f.dtype.type(a.alpha) if a.alpha != 1 else f
            s = x + scaled if a.residual else scaled
        y, ncache = self.norm.forward(s) if a.post else (s, ncache)
        taps = Taps(y, trace.outs[self._last(L.Dense)], trace.outs[self._last(L.Act)],
                    x if a.pre else (s if a.post else None), f)
        return y, Cache(trace, ncache, taps)

    def backward(self, cache: Cache, dy: np.ndarray) -> tuple[np.ndarray, Grads]:
        """(dL/dx, the block's Grads) from dL/dy."""
        a, ngrads = self.arch, {}
        ds, ngrads = self.norm.vjp(cache.norm, dy) if a.post else (dy, ngrads)
        with np.errstate(all="ignore"):
            df = ds * ds.dtype.type(a.alpha) if a.alpha != 1 else ds
        du, douts, grads = L.chain_vjp(self.branch, cache.branch, df)
        dx, ngrads = self.norm.vjp(cache.norm, du) if a.pre else (du, ngrads)
        if a.residual:
            with np.errstate(all="ignore"):
                dx = dx + ds
        dense = [i for i, layer in enumerate(self.branch) if isinstance(layer, L.Dense)]
        return dx, Grads(dy, douts[self._last(L.Dense)], [grads[i]["W"] for i in dense],
                         [grads[i]["b"] for i in dense], ngrads)

    def vjp(self, cache: Cache, dy: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The Layer protocol: dL/dx and every parameter's gradient by name (W1, b1, W2, b2, gamma, beta)."""
        dx, g = self.backward(cache, dy)
        named = {f"{k}{i}": v for i, (w, b) in enumerate(zip(g.dW, g.db), start=1) for k, v in (("W", w), ("b", b))}
        return dx, named | g.norm

    @property
    def dense(self) -> list[L.Dense]:
        return [layer for layer in self.branch if isinstance(layer, L.Dense)]

    @property
    def activation(self) -> Activation:
        return self.branch[self._last(L.Act)].phi  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Network:
    """Blocks 1..depth, then the dense head and the output activation (layer depth + 1)."""

    blocks: list[Block]
    head: L.Dense
    output: Activation

    @property
    def sizes(self) -> list[int]:
        return [self.blocks[0].dense[0].W.shape[0]] + [b.dense[-1].W.shape[1] for b in self.blocks] + \
            [self.head.W.shape[1]]

    def activation(self, layer: int) -> Activation:
        """Row `layer`'s activation: the branch's last one for a block, psi for the output."""
        return self.output if layer == len(self.blocks) + 1 else self.blocks[layer - 1].activation


def build(sizes: list[int], arch: Architecture, acts: Sequence[Activation], output: Activation,
          inits: Sequence[Initializer], bias_inits: Sequence[Initializer], dtype: np.dtype,
          seed: np.random.SeedSequence) -> Network:
    """Block l draws its dense layers' W then b, in branch order, from seed.spawn(depth + 1)[l - 1]; the
    head from the last stream (as `mlp.build`: the same numbers on any number of threads). inits[l - 1]
    and acts[l - 1] are block l's (inits[depth] the head's); norms start at gamma = 1, beta = 0."""
    depth = len(sizes) - 2
    streams = seed.spawn(depth + 1)

    def one(i: int) -> Block | L.Dense:
        rng = np.random.default_rng(streams[i])
        if i == depth:
            return _dense(rng, sizes[i], sizes[i + 1], inits[i], bias_inits[i], dtype)
        branch: list[L.Layer] = []
        for kind in arch.branch:
            fan_in = sizes[i] if not any(isinstance(b, L.Dense) for b in branch) else sizes[i + 1]
            branch.append(L.Act(acts[i]) if kind == "act" else
                          _dense(rng, fan_in, sizes[i + 1], inits[i], bias_inits[i], dtype))
        width = sizes[i] if arch.pre else sizes[i + 1]
        norm = L.Normalize.fresh(norms.NORMS[arch.norm], width, dtype) if arch.norm != "none" else None
        return Block(tuple(branch), arch, norm)

    values = sum(a * b for a, b in zip(sizes[:-1], sizes[1:])) * (arch.branch.count("dense"))
    parts = mlp.draw(depth + 1, one, values)
    return Network(parts[:-1], parts[-1], output)  # type: ignore[arg-type]


def _dense(rng: np.random.Generator, fan_in: int, fan_out: int, init: Initializer, bias_init: Initializer,
           dtype: np.dtype) -> L.Dense:
    return L.Dense(init(rng, (fan_in, fan_out), dtype), bias_init(rng, (fan_out,), dtype))


@dataclass
class Tape:
    """What forward keeps for backward: each block's cache, the head's input, h and y of the output."""

    caches: list[Cache | None]
    head_in: np.ndarray
    h: np.ndarray
    y: np.ndarray


Seen = Callable[[int, "np.ndarray | Taps | tuple[np.ndarray, np.ndarray]"], None]


def forward(net: Network, x: np.ndarray, on_row: Seen | None = None) -> Tape:
    """Push x through the blocks and the head. `on_row(row, seen)` sees each row as soon as it exists: the
    input x for row 0, block l's Taps for row l, (h, y) of the output for row depth + 1."""
    visit = on_row or (lambda row, seen: None)
    visit(0, x)
    caches: list[Cache | None] = []
    for row, block in enumerate(net.blocks, start=1):
        x, cache = block.forward(x)
        caches.append(cache)
        visit(row, cache.taps)
    h, _ = net.head.forward(x)
    with np.errstate(all="ignore"):
        y = net.output.fn(h)
    visit(len(net.blocks) + 1, (h, y))
    return Tape(caches, x, h, y)


@dataclass(frozen=True)
class RowGrad:
    """The gradients of one row: the output's (as mlp.LayerGrad), a block's Grads, or the input's dL/dx."""

    row: int
    stream: np.ndarray
    block: Grads | None = None
    head: mlp.LayerGrad | None = None


def backward(net: Network, tape: Tape, dy_out: np.ndarray, dh_out: np.ndarray) -> Iterator[RowGrad]:
    """Each row's gradients from the output down to the input, given dL/dy and dL/dh at the output;
    a block's cache is released once its gradients are out."""
    top = len(net.blocks) + 1
    dx, grads = net.head.vjp(tape.head_in, dh_out)
    yield RowGrad(top, dy_out, head=mlp.LayerGrad(top, dy_out, dh_out, grads["W"], grads["b"]))
    for row in range(top - 1, 0, -1):
        dx, g = net.blocks[row - 1].backward(tape.caches[row - 1], dx)  # type: ignore[arg-type]
        tape.caches[row - 1] = None
        yield RowGrad(row, g.stream, block=g)
    yield RowGrad(0, dx)


def peak_bytes(sizes: list[int], arch: Architecture, batch: int, itemsize: int, save_arrays: bool = False) -> int:
    """An upper estimate of peak memory: per block the arrays its cache keeps (the stream, each branch layer's
    output, the norm's input and normalized copy, the sum), the weights, one block's gradient temporaries and
    float64 copies for the statistics; with save_arrays, twice what is kept."""
    widest = max(sizes)
    per_block = (3 + 2 * len(arch.branch) + (2 if arch.norm != "none" else 0)) * batch * widest
    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:])) * arch.branch.count("dense")
    kept = (per_block * (len(sizes) - 2) + batch * (sizes[0] + 2 * sizes[-1]) + weights) * itemsize
    temps = (6 * batch * widest + 2 * widest * widest) * itemsize + 4 * batch * widest * 8
    return kept * (2 if save_arrays else 1) + temps
