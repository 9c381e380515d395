"""Mean-field profile of a network of blocks (`nn/blocks.py`): the maps of `theory/streams.py` walked
through every block, forward for the moments, backward for the gradients, into the per-row Profile that
the overlay writes beside the measurement.

What it gives in closed form, z ~ N(0, 1), q_l = E[x_l^2] the stream after block l, kappa(u) = sigma_w^2
E[phi(u)^2] + sigma_b^2 and chi(u) = sigma_w^2 E[phi'(u)^2] of the branch on its input u:

  residual, no norm, [act, dense] (Yang & Schoenholz 2017, arXiv:1712.08969, eqs. for the "full residual"
  network with the pre-activation unit):
      q_l = q_{l-1} + alpha^2 kappa(sqrt(q_{l-1}) z),   E[g_{l-1}^2] = E[g_l^2] (1 + alpha^2 chi(sqrt(q_{l-1}) z))
      (ReLU with He, kappa = q: q_l = (1 + alpha^2)^l q_0, bounded by e^(alpha^2 L) q_0, so alpha = 1/sqrt(L)
      keeps it within e)
  pre-norm (Xiong et al. 2020, arXiv:2002.04745, Pre-LN): the branch sees N(x), of second moment r = V/(V+eps)
  whatever q: q_l = q_{l-1} + alpha^2 kappa(sqrt(r) z), linear growth; dL/dx picks up the norm's 1/(V+eps):
      E[g_{l-1}^2] = E[g_l^2] (1 + alpha^2 chi(sqrt(r) z) / (V_{l-1} + eps))
  post-norm (Post-LN): x_l = N(s_l), s_l = x_{l-1} + alpha F(x_{l-1}): q_l = V_s / (V_s + eps), fixed; the
  gradient passes the norm, then the sum:
      E[g_{l-1}^2] = E[g_l^2] (1 + alpha^2 chi(x_{l-1})) / (V_{s_l} + eps)
  [dense, act]: F = phi(h) has a mean, so the stream acquires one: M_l = M_{l-1} + alpha E[phi(h)], and
      q_l = q_{l-1} + 2 alpha M_{l-1} E[phi(h)] + alpha^2 E[phi(h)^2], h ~ N(0, sigma_w^2 q_{l-1} + sigma_b^2)
      (the next branch starts with a dense layer, which needs only q); E[g_{l-1}^2] = E[g_l^2] (1 + alpha^2
      sigma_w^2 E[phi'(h)^2])
  [act, dense, act, dense]: the maps composed (two dense layers, two activations);
  no residual: the branch alone (with its norm), a plain MLP with a norm in every layer.

BatchNorm has none (`streams.norm` says why), nor has an activation on a signal that is not Gaussian.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from actinit_cli.errors import ActinitError
from actinit_cli.nn.activations import Activation
from actinit_cli.nn.architecture import Architecture
from actinit_cli.theory import streams as S
from actinit_cli.theory.gaussian import expect2, moments as zero_mean_moments
from actinit_cli.theory.profile import Profile

FLOOR_SD = 1e-4  # a band never narrower than exp(+-2e-4): float32 statistics are good to ~1e-6, at worst 6e-5


@dataclass(frozen=True)
class Dense:
    """One dense layer's variances: sigma_w^2 forward (fan_in Var W) and backward (fan_out Var W), sigma_b^2."""

    fwd: float
    bwd: float
    sb2: float


@dataclass(frozen=True)
class BlockParams:
    """Block l: its activation and its dense layers in branch order, its output width."""

    phi: Activation
    dense: tuple[Dense, ...]
    width: int


@dataclass
class Row:
    """What one block's walk gives its row: the stream after it, the last dense output, the branch output, the
    norm's input, and the backward factors of its branch ops (in branch order), the norm and the post-norm."""

    stream: S.Signal
    dense_out: S.Signal
    branch_out: S.Signal
    norm_in: S.Signal | None
    share: float  # alpha^2 E[F^2] / E[s^2], the branch's share of the sum (NaN without residual)
    factors: list[float] = field(default_factory=list)
    pre: float = 1.0
    post: float = 1.0


def _branch(u: S.Signal, arch: Architecture, p: BlockParams, sources: S.Sources) -> tuple[S.Signal, S.Signal, list]:
    """(F, the last dense output, the ops' backward factors) of the branch on its input u."""
    factors, dense_out, k = [], u, 0
    for kind in arch.branch:
        if kind == "act":
            u, d2 = S.act(u, p.phi, p.width, sources)
            factors.append(d2)
        else:
            d = p.dense[k]
            u = dense_out = S.dense(u, d.fwd, d.sb2, p.width, sources)
            factors.append(d.bwd)
            k += 1
    return u, dense_out, factors


def block(x: S.Signal, arch: Architecture, p: BlockParams, sources: S.Sources) -> Row:
    """One block forward (see the module docstring)."""
    pre = post = 1.0
    u = x
    if arch.pre:
        u, pre = S.norm(x, arch.norm)
    f, dense_out, factors = _branch(u, arch, p, sources)
    a2 = arch.alpha * arch.alpha
    s = S.add(x, f, arch.alpha, p.width, sources) if arch.residual else \
        S.Signal(arch.alpha * f.mean, a2 * f.m2, a2 * f.cross, f.gaussian, f.dev,
                 S.combine((arch.alpha, f.mdev)))
    y = s
    if arch.post:
        y, post = S.norm(s, arch.norm)
    share = a2 * f.m2 / s.m2 if arch.residual and s.m2 > 0 else math.nan
    return Row(y, dense_out, f, x if arch.pre else (s if arch.post else None), share, factors, pre, post)


def backward(rows: list[Row], arch: Architecture, head_bwd: float) -> tuple[np.ndarray, np.ndarray]:
    """(G_stream, G_dense) per row 0..depth+1: E[g^2] of dL/d(stream) and dL/d(last dense output) over the
    output's E[(dL/dh)^2]; the output row has G_dense = 1 and no G_stream."""
    depth = len(rows)
    g_stream, g_dense = np.full(depth + 2, np.nan), np.full(depth + 2, np.nan)
    g_dense[-1], g = 1.0, head_bwd
    for l in range(depth, 0, -1):
        row = rows[l - 1]
        g_stream[l] = g
        ds = g * row.post
        grad = arch.alpha * arch.alpha * ds
        last_dense = max(i for i, kind in enumerate(arch.branch) if kind == "dense")
        for i in range(len(arch.branch) - 1, -1, -1):
            if i == last_dense:
                g_dense[l] = grad
            grad *= row.factors[i]
        g = grad * row.pre + (ds if arch.residual else 0.0)
    g_stream[0] = g
    return g_stream, g_dense


@dataclass(frozen=True)
class Network:
    """What the profile needs: the blocks, the head (a dense layer), psi, the input and every row's width."""

    arch: Architecture
    blocks: Sequence[BlockParams]
    head: Dense
    psi: Activation
    widths: Sequence[int]
    input_mean: float
    input_std: float
    gaussian_input: bool = True


def profile(net: Network) -> Profile:
    """The per-row profile (rows 0..depth+1, as layers.csv) of a network of blocks; ActinitError with the
    reason when no exact prediction exists (BatchNorm, an activation on a signal that is not Gaussian)."""
    sources = S.Sources()
    x0 = x = S.input_signal(net.input_mean, net.input_std, net.gaussian_input, net.widths[0], sources)
    if x0.m2 == 0:
        raise ActinitError("the input is exactly 0 (mean and std 0): every signal is 0; give it a non-zero std")
    rows = []
    for p in net.blocks:
        rows.append(block(x, net.arch, p, sources))
        x = S.compress(rows[-1].stream, sources)
    h = S.dense(x, net.head.fwd, net.head.sb2, net.widths[-1], sources)
    g_stream, g_dense = backward(rows, net.arch, net.head.bwd)
    out_mean, out_m2, out_unit, note = _output(net.psi, h)
    streams = [x0] + [r.stream for r in rows]
    preact = [math.nan] + [r.dense_out.m2 for r in rows] + [h.m2]
    mean = np.array([s.mean for s in streams] + [out_mean])
    m2 = np.array([s.m2 for s in streams] + [out_m2])
    unit = np.array([s.m2 - s.cross for s in streams] + [out_unit])
    pre_sd = [math.nan] + [_sd(sources, r.dense_out) for r in rows] + [_sd(sources, h)]
    act_sd = [0.0] + [_sd(sources, r.stream) for r in rows] + [pre_sd[-1]]
    corr = np.array([s.cross / s.m2 for s in streams] + [h.cross / h.m2])
    nan = np.full(len(m2), np.nan)
    share = np.array([math.nan] + [r.share for r in rows] + [math.nan])
    norm_in = np.array([math.nan] + [r.norm_in.m2 if r.norm_in is not None else math.nan for r in rows] + [math.nan])
    return Profile(np.array(preact), corr, mean, m2, m2 - mean * mean, unit, nan, g_dense, np.array(pre_sd),
                   np.array(act_sd), nan, not note, note, grad_act_m2=g_stream, branch_share=share, norm_in_m2=norm_in)


def _sd(sources: S.Sources, s: S.Signal) -> float:
    return math.sqrt(sources.variance(s.dev) + FLOOR_SD * FLOOR_SD)


def _output(psi: Activation, h: S.Signal) -> tuple[float, float, float, str]:
    """(mean, m2, per-unit variance) of psi(h) at the output, NaN with the reason for softmax."""
    if psi.grad is None:
        return math.nan, math.nan, math.nan, (f"'{psi.name}' is not elementwise: mean-field theory predicts its "
                                              f"pre-activations, not its outputs")
    m = zero_mean_moments(psi, h.m2)
    c = min(max(h.cross / h.m2, -1.0), 1.0) if h.m2 > 0 else 1.0
    return m.mean, m.m2, m.m2 - expect2(psi.fn, psi.fn, h.m2, h.m2, c, psi.kinks), ""
