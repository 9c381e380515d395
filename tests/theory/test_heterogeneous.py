"""Heterogeneous plain MLPs: each hidden layer with its own activation, weight variance and width. The profile
against an independent recursion (a plain loop, SciPy quadrature) to 1e-10, and a spec with overrides against
measurement at width 1024."""

import math

import numpy as np
import pytest

from actinit_cli.run import runner, spec
from actinit_cli.theory import profile as T
from tests.theory.test_blocks import gauss, phi_of

ACTS = ["tanh", "relu", {"name": "leaky_relu", "negative_slope": 0.2}, "gelu", "selu"]
WIDTHS = [16, 32, 24, 40, 8, 12, 20]  # input, five hidden layers, output


def test_profile_matches_an_independent_recursion():
    var_w = [2.0 / n for n in WIDTHS[:-1]]  # He by fan_in: sigma_w^2 forward = 2, backward n_l * 2 / n_{l-1}
    fwd, bwd = T.sigma_w2(var_w, WIDTHS)
    sb2 = [0.0, 0.01, 0.0, 0.05, 0.0, 0.02]
    prof = T.profile(ACTS, fwd, bwd, sb2, 1.0, 0.0, WIDTHS)
    q, chis = 1.0, []
    for l in range(1, 7):
        m2 = q if l == 1 else gauss(lambda x: phi_of(ACTS[l - 2])[0](x) ** 2, 0.0, q, phi_of(ACTS[l - 2])[2])
        if l > 1:
            fp, kinks = phi_of(ACTS[l - 2])[1], phi_of(ACTS[l - 2])[2]
            chis.append(bwd[l - 1] * gauss(lambda x: fp(x) ** 2, 0.0, q, kinks))
        q = fwd[l - 1] * m2 + sb2[l - 1]
        assert prof.preact_m2[l] == pytest.approx(q, rel=1e-10), l
        if l <= 5:
            f, _, kinks = phi_of(ACTS[l - 1])
            assert prof.act_m2[l] == pytest.approx(gauss(lambda x: f(x) ** 2, 0.0, q, kinks), rel=1e-10), l
    grad = np.cumprod(chis[::-1])[::-1]  # G_l = prod_{k >= l} chi_k over hidden layers 1..5
    np.testing.assert_allclose(prof.grad_preact_m2[1:6], grad, rtol=1e-10)
    np.testing.assert_allclose(prof.grad_act_m2[:6], bwd * np.append(grad, 1.0), rtol=1e-10)


def test_wrong_number_of_activations_is_refused():
    with pytest.raises(Exception, match="2 for 5 hidden layers"):
        T.profile(["tanh", "relu"], 1.0, 1.0, 0.0, 1.0, 0.0, WIDTHS)


def test_overrides_are_measured_as_predicted():
    """A 1024-wide net whose first layer is wider (2048, Glorot uniform) and whose top half uses leaky ReLU with
    its own He variance: every layer inside the band, gradients within 25 % (as the plain MLP's)."""
    s = spec.parse("""
model:
  depth: 8
  width: 1024
  activation: tanh
  initializer: glorot_normal
  layers:
    - {at: 1, width: 2048, initializer: glorot_uniform}
    - {at: "5-8", activation: {name: leaky_relu, negative_slope: 0.2}, initializer: he_normal}
data: {batch_size: 512}
""")
    run = runner.execute(s)
    assert s.sizes == [2048, 2048] + [1024] * 7 + [1024]
    rows = run.rows
    assert sum(r["outside_band"] for r in rows[1:]) <= 1
    for r in rows[1:-1]:
        assert r["grad_preact_m2"] / r["pred_grad_preact_m2"] == pytest.approx(1.0, rel=0.25), r["layer"]
    assert math.isclose(rows[6]["weight_var"], 2 / 1024, rel_tol=0.01)  # he_normal by fan_in at layer 6
    assert math.isclose(rows[1]["weight_var"], 2 / 4096, rel_tol=0.01)  # glorot: 2 / (2048 + 2048)
    assert rows[6]["zero_frac"] == 0 and rows[2]["saturated_frac"] is not None  # leaky vs tanh
    assert any("activation varies" in n for n in run.notes)
