"""Mean-field theory of deep MLPs at initialisation: the per-layer profile with a finite-width band
(fixed points, phases, gains and the critical line are in `phase`).

Layers: 0 is the input x, 1..depth are hidden (h^l = y^{l-1} W^l + b^l, y^l = phi(h^l)), depth + 1 is
the output (activation psi). W^l has shape (n_{l-1}, n_l) and variance v_l: the forward maps see
sigma_w^2 = n_{l-1} v_l (fan_in), the backward map n_l v_l (fan_out); `sw2_fwd`, `sw2_bwd` (and a
per-layer `sb2`) hold one entry per weight matrix, [l - 1] for W^l (docs/reference-numbers.md
section F). Poole et al. 2016, arXiv:1606.05340; Schoenholz et al. 2017, arXiv:1611.01232.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from actinit_cli.nn import activations
from actinit_cli.nn.activations import Activation
from actinit_cli.errors import ActinitError
from actinit_cli.theory.gaussian import Moments, check_q, elementwise, expect2, moments
from actinit_cli.theory.phase import check_variances

Array = np.ndarray


def sigma_w2(var_w: Sequence[float], widths: Sequence[int]) -> tuple[Array, Array]:
    """(fwd, bwd) per weight matrix: sigma_w^2 = n_{l-1} v_l forward and n_l v_l backward (He 2015 eqs 7-14)."""
    n, v = np.asarray(widths, float), np.asarray(var_w, float)
    return n[:-1] * v, n[1:] * v


@dataclass(frozen=True)
class Profile:
    """Mean-field prediction per layer 0..depth+1; NaN where a quantity does not apply."""

    preact_m2: Array  # q^l = E[h^2] (layer 0: NaN)
    corr: Array  # c^l: correlation of h between two inputs (layer 0: c0)
    act_mean: Array  # E[y] (layer 0: the input x)
    act_m2: Array  # E[y^2]
    act_var: Array  # E[y^2] - E[y]^2, pooled over units and batch
    act_unit_var: Array  # E[y^2] - E[y_a y_b]: per-unit variance of y across the batch
    chi: Array  # sw2_bwd(W^{l+1}) E[phi'(h^l)^2], hidden layers only
    grad_preact_m2: Array  # G_l = E[(dL/dh^l)^2] / E[(dL/dh^{depth+1})^2] = prod_{k=l}^{depth} chi_k
    preact_log_std: Array  # sqrt(Var ln E[h^2]) of one finite-width net on one input (`_band`)
    act_log_std: Array  # sqrt(Var ln E[y^2]), the same for the activations
    sensitivity: Array  # d ln q^l / d ln q^1 = prod_{k<l} s_k; above 2 the curve is only indicative
    output_predicted: bool = True  # False when psi is not elementwise (softmax): its act stats are NaN
    output_note: str = ""  # why not
    grad_act_m2: Array | None = None  # E[(dL/dy^l)^2] / E[(dL/dh^{depth+1})^2] (blocks: dL/d(stream)); output NaN
    branch_share: Array | None = None  # blocks: alpha^2 E[F^2] / E[s^2] per row (theory/blocks.py)
    norm_in_m2: Array | None = None  # blocks: E[(norm input)^2] per row

    @property
    def band_hi(self) -> Array:
        """exp(2 preact_log_std): the measured E[h^2] should lie within [q / band, q * band]."""
        return np.exp(2 * self.preact_log_std)

    @property
    def act_band_hi(self) -> Array:
        """exp(2 act_log_std), the same for E[y^2]."""
        return np.exp(2 * self.act_log_std)


def _network(sw2_fwd, sw2_bwd, sb2, widths) -> tuple[Array, Array, Array, Array]:
    """Validated (widths, fwd, bwd, sb2); the last three broadcast to one entry per weight matrix."""
    n = np.asarray(widths)
    if n.ndim != 1 or n.size < 2 or np.any(n < 1) or np.any(n != np.round(n)):
        raise ActinitError(f"widths: expected n_0, ..., n_(depth+1), at least two integers >= 1; got {widths!r}")
    try:
        per = [np.broadcast_to(np.asarray(v, float), (n.size - 1,)) for v in (sw2_fwd, sw2_bwd, sb2)]
    except ValueError:
        raise ActinitError(f"sigma_w^2 and sigma_b^2: expected a number or {n.size - 1} numbers (one per weight "
                           f"matrix W^1..W^{n.size - 1}) for widths {list(n)}")
    return (n.astype(int), check_variances(per[0], "sigma_w^2 (forward, per weight matrix)"),
            check_variances(per[1], "sigma_w^2 (backward, per weight matrix)"), check_variances(per[2], "sigma_b^2", True))


def _forward(phis: Sequence[Activation], fwd: Array, sb2: Array, q0: float, c0: float):
    """q^l, c^l for l = 0..depth+1, and the hidden layers' Moments and kernels E[phi_l(u_a) phi_l(u_b)]
    (phis[l - 1] is hidden layer l's activation).

    Layer 1 sees x itself: E[x^2] = q0 and E[x_a x_b] = c0 q0 instead of phi's moments.
    """
    q, c = np.empty(fwd.size + 1), np.empty(fwd.size + 1)
    q[0], c[0] = q0, c0
    mom, kern = [], []
    for l in range(1, fwd.size + 1):
        if l > 1:
            phi = phis[l - 2]
            mom.append(moments(phi, q[l - 1]))
            kern.append(expect2(phi.fn, phi.fn, q[l - 1], q[l - 1], c[l - 1], phi.kinks))
        m2, k = (mom[-1].m2, kern[-1]) if mom else (q0, c0 * q0)
        q[l] = float(check_q(fwd[l - 1] * m2 + sb2[l - 1], f"q^{l} (layer {l})"))
        if q[l] == 0:
            raise ActinitError(f"q0 = {q0!r}: every pre-activation from layer {l} on is exactly 0 (zero input, "
                               f"sigma_b^2 = 0); give the input a non-zero second moment")
        c[l] = min(max((fwd[l - 1] * k + sb2[l - 1]) / q[l], -1.0), 1.0)
    return q, c, mom, kern


def _act_stats(psi: Activation, q: Array, c: Array, mom: list[Moments], kern: list[float], x_mean: float):
    """(mean, m2, unit_var) of y^l: layer 0 the input, hidden from the forward pass, output from psi."""
    mean = np.array([x_mean] + [m.mean for m in mom] + [np.nan])
    m2 = np.array([q[0]] + [m.m2 for m in mom] + [np.nan])
    unit = np.array([q[0] * (1 - c[0])] + [m.m2 - k for m, k in zip(mom, kern)] + [np.nan])
    if psi.grad is not None:
        out = moments(psi, q[-1])
        mean[-1], m2[-1] = out.mean, out.m2
        unit[-1] = out.m2 - expect2(psi.fn, psi.fn, q[-1], q[-1], float(c[-1]), psi.kinks)
    return mean, m2, unit


def _band(fwd: Array, sb2: Array, widths: Array, q: Array, mom: list[Moments]) -> tuple[Array, Array, Array]:
    """(std of ln E[h^2], std of ln E[y^2], sensitivity) per layer for one net on one input.

    The scale q^l = f(P^{l-1}) of layer l's pre-activations follows delta_{l+1} = s_l delta_l + eta_l
    (docs/reference-numbers.md section W, after Hanin & Rolnick 2018, arXiv:1803.01719): s_l = q f'(q) / f(q) with
    f(q) = sigma_w^2 E[phi(sqrt(q) z)^2] + sigma_b^2, and Var eta_l = sigma_w^4 (E[phi^4] - E[phi^2]^2) /
    (n_l f(q^l)^2), the fluctuation of the mean of phi^2 over n_l units (layer 1's scale is exact given x).
    The measured E[h^2] of layer l averages n_l Gaussian h^2 of that scale, which adds 2 / n_l; E[y^2] of
    a hidden layer is P^l = (f(P^l) - sigma_b^2) / sigma_w^2. Simulation (1000 nets, one input): SELU
    64 x 20 std ln E[h^2] 0.297, this 0.303; tanh 64 x 20 0.465 vs 0.467; ReLU 128 x 30 1.085 vs 1.071.
    """
    var, sens = np.full(q.size, np.nan), np.full(q.size, np.nan)
    var[1], sens[1] = 0.0, 1.0
    act = np.full(q.size, np.nan)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # a scale q that underflowed to 0 (a
        for l, m in enumerate(mom, start=1):  # vanishing net) or overflowed has no band: nan, no warning line
            s = q[l] * fwd[l] * m.dm2 / q[l + 1]
            eta = fwd[l] ** 2 * max(m.m4 - m.m2**2, 0.0) / (widths[l] * q[l + 1] ** 2)
            var[l + 1], sens[l + 1] = s * s * var[l] + eta, sens[l] * s
            act[l] = math.sqrt(var[l + 1]) * q[l + 1] / (fwd[l] * m.m2) if m.m2 > 0 else math.nan
    preact = np.sqrt(var + np.concatenate([[np.nan], 2.0 / widths[1:]]))
    act[0], act[-1] = 0.0, preact[-1]  # the input is given; the output's spread is taken as its h's
    return preact, act, sens


def _output(output_act: Any) -> tuple[Activation, str]:
    """psi (identity when None) and why its outputs cannot be predicted ('' when they can)."""
    psi = output_act if isinstance(output_act, Activation) else activations.get(
        output_act or "identity", "output activation")
    why = f"'{psi.name}' is not elementwise: mean-field theory predicts its pre-activations, not its outputs"
    return psi, "" if psi.grad is not None else why


def profile(act: Any, sw2_fwd: Any, sw2_bwd: Any, sb2: Any, q0: float, c0: float, widths: Sequence[int],
            output_act: Any = None, input_mean: float | None = None) -> Profile:
    """Per-layer mean-field profile: q^l = sigma_w^2 E[phi(sqrt(q^{l-1}) z)^2] + sigma_b^2 (q^1 = sigma_w^2
    q0 + sigma_b^2), the same map for the covariance of two inputs, and G_l = prod_{k>=l} chi_k; the
    gradient of each layer's output y^l is E[(dL/dy^l)^2] = sigma_w^2(fan_out of W^{l+1}) G_{l+1}.

    `act` is one activation, or a list of one per hidden layer (phi_l at [l - 1]: every map takes its own
    layer's). q0 = E[x^2], c0 = E[x_a x_b] / q0; input_mean defaults to sqrt(c0 q0), the mean of iid inputs
    x ~ N(mu, s^2) (q0 = mu^2 + s^2, c0 = mu^2 / q0). Schoenholz et al. 2017, arXiv:1611.01232.
    """
    (psi, note) = _output(output_act)
    widths, fwd, bwd, sb2 = _network(sw2_fwd, sw2_bwd, sb2, widths)
    phis = [elementwise(a) for a in act] if isinstance(act, (list, tuple)) else [elementwise(act)] * (fwd.size - 1)
    if len(phis) != fwd.size - 1:
        raise ActinitError(f"activations: {len(phis)} for {fwd.size - 1} hidden layers; give one per hidden layer")
    q0 = float(check_q(q0, "q0 (input second moment)"))
    if not -1.0 <= c0 <= 1.0:
        raise ActinitError(f"c0 (input correlation) = {c0!r}: must lie in [-1, 1]")
    q, c, mom, kern = _forward(phis, fwd, sb2, q0, c0)
    x_mean = math.sqrt(max(c0, 0.0) * q0) if input_mean is None else float(input_mean)
    mean, m2, unit = _act_stats(psi, q, c, mom, kern, x_mean)
    chi = np.array([np.nan] + [b * m.d2 for b, m in zip(bwd[1:], mom)] + [np.nan])
    grad = np.append(np.cumprod(chi[-2:0:-1])[::-1], 1.0)
    log_std, act_std, sens = _band(fwd, sb2, widths, q, mom)
    preact = np.concatenate([[np.nan], q[1:]])
    g_act = np.append(bwd * grad, np.nan)  # dL/dy^l = dL/dh^{l+1} W^{l+1 T}, l = 0..depth
    return Profile(preact, c, mean, m2, m2 - mean**2, unit, chi, np.append(np.nan, grad), log_std, act_std, sens,
                   psi.grad is not None, note, grad_act_m2=g_act)
