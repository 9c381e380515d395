"""Fixed points, phases, depth scales and the critical line against docs/reference-numbers.md table T.A
and section M (with SciPy brentq as an independent solver)."""

import math

import numpy as np
import pytest
from scipy import optimize

from actinit_cli.nn.activations import SELU_ALPHA, SELU_LAMBDA
from actinit_cli.theory import gaussian as G
from actinit_cli.theory import phase as P
from tests.cases import SELU_CHI1, printed


# Table T.A (sigma_b = 0): (act, sw2, q*, chi_1, phase, xi_q, xi_c); q* = 0 rows are
# the q -> 0+ limits; inf where the table says inf.
TABLE_A = [
    ("tanh", 1 / 3, 0.0, 0.333, "ordered", 0.91, 0.91),
    ("tanh", 1.0, 0.0, 1.0, "critical", math.inf, math.inf),
    ("tanh", 2.0, 0.6180, 1.106, "chaotic", 1.69, 21.7),
    ("relu", 1 / 3, 0.0, 0.1667, "ordered", 0.56, 0.56),
    ("relu", 1.0, 0.0, 0.5, "ordered", 1.44, 1.44),
    ("relu", 2.0, 1.0, 1.0, "critical", math.inf, math.inf),  # any q is fixed: we return q_start = 1
    ("sigmoid", 1 / 3, 0.08503, 0.0200, "ordered", 0.25, 0.26),
    ("sigmoid", 1.0, 0.2647, 0.0557, "ordered", 0.33, 0.35),
    ("sigmoid", 2.0, 0.5553, 0.1010, "ordered", 0.40, 0.44),
    ("selu", 1 / 3, 0.0, 0.699, "ordered", 2.79, 2.79),
    ("selu", 1.0, 1.000, 1.0716, "chaotic", 4.08, 33.6),
    ("gelu", 1 / 3, 0.0, 0.0833, "ordered", 0.40, 0.40),
    ("gelu", 1.0, 0.0, 0.25, "ordered", 0.72, 0.72),
    ("gelu", 2.0, 0.0, 0.5, "ordered", 1.44, 1.44),
]


@pytest.mark.parametrize("act, sw2, q, chi, ph, xq, xc", TABLE_A, ids=[f"{r[0]}-{r[1]:.3g}" for r in TABLE_A])
def test_table_a_fixed_points_and_depth_scales(act, sw2, q, chi, ph, xq, xc):
    s = P.summary(act, sw2)
    assert s.q_star == pytest.approx(q, abs=printed(q))
    assert s.chi1 == pytest.approx(chi, abs=printed(chi))
    assert s.phase == ph
    assert s.xi_q == pytest.approx(xq, abs=printed(xq)) and s.xi_c == pytest.approx(xc, abs=printed(xc))


def test_selu_lecun_fixed_point_details():
    """Section S: q* = 1 exactly, dV/dq = 0.782648 (Klambauer's Jacobian entry), c* = 0."""
    s = P.summary("selu", 1.0)
    assert s.q_star == 1.0 and s.chi1 == pytest.approx(SELU_CHI1, rel=1e-12)
    assert s.dv_dq == pytest.approx(0.782648, abs=5e-7) and abs(s.c_star) < 1e-10
    assert s.xi_q == pytest.approx(-1 / math.log(0.7826479), rel=1e-6)


def test_tanh_he_is_chaotic_with_c_star_zero():
    s = P.summary("tanh", 2.0)
    assert s.c_star == 0.0 and s.xi_c == pytest.approx(21.72, abs=0.01)


def test_divergence_and_collapse_are_explicit():
    """SELU with He diverges (section S): q* = inf, phase 'divergent', chi_1 its limit as q grows (lambda^2:
    the positive half of sigma_w^2 E[phi'^2]), NaN elsewhere."""
    s = P.summary("selu", 2.0)
    assert (s.q_star, s.phase) == (math.inf, "divergent") and math.isnan(s.c_star) and math.isnan(s.xi_q)
    assert s.chi1 == pytest.approx(1.0507009873554805 ** 2, rel=2e-6)
    assert P.fixed_point("relu", 2.0, 0.1) == math.inf  # q grows by sigma_b^2 per layer, forever
    assert P.fixed_point("tanh", 1.0) == 0.0  # power-law collapse ~1/(2l)
    assert P.fixed_point("relu", 2.0, q_start=7.0) == 7.0  # marginal: every q is fixed


# (activation, sigma_w^2, sigma_b^2, chi_1 as q grows): closed forms sigma_w^2 E[phi'^2] of the relu family,
# (1 + a^2) sigma_w^2 / 2, independent of q; elu approaches relu's from above as 1/sqrt(q)
GROWING = [({"name": "leaky_relu", "negative_slope": 0.01}, 2.0, 0.0, 1.0001),  # configs/he_leaky_relu.yaml
           ({"name": "leaky_relu", "negative_slope": 0.2}, 2.0, 0.0, 1.04),
           ("relu", 2.0, 0.1, 1.0), ("relu", 2.5, 0.0, 1.25), ("elu", 2.0, 0.0, 1.0)]


@pytest.mark.parametrize("act, sw2, sb2, chi", GROWING)
def test_a_diverging_length_map_reports_chi1_as_q_grows(act, sw2, sb2, chi):
    s = P.summary(act, sw2, sb2)
    assert (s.q_star, s.phase) == (math.inf, "divergent")
    assert s.chi1 == pytest.approx(chi, rel=1e-5)


@pytest.mark.parametrize("act, sw2, sb2", [("tanh", 1.76095, 0.05), ("sigmoid", 1.0, 0.3), ("selu", 1.2, 0.1),
                                           ("hard_tanh", 3.0, 0.2), ("softsign", 4.0, 0.0)])
def test_fixed_point_is_a_fixed_point_and_iteration_converges_to_it(act, sw2, sb2):
    q = P.fixed_point(act, sw2, sb2)
    assert sw2 * G.moments(act, q).m2 + sb2 == pytest.approx(q, rel=1e-12)
    qi = 1.0
    for _ in range(3000):
        qi = sw2 * G.moments(act, qi).m2 + sb2
    assert qi == pytest.approx(q, rel=1e-6)


@pytest.mark.parametrize("chi, want", [(0.98, "ordered"), (0.995, "critical"), (1.0, "critical"),
                                       (1.0099, "critical"), (1.0716, "chaotic")])
def test_phase_tolerance_is_one_percent(chi, want):
    assert P.phase(chi) == want and P.CRITICAL_TOL == 0.01


def critical_point(act, sb2, lo, hi):
    """(q*, sigma_w^2) on the critical line at sigma_b^2, solved with scipy brentq over q*."""
    def gap(q):
        m = G.moments(act, q)
        return q - m.m2 / m.d2 - sb2

    q = optimize.brentq(gap, lo, hi, xtol=1e-14, rtol=1e-14)
    return q, 1 / G.moments(act, q).d2


# Section M: tanh critical line, (sigma_b^2, sigma_w^2, q*).
TANH_LINE = [(0.01, 1.42421, 0.2733), (0.05, 1.76095, 0.5700), (0.09, 1.94765, 0.7635), (0.1, 1.98607, 0.8058),
             (0.3, 2.50513, 1.4612), (0.5, 2.84317, 1.971), (1.0, 3.44321, 3.0364), (2.0, 4.2664, 4.8306)]


@pytest.mark.parametrize("sb2, sw2, q", TANH_LINE)
def test_tanh_critical_line(sb2, sw2, q):
    q_star, sw2_star = critical_point("tanh", sb2, 1e-6, 100.0)
    assert sw2_star == pytest.approx(sw2, abs=6e-6) and q_star == pytest.approx(q, abs=printed(q))
    line = P.critical_line("tanh", [q_star])
    assert (line.sw2[0], line.sb2[0]) == pytest.approx((sw2_star, sb2), rel=1e-10)
    assert P.chi1("tanh", sw2_star, P.fixed_point("tanh", sw2_star, sb2)) == pytest.approx(1.0, abs=1e-9)


# Section M, Poole's std convention: sigma_b -> critical sigma_w. The published values for
# sigma_b = 2, 3, 4 (2.32510, 2.70951, 3.06798) are not what the formula gives: scipy quad agrees with us
# on 2.32502, 2.70580, 3.03662, and 256-node Gauss-Hermite reproduces the published ones (tanh(sqrt(q) z)
# at q* = 8 to 24 is too steep for it), so we pin the exact values.
POOLE_STD = [(0.05, 1.12254), (0.1, 1.19340), (0.2, 1.30415), (0.3, 1.39558), (0.5, 1.54967), (1.0, 1.85559),
             (2.0, 2.32502), (3.0, 2.70580), (4.0, 3.03662)]


@pytest.mark.parametrize("sb, sw", POOLE_STD)
def test_tanh_critical_line_poole_std_convention(sb, sw):
    assert math.sqrt(critical_point("tanh", sb * sb, 1e-8, 1e3)[1]) == pytest.approx(sw, abs=6e-6)


def test_critical_line_other_activations():
    """Section M: SELU 0.902, 1.128, 1.318 at sigma_b^2 = 0.05, 0.3, 1; GELU 2.303 at 0.05 with an
    unstable q* (dV/dq = 1.085); ReLU sigma_w^2 = 2 everywhere. Sigmoid: a published 103.1 at q* = 45.7;
    the formula gives 103.008 at q* = 45.624 (scipy quad agrees; 256-node Gauss-Hermite gives 103.1 at 45.7)."""
    for sb2, sw2 in [(0.05, 0.902), (0.3, 1.128), (1.0, 1.318)]:
        assert critical_point("selu", sb2, 1e-6, 100.0)[1] == pytest.approx(sw2, abs=5.1e-4)
    q, sw2 = critical_point("gelu", 0.05, 1e-3, 10.0)
    assert sw2 == pytest.approx(2.303, abs=5.1e-4)
    assert sw2 * G.moments("gelu", q).dm2 == pytest.approx(1.085, abs=5.1e-4)
    q, sw2 = critical_point("sigmoid", 0.0, 1.0, 100.0)
    assert (q, sw2) == pytest.approx((45.624, 103.008), abs=5.1e-4)
    line = P.critical_line("relu", np.geomspace(1e-3, 1e3, 7))
    assert np.allclose(line.sw2, 2.0, rtol=1e-13) and np.all(line.sb2 == 0.0) and line.q_star.size == 7
    sigmoid = P.critical_line("sigmoid", [1.0, 10.0, 50.0])  # sigma_b^2 < 0 dropped; its crossing of 0 solved for
    assert sigmoid.q_star == pytest.approx([q, 50.0], rel=1e-9) and sigmoid.sw2[0] == pytest.approx(sw2, rel=1e-9)
    assert sigmoid.sb2[0] == 0
    tanh0 = P.critical_line("tanh", [0.0])
    assert (tanh0.sw2[0], tanh0.sb2[0]) == pytest.approx((1.0, 0.0), abs=1e-12)


def test_chi1_grid_matches_summary():
    sw2, sb2 = np.linspace(0.5, 4.0, 60), np.linspace(0.0, 1.0, 60)
    grid = P.chi1_grid("tanh", sw2, sb2)
    assert grid.shape == (60, 60)
    for i, j in [(0, 0), (17, 3), (40, 59), (59, 20)]:
        assert grid[i, j] == pytest.approx(P.summary("tanh", sw2[i], sb2[j]).chi1, rel=1e-10)
    selu = P.chi1_grid("selu", [1.0, 2.0], [0.0])
    assert selu[0, 0] == pytest.approx(SELU_CHI1, rel=1e-12) and np.isnan(selu[1, 0])  # He diverges


def test_chi1_grid_crosses_one_on_the_critical_line():
    grid = P.chi1_grid("tanh", [1.70, 1.76095, 1.82], [0.05])[:, 0]
    assert grid[0] < 1 < grid[2] and grid[1] == pytest.approx(1.0, abs=1e-5)


# Where the critical line meets sigma_b^2 = 0 for phi(0) = 0: sigma_w^2 = 2 / (phi'(0-)^2 + phi'(0+)^2), the q* -> 0
# limit of 1 / E[phi'(sqrt(q*) z)^2] (a kink at 0 gives the mean of the two sides' squares)
ZERO_BIAS_CRITICAL = {
    "tanh": 1.0,
    "relu": 2.0,
    "leaky_relu": 2 / (1 + 0.01**2),  # actinit's default negative_slope, 0.01
    "elu": 1.0,  # alpha = 1: phi'(0-) = alpha e^0 = 1
    "selu": 2 / (SELU_LAMBDA**2 * (1 + SELU_ALPHA**2)),  # 0.476771
    "softsign": 1.0,
    "gelu": 4.0,  # phi'(0) = 1/2
    "silu": 4.0,
}


@pytest.mark.parametrize("act", ZERO_BIAS_CRITICAL, ids=list(ZERO_BIAS_CRITICAL))
def test_the_critical_line_meets_zero_bias_at_the_exact_limit(act):
    """The printed point is the limit, not the grid's first q* = 1e-6 (off by 1e-3 for selu and softsign)."""
    want = ZERO_BIAS_CRITICAL[act]
    d = P.diagram(act, sw2_max=5.0, points=4)
    assert d.critical_sw2_without_bias() == pytest.approx(want, rel=1e-9)
    assert d.line.q_star[0] == 0 and d.line.sb2[0] == 0


def test_the_critical_line_of_sigmoid_does_not_end_at_zero_bias():
    """sigmoid(0) = 1/2: q* = 0 is no fixed point, and its line crosses sigma_b^2 = 0 at q* = 45.6, sigma_w^2 = 103,
    between grid points (it was reported as not reaching sigma_b^2 = 0)."""
    d = P.diagram("sigmoid", sw2_max=200.0, sb2_max=1.0, points=4)
    assert d.line.q_star.min() > 0
    assert d.critical_sw2_without_bias() == pytest.approx(critical_point("sigmoid", 0.0, 1.0, 100.0)[1], rel=1e-9)
