"""The wide-limit spectrum of the input-output Jacobian (theory/isometry.py) against the closed forms of
Pennington, Schoenholz & Ganguli 2017 (arXiv:1711.04735, Table 1 and eq. 18) and SciPy quadrature."""

import math

import numpy as np
import pytest
from scipy import integrate

from actinit_cli.errors import ActinitError
from actinit_cli.nn import activations
from actinit_cli.theory import isometry

GAUSS, ORTHO = isometry.s1("normal"), isometry.s1("orthogonal")


def test_s1_by_family():
    assert (GAUSS, ORTHO) == (-1.0, 0.0)
    assert isometry.s1("uniform") == isometry.s1("truncated_normal") == -1.0  # any iid family: Marchenko-Pastur


@pytest.mark.parametrize("name, q", [("tanh", 0.3), ("tanh", 2.0), ("gelu", 1.0), ("softsign", 0.7), ("selu", 1.0)])
def test_mu_against_scipy(name, q):
    act = activations.get(name)

    def moment(k):
        f = lambda z: act.derivative(np.array([math.sqrt(q) * z]))[0] ** (2 * k) * math.exp(-z * z / 2)
        return integrate.quad(f, -np.inf, np.inf, points=None, epsabs=1e-13, limit=200)[0] / math.sqrt(2 * math.pi)

    mu1, mu2 = isometry.mu(act, q)
    assert mu1 == pytest.approx(moment(1), rel=1e-9) and mu2 == pytest.approx(moment(2), rel=1e-9)


@pytest.mark.parametrize("name, sw2, s1, mean, rel_per_layer", [
    # Pennington et al. 2017, Table 1: var(JJ^T) / L at mean 1
    ("identity", 1.0, GAUSS, 1.0, 1.0),
    ("identity", 1.0, ORTHO, 1.0, 0.0),
    ("relu", 2.0, GAUSS, 1.0, 2.0),  # mu_1 = mu_2 = 1/2 at every q: 1/(1/4) - 1 + 1
    ("relu", 2.0, ORTHO, 1.0, 1.0),  # ReLU never reaches isometry
    ("relu", 1.0, ORTHO, 0.5, 1.0),  # Xavier/ReLU: the mean halves every layer, the relative spread does not care
])
def test_closed_forms(name, sw2, s1, mean, rel_per_layer):
    for depth in (1, 4, 32):
        p = isometry.predict([activations.get(name)] * depth, [0.7] * depth, [sw2] * depth, [s1] * depth)
        assert p.sv2_mean == pytest.approx(mean**depth, rel=1e-12)
        assert p.sv2_var_rel == pytest.approx(rel_per_layer * depth, abs=1e-9)
        assert p.sv2_var == pytest.approx(p.sv2_var_rel * p.sv2_mean**2, rel=1e-12)


def test_tanh_near_zero_q_is_isometric_only_with_orthogonal_weights():
    """Pennington et al. 2017: tanh at q* = 1/64 on the critical line: var(JJ^T) / L = 1.0017 (Gaussian) and
    0.0017 (orthogonal); here with sigma_w^2 = 1 / mu_1 so that the mean is exactly 1."""
    tanh, q = activations.get("tanh"), 1 / 64
    mu1, _ = isometry.mu(tanh, q)
    for s1, expected in ((GAUSS, 1.0017), (ORTHO, 0.0017)):
        p = isometry.predict([tanh] * 10, [q] * 10, [1 / mu1] * 10, [s1] * 10)
        assert p.sv2_mean == pytest.approx(1.0, rel=1e-12)
        assert p.sv2_var_rel / 10 == pytest.approx(expected, abs=1e-4)


def test_a_zero_jacobian_and_mismatched_lengths_are_refused():
    with pytest.raises(ActinitError, match="E\\[phi'\\^2\\] = 0"):
        isometry.predict([activations.get("relu")], [0.0], [2.0], [GAUSS])
    with pytest.raises(ActinitError, match="sigma_w\\^2 = 0, "):  # was math.log(0): a ValueError
        isometry.predict([activations.get("tanh")], [1.0], [0.0], [GAUSS])
    with pytest.raises(ActinitError, match="one activation, q, sigma_w\\^2 and s_1 per layer"):
        isometry.predict([activations.get("relu")], [1.0, 1.0], [2.0], [GAUSS])
