"""Gaussian expectations against independent references: scipy.integrate.quad (split at every kink)
for every registered activation, closed forms (ReLU, leaky ReLU, hard_tanh, SELU, the GELU and erf
kernels of google/neural-tangents, the arc-cosine kernel), and the error paths."""

import math

import numpy as np
import pytest
from scipy import integrate, special

from actinit_cli.nn import activations as acts
from actinit_cli.theory import gaussian as G
from actinit_cli.nn.activations import SELU_ALPHA, SELU_LAMBDA
from actinit_cli.errors import ActinitError
from tests.cases import IDS, VARIANTS

QS = [1e-3, 0.5, 1.0, 7.0, 1e4]
Z_CUT = 14.0  # quad's range in z: the Gaussian mass beyond is 1.5e-44


def quad_expect(f, q, kinks=()):
    """(E[f(sqrt(q) z)], E[|f|]) by adaptive quad on [-14, 14], split at the kinks and at x = 0, +-1, +-5,
    +-40 (where tanh-like functions bend) mapped to z."""
    r = math.sqrt(q)
    pts = sorted({p / r for p in (*kinks, 0.0, -1.0, 1.0, -5.0, 5.0, -40.0, 40.0) if abs(p / r) < Z_CUT})
    edges = [-Z_CUT, *pts, Z_CUT]

    def piece(g):
        return sum(integrate.quad(g, a, b, epsabs=0, epsrel=1e-13, limit=500)[0] for a, b in zip(edges, edges[1:]))

    def value(z):
        return float(f(np.array([r * z]))[0]) * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)

    return piece(value), piece(lambda z: abs(value(z)))


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
@pytest.mark.parametrize("q", QS)
@pytest.mark.parametrize("act", VARIANTS, ids=IDS)
def test_moments_match_quad_for_every_activation(act, q):
    """E[phi], E[phi^2], E[phi^4], E[phi'^2] to 1e-8 of E[|integrand|] (plain relative for positive ones)."""
    m = G.moments(act, q)
    cases = {"mean": (act.fn, m.mean), "m2": (lambda x: act.fn(x) ** 2, m.m2),
             "m4": (lambda x: act.fn(x) ** 4, m.m4), "d2": (lambda x: act.derivative(x) ** 2, m.d2)}
    for label, (f, ours) in cases.items():
        ref, scale = quad_expect(f, q, act.kinks)
        assert abs(ours - ref) <= 1e-8 * scale, (label, ours, ref)


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
@pytest.mark.parametrize("q", [0.3, 2.0])
@pytest.mark.parametrize("act", VARIANTS, ids=IDS)
def test_dm2_matches_the_density_derivative(act, q):
    """d/dq E[phi^2] via Stein's lemma against the other exact form, E[phi^2 (z^2 - 1)] / (2 q), by quad."""
    ref, scale = quad_expect(lambda x: act.fn(x) ** 2 * (x * x / q - 1), q, act.kinks)
    assert abs(G.moments(act, q).dm2 - ref / (2 * q)) <= 1e-8 * scale / (2 * q)


def gelu_m2(q):
    """google/neural-tangents stax Gelu diagonal kernel: E[gelu(sqrt(q) z)^2]."""
    return q * (0.25 + (q / ((q + 1) * math.sqrt(1 + 2 * q)) + math.atan(q / math.sqrt(1 + 2 * q)) / 2) / math.pi)


def hard_tanh_m2(q):
    """E[clip(x, -1, 1)^2], x ~ N(0, q): q [(2 Phi(t) - 1) - 2 t phi(t)] + 2 Phi(-t), t = 1/sqrt(q)."""
    t = 1 / math.sqrt(q)
    return q * (2 * special.ndtr(t) - 1 - 2 * t * math.exp(-t * t / 2) / math.sqrt(2 * math.pi)) + 2 * special.ndtr(-t)


LEAKY = acts.get({"name": "leaky_relu", "negative_slope": 0.2})
# (activation, moment, q -> closed form); every formula is textbook Gaussian integration.
CLOSED = [
    ("relu", "mean", lambda q: math.sqrt(q / (2 * math.pi))),
    ("relu", "m2", lambda q: q / 2),
    ("relu", "m4", lambda q: 1.5 * q * q),
    ("relu", "d2", lambda q: 0.5),
    ("relu", "dm2", lambda q: 0.5),
    (LEAKY, "m2", lambda q: q * (1 + 0.2**2) / 2),
    (LEAKY, "d2", lambda q: (1 + 0.2**2) / 2),
    (LEAKY, "mean", lambda q: (1 - 0.2) * math.sqrt(q / (2 * math.pi))),
    ("identity", "m4", lambda q: 3 * q * q),
    ("hard_tanh", "m2", hard_tanh_m2),
    ("hard_tanh", "d2", lambda q: 2 * special.ndtr(1 / math.sqrt(q)) - 1),
    ("gelu", "m2", gelu_m2),
    ("gelu", "mean", lambda q: q / math.sqrt(2 * math.pi * (1 + q))),  # E[x Phi(x)] = q E[phi_pdf] (Stein)
]


@pytest.mark.parametrize("name, moment, formula", CLOSED, ids=[f"{getattr(a, 'name', a)}-{m}" for a, m, _ in CLOSED])
@pytest.mark.parametrize("q", [1e-6, 0.1, 1.0, 3.0, 250.0])
def test_closed_forms(name, moment, formula, q):
    assert getattr(G.moments(name, q), moment) == pytest.approx(formula(q), rel=1e-10)


@pytest.mark.parametrize("q", [0.01, 1.0, 9.0])
def test_gelu_kernel_formula_itself_matches_quad(q):
    """Check the neural-tangents formula independently before trusting it above."""
    gelu = acts.get("gelu")
    assert quad_expect(lambda x: gelu.fn(x) ** 2, q)[0] == pytest.approx(gelu_m2(q), rel=1e-11)


@pytest.mark.parametrize("a, q", [(1.0, 1.0), (0.5, 3.0), (2.0, 0.01)])
def test_expect_of_any_function_erf_kernel(a, q):
    """E[erf(a sqrt(q) z)^2] = (2/pi) arcsin(2 a^2 q / (1 + 2 a^2 q)) (Williams 1997)."""
    got = G.expect(lambda x: special.erf(a * x) ** 2, q)
    assert got == pytest.approx(2 / math.pi * math.asin(2 * a * a * q / (1 + 2 * a * a * q)), rel=1e-12)


def test_selu_fixed_point_moments():
    """Klambauer et al. 2017: E[selu(z)] = 0, E[selu(z)^2] = 1 at the published constants; E[selu'(z)^2] =
    lambda^2 (1/2 + alpha^2 e^2 Phi(-2)) = 1.0715750 (docs/reference-numbers.md section S; section C: 1.07157)."""
    m = G.moments("selu", 1.0)
    chi = SELU_LAMBDA**2 * (0.5 + SELU_ALPHA**2 * math.e**2 * special.ndtr(-2.0))
    assert abs(m.mean) < 1e-12 and m.m2 == pytest.approx(1.0, abs=1e-12)
    assert m.d2 == pytest.approx(chi, rel=1e-12) and round(m.d2, 6) == 1.071575


def test_q_zero_gives_f_of_zero_and_derivative_limits():
    assert G.expect(lambda x: np.cos(x) + 2, 0.0) == pytest.approx(3.0, rel=1e-15)
    assert G.moments("sigmoid", 0.0).m2 == 0.25
    # q -> 0+ limits, not the kink convention relu'(0) = 0: the mean of the one-sided slopes squared.
    assert G.moments("relu", 0.0).d2 == pytest.approx(0.5, rel=1e-12)
    assert G.moments("selu", 0.0).d2 == pytest.approx(SELU_LAMBDA**2 * (1 + SELU_ALPHA**2) / 2, rel=1e-12)
    assert G.moments("tanh", 0.0).dm2 == pytest.approx(1.0, rel=1e-12)


def test_vectorised_over_q_equals_scalar_calls():
    qs = np.array([0.0, 1e-4, 0.7, 3.0, 1e6])
    vec = G.moments("selu", qs)
    for i, q in enumerate(qs):
        one = G.moments("selu", float(q))
        assert (vec.m2[i], vec.d2[i], vec.dm2[i]) == pytest.approx((one.m2, one.d2, one.dm2), rel=1e-14)
    f = lambda x: np.tanh(x) ** 2 + x  # noqa: E731
    assert np.allclose(G.expect(f, qs), [G.expect(f, q) for q in qs], rtol=1e-14, atol=0)


def arccos_k(q1, q2, c):
    """Cho & Saul 2009 arc-cosine kernel: E[relu(u1) relu(u2)] and E[relu'(u1) relu'(u2)]."""
    t = math.acos(c)
    return math.sqrt(q1 * q2) * (math.sin(t) + (math.pi - t) * c) / (2 * math.pi), (math.pi - t) / (2 * math.pi)


@pytest.mark.parametrize("q1, q2", [(1.0, 1.0), (0.3, 2.5), (100.0, 0.01)])
@pytest.mark.parametrize("c", [-1.0, -0.5, 0.0, 0.3, 0.9, 0.999999, 1 - 1e-12, 1.0])
def test_expect2_relu_arc_cosine_kernel(q1, q2, c):
    relu = acts.get("relu")
    k, kd = arccos_k(q1, q2, c)
    assert G.expect2(relu.fn, relu.fn, q1, q2, c, relu.kinks) == pytest.approx(k, abs=1e-10 * math.sqrt(q1 * q2))
    assert G.expect2(relu.derivative, relu.derivative, q1, q2, c, relu.kinks) == pytest.approx(kd, abs=1e-10)


@pytest.mark.parametrize("q1, q2, c", [(1.0, 1.0, 0.5), (0.2, 3.0, -0.7), (4.0, 4.0, 0.99)])
def test_expect2_erf_kernel(q1, q2, c):
    """E[erf(u1) erf(u2)] = (2/pi) arcsin(2 c sqrt(q1 q2) / sqrt((1 + 2 q1)(1 + 2 q2))) (neural-tangents Erf)."""
    want = 2 / math.pi * math.asin(2 * c * math.sqrt(q1 * q2) / math.sqrt((1 + 2 * q1) * (1 + 2 * q2)))
    assert G.expect2(special.erf, special.erf, q1, q2, c) == pytest.approx(want, abs=1e-10)


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
def test_expect2_selu_derivative_jump_against_nested_quad():
    """The jump of selu' at 0 in both variables: nested quad, each level split at its kink."""
    selu, q, c = acts.get("selu"), 1.3, 0.6
    s, r = math.sqrt(1 - c * c), math.sqrt(q)
    d = lambda x: float(selu.derivative(np.array([x]))[0])  # noqa: E731
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731

    def inner(z1):
        k = -c * z1 / s  # the kink of selu'(r (c z1 + s z2)) in z2
        f = lambda z2: d(r * (c * z1 + s * z2)) * pdf(z2)  # noqa: E731
        return sum(integrate.quad(f, a, b, epsabs=1e-13)[0] for a, b in ((-Z_CUT, k), (k, Z_CUT)))

    want = sum(integrate.quad(lambda z1: d(r * z1) * pdf(z1) * inner(z1), a, b, epsabs=1e-11)[0]
               for a, b in ((-Z_CUT, 0.0), (0.0, Z_CUT)))
    assert G.expect2(selu.derivative, selu.derivative, q, q, c, selu.kinks) == pytest.approx(want, abs=1e-8)


@pytest.mark.parametrize("act", VARIANTS, ids=IDS)
def test_expect2_limits_c0_factorises_and_c1_is_the_diagonal(act):
    q = 0.8
    e1 = G.expect(act.fn, q, act.kinks)
    assert G.expect2(act.fn, act.fn, q, q, 0.0, act.kinks) == pytest.approx(e1 * e1, abs=1e-12)
    assert G.expect2(act.fn, act.fn, q, q, 1.0, act.kinks) == pytest.approx(G.moments(act, q).m2, rel=1e-12)


@pytest.mark.parametrize("act", VARIANTS, ids=IDS)
def test_length_map_is_non_decreasing(act):
    """fixed_points relies on V(q) = sigma_w^2 E[phi^2] + sigma_b^2 being non-decreasing in q."""
    assert np.all(G.moments(act, np.geomspace(1e-10, 1e12, 200)).dm2 >= 0)


@pytest.mark.parametrize("q", [1e300, math.inf, math.nan, -1.0, 1.1e30])
def test_bad_q_raises(q):
    with pytest.raises(ActinitError, match=r"q = .*finite and in \[0, 1e\+30\]"):
        G.moments("tanh", q)
    with pytest.raises(ActinitError, match="q"):
        G.expect(np.tanh, q)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf * 0 on empty panels, on purpose
def test_non_finite_result_raises_instead_of_nan():
    blows_up = lambda x: np.where(x > 5, np.inf, x)  # noqa: E731
    with pytest.raises(ActinitError, match="not finite"):
        G.expect(blows_up, 1.0)
    with pytest.raises(ActinitError, match="not finite"):
        G.expect2(blows_up, np.tanh, 1.0, 1.0, 0.5)


def test_softmax_has_no_elementwise_theory():
    with pytest.raises(ActinitError, match="elementwise activation with a derivative.*'softmax'"):
        G.moments("softmax", 1.0)


def test_correlation_outside_range_raises():
    with pytest.raises(ActinitError, match=r"correlation c = 1.5 must lie in \[-1, 1\]"):
        G.expect2(np.tanh, np.tanh, 1.0, 1.0, 1.5)
