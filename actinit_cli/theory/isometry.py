"""Dynamical isometry: the mean and variance of the squared singular values of the input-output Jacobian
J = W^1 D^1 ... W^L D^L of a wide MLP, from free probability (Pennington, Schoenholz & Ganguli 2017,
arXiv:1711.04735, eqs. 16-18).

With mu_k(q) = E[phi'(sqrt(q) z)^(2k)], z ~ N(0, 1), and s_1 the first coefficient of the S-transform of
W W^T / sigma_w^2 (S(z) = 1 + s_1 z + ...): s_1 = -1 for iid weights (Marchenko-Pastur; any iid
distribution), 0 for orthogonal weights. The S-transform of a product of asymptotically free factors is
the product of theirs, and a factor of mean m_1 and variance v has S(z) = (1 - z v / m_1^2 + ...) / m_1,
so layer by layer (q^l the layer's pre-activation second moment, its own sigma_w^2):

    m_1 = mean sv^2 = prod_l sigma_w,l^2 mu_1(q^l)                        (= chi_1^L at the fixed point)
    Var sv^2 / m_1^2 = sum_l ( mu_2(q^l) / mu_1(q^l)^2 - 1 - s_1,l )        (= L (mu_2/mu_1^2 - 1 - s_1))

Exact in the wide limit for square weight matrices; at the fixed point q* it is the paper's eq. (18).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from actinit_cli.errors import ActinitError
from actinit_cli.nn.activations import Activation
from actinit_cli.theory.gaussian import elementwise, expect

S1 = {"orthogonal": 0.0}  # the first S-transform coefficient of W W^T by weight family; others (iid): IID_S1
IID_S1 = -1.0  # Marchenko-Pastur with aspect ratio 1: E[(W W^T)^2] = 2 E[W W^T]^2 (normalised), s_1 = 1 - 2


def s1(family: str) -> float:
    """s_1 of an initializer family (nn/distributions.Expected.family): 0 orthogonal, -1 any iid family."""
    return S1.get(family, IID_S1)


@dataclass(frozen=True)
class Isometry:
    """The predicted mean and variance of the squared singular values, and the variance over the mean^2."""

    sv2_mean: float
    sv2_var: float
    sv2_var_rel: float


def mu(act: Activation, q: float) -> tuple[float, float]:
    """(mu_1, mu_2) = (E[phi'(u)^2], E[phi'(u)^4]), u ~ N(0, q)."""
    act = elementwise(act)
    d2 = expect(lambda x: act.derivative(x) ** 2, q, act.kinks)
    d4 = expect(lambda x: act.derivative(x) ** 4, q, act.kinks)
    return float(d2), float(d4)


def predict(acts: Sequence[Activation], q: Sequence[float], sw2: Sequence[float], s1s: Sequence[float]) -> Isometry:
    """Layer l = 1..L: its activation `acts[l-1]`, pre-activation second moment `q[l-1]`, forward sigma_w^2
    `sw2[l-1]` and the s_1 of its weights `s1s[l-1]` (see the module's formula)."""
    if not len(acts) == len(q) == len(sw2) == len(s1s) or not acts:
        raise ActinitError(f"isometry: one activation, q, sigma_w^2 and s_1 per layer; got {len(acts)}, {len(q)}, "
                           f"{len(sw2)}, {len(s1s)}")
    log_m1, rel = 0.0, 0.0
    for act, ql, w, s in zip(acts, q, sw2, s1s):
        m1, m2 = mu(act, ql)
        if not (m1 > 0 and w > 0):
            raise ActinitError(f"isometry: sigma_w^2 = {w:g}, E[phi'^2] = {m1:g} at q = {ql:g} ({act.name}): "
                               f"the Jacobian is 0")
        log_m1 += math.log(w * m1)
        rel += m2 / (m1 * m1) - 1.0 - s
    mean = math.exp(log_m1) if log_m1 < 700 else math.inf  # e^709 is float64's largest
    return Isometry(mean, mean * mean * rel, rel)
