"""Gains against docs/reference-numbers.md section C (moments, PyTorch's calculate_gain) and section S."""

import math

import pytest

from actinit_cli.theory import gains as GA
from actinit_cli.theory import gaussian as G
from actinit_cli.theory import phase as P
from tests.cases import SELU_CHI1


# docs/reference-numbers.md section C: (activation, E[phi(z)], E[phi(z)^2], g* = 1/sqrt(E[phi^2]), E[phi'(z)^2]),
# printed to 5 decimals (None: not given there). g_chi = 1/sqrt(E[phi'^2]).
GAIN_TABLE = [
    ("identity", 0.0, 1.0, 1.0, 1.0),
    ("relu", 0.39894, 0.5, 1.41421, 0.5),
    ({"name": "leaky_relu", "negative_slope": 0.01}, 0.39495, 0.50005, 1.41414, 0.50005),
    ({"name": "leaky_relu", "negative_slope": 0.2}, 0.31915, 0.52, 1.38675, 0.52),
    ({"name": "leaky_relu", "negative_slope": 0.3}, 0.27926, 0.545, 1.35457, 0.545),
    ("tanh", 0.0, 0.39429, 1.59254, 0.46440),
    ("sigmoid", 0.5, 0.29338, 1.84623, 0.04484),
    ("softplus", 0.80606, 0.92125, 1.04187, 0.29338),
    ("softsign", 0.0, 0.18301, 2.33753, 0.22767),
    ("elu", 0.16052, 0.64495, 1.24520, 0.66810),
    ("selu", 0.0, 1.0, 1.0, 1.07157),
    ("gelu", 0.28209, 0.42522, 1.53353, 0.45585),
    ({"name": "gelu", "approximate": True}, 0.28204, 0.42519, 1.53358, None),
    ("silu", 0.20662, 0.35578, 1.67653, 0.37948),
    ("mish", 0.24040, 0.45234, 1.48685, None),
    ("hard_sigmoid", 0.5, 0.27764, 1.89784, 0.02770),
]


@pytest.mark.parametrize("act, mean, m2, g, d2", GAIN_TABLE, ids=[str(r[0]) for r in GAIN_TABLE])
def test_gaussian_moments_and_gains_table(act, mean, m2, g, d2):
    m, gains = G.moments(act, 1.0), GA.gains(act)
    assert (m.mean, m.m2, gains.g_q) == pytest.approx((mean, m2, g), abs=6e-6)
    if d2 is not None:
        assert m.d2 == pytest.approx(d2, abs=6e-6)
        assert gains.g_chi == pytest.approx(1 / math.sqrt(d2), rel=3e-6 / d2)  # d2 printed to 5 decimals


# Section C: torch.nn.init.calculate_gain.
TORCH_GAINS = [("identity", 1.0), ("sigmoid", 1.0), ("tanh", 5 / 3), ("relu", math.sqrt(2)),
               ("leaky_relu", 1.4141428), ({"name": "leaky_relu", "negative_slope": 0.0}, 1.4142136),
               ({"name": "leaky_relu", "negative_slope": math.sqrt(5)}, 0.5773503), ("selu", 0.75),
               ("gelu", None), ("silu", None), ("elu", None), ("mish", None), ("hard_tanh", None)]


@pytest.mark.parametrize("act, want", TORCH_GAINS, ids=[str(a) for a, _ in TORCH_GAINS])
def test_torch_calculate_gain(act, want):
    got = GA.gains(act).torch
    assert got is None if want is None else got == pytest.approx(want, rel=1e-7)


def test_selu_gains_and_chi1():
    """Klambauer 2017: LeCun is exactly variance-preserving for SELU (g_q = 1) and chi_1 = 1.07157."""
    assert GA.gains("selu").g_q == pytest.approx(1.0, abs=1e-12)
    assert P.chi1("selu", 1.0, 1.0) == pytest.approx(SELU_CHI1, rel=1e-12)
    assert round(SELU_CHI1, 6) == 1.071575  # section S: 1.071575; section C: 1.07157
