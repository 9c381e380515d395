"""Variance-preserving gains from Gaussian moments, beside PyTorch's `calculate_gain` (the activations
carry PyTorch's value). sigma_w^2 = gain^2; Keras/JAX `variance_scaling(scale=gain^2, mode=fan_in)`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from actinit_cli.nn import activations
from actinit_cli.theory.gaussian import elementwise, moments


@dataclass(frozen=True)
class Gains:
    """Gains (sigma_w^2 = gain^2): g_q = 1/sqrt(E[phi(z)^2]) keeps q = 1 fixed (sigma_b = 0), g_chi =
    1/sqrt(E[phi'(z)^2]) gives chi_1 = 1 at q = 1, torch = calculate_gain (None where PyTorch has none)."""

    g_q: float
    g_chi: float
    torch: float | None


def gains(act: Any) -> Gains:
    """The Gains of act: g_q = E[phi(z)^2]^-1/2, g_chi = E[phi'(z)^2]^-1/2 (tanh 1.59254 beside PyTorch's
    5/3; docs/reference-numbers.md section C)."""
    phi = elementwise(act)
    m = moments(phi, 1.0)
    return Gains(1 / math.sqrt(m.m2), 1 / math.sqrt(m.d2), phi.torch_gain)


def gain_rows(refs: list[Any] | None = None) -> list[dict]:
    """`actinit gain`'s rows: the activation (with the parameters it was given), g_q, g_chi, PyTorch's gain
    and the moments behind them; every elementwise activation when `refs` is None."""
    if refs is None:
        refs = [n for n in activations.REGISTRY.names() if not activations.get(n).output_only]
    rows = []
    for ref in refs:
        act = activations.REGISTRY.get(ref, "activation")
        g = gains(act)
        given = "".join(f" {k}={v}" for k, v in act.params.items() if isinstance(ref, dict) and k in ref)
        rows.append({"activation": act.name + given, "g_q": g.g_q, "g_chi": g.g_chi, "torch": g.torch,
                     "m2": 1 / g.g_q**2, "d2": 1 / g.g_chi**2})
    return rows
