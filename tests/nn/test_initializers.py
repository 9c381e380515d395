"""Initializers: one parametrised test per property over the whole registry, plus the reference numbers.

References that could disagree with the code: scipy.stats.truncnorm (its std and, by a KS test, its CDF),
large-sample statistics against
the formulas, the numbers of docs/reference-numbers.md section B.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from actinit_cli.nn import initializers as inits
from actinit_cli.errors import ActinitError

ON_DATA = [n for n in inits.REGISTRY.names() if inits.get(n).expected((4, 4)).family == inits.DATA_FAMILY]
NAMES = [n for n in inits.REGISTRY.names() if n not in ON_DATA]  # what can be sampled without data
RANDOM = [n for n in NAMES if n not in ("zeros", "ones", "constant", "identity")]
# Large-sample shape: non-square, so a swapped fan_in/fan_out would change every scaled std.
BIG = (1500, 700)
KURTOSIS = {"uniform": -1.2, "truncated_normal": -0.6344633, "normal": 0.0}


def make(name, **params):
    return inits.get({"name": name, **params} if params else name)


def test_only_lsuv_needs_data():
    assert ON_DATA == ["lsuv"]


@pytest.mark.parametrize("name", ON_DATA)
def test_an_initializer_on_data_refuses_to_be_sampled_alone(name):
    with pytest.raises(ActinitError, match=f"{name}: needs a batch of data"):
        make(name)(np.random.default_rng(0), (4, 4), np.float32)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shape_dtype_and_determinism(name, dtype):
    init = make(name)
    a = init(np.random.default_rng(7), (6, 4), dtype)
    b = init(np.random.default_rng(7), (6, 4), dtype)
    assert a.shape == (6, 4) and a.dtype == dtype
    np.testing.assert_array_equal(a, b)
    if name in RANDOM:
        assert not np.array_equal(a, init(np.random.default_rng(8), (6, 4), dtype))


@pytest.mark.parametrize("name", NAMES)
def test_large_sample_matches_formula(name):
    init = make(name)
    w = init(np.random.default_rng(0), BIG, np.float64)
    e = init.expected(BIG)
    n = w.size
    if e.family == "deterministic":
        assert w.mean() == pytest.approx(e.mean, abs=1e-12) and w.std() == pytest.approx(e.std, abs=1e-12)
    else:
        assert w.std() == pytest.approx(e.std, rel=0.01)
        assert abs(w.mean() - e.mean) < 5 * e.std / math.sqrt(n) + 1e-12
    if e.high is not None:
        assert w.min() >= e.low and w.max() <= e.high
    if e.family in KURTOSIS:
        assert stats.kurtosis(w.ravel()) == pytest.approx(KURTOSIS[e.family], abs=0.03)


@pytest.mark.parametrize("name", NAMES)
def test_bounds_hold_exactly_in_float32(name):
    init = make(name)
    w = init(np.random.default_rng(3), (400, 300), np.float32)
    e = init.expected((400, 300))
    if e.high is not None:  # rounding to float32 is monotone, so compare with the bound in float32
        assert w.max() <= np.float32(e.high) and w.min() >= np.float32(e.low)


def test_non_square_layer_uses_fan_in_rows():
    """(fan_in, fan_out) layout: he_normal on (300, 50) has std sqrt(2/300), not sqrt(2/50)."""
    w = make("he_normal")(np.random.default_rng(1), (300, 50), np.float64)
    assert w.std() == pytest.approx(math.sqrt(2 / 300), rel=0.03)
    assert make("he_normal").expected((300, 50)).std == pytest.approx(math.sqrt(2 / 300))


@pytest.mark.parametrize("name, shape, std, bound", [
    ("he_normal", (9, 1), 0.4714045, 1.0718299),
    ("glorot_normal", (9, 1), 0.4472136, 1.0168271),
    ("lecun_normal", (9, 1), 1 / 3, 0.7578981),
    ("glorot_uniform", (9, 1), 0.4472136, 0.7745967),
    ("he_uniform", (9, 1), math.sqrt(2 / 9), 0.8164966),
    ("lecun_uniform", (9, 1), 1 / 3, 0.5773503),
    ("truncated_normal", (9, 1), 0.0439813, 0.1),
    ("he_normal", (3, 3, 16, 32), math.sqrt(2 / 144), 2 * math.sqrt(2 / 144) / 0.87962566103423978),
    ("standard", (9, 1), 1 / math.sqrt(27), 1 / 3),
])
def test_reference_numbers(name, shape, std, bound):
    e = make(name).expected(shape)
    assert e.std == pytest.approx(std, rel=1e-6)
    assert e.high == pytest.approx(bound, rel=1e-6)


def test_truncation_constant_is_scipys():
    assert inits.TRUNC_STD == pytest.approx(stats.truncnorm.std(-2, 2), rel=1e-15)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 40), cols=st.integers(1, 40),
       scale=st.floats(1e-3, 1e3))
def test_truncated_samples_never_leave_two_sigma_p(seed, rows, cols, scale):
    init = inits.variance_scaling(scale, "fan_avg", "truncated_normal")
    w = init(np.random.default_rng(seed), (rows, cols), np.float64)
    assert np.all(np.abs(w) <= init.expected((rows, cols)).high)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_truncated_normal_is_scipys_truncnorm(dtype):
    """Kolmogorov-Smirnov against scipy.stats.truncnorm(-2, 2) on 2 M values (odd count): the largest CDF gap
    must stay under the 0.1 % critical value 1.95 / sqrt(n)."""
    n = 2_000_001
    z = inits.truncated_normal(0.0, 1.0)(np.random.default_rng(5), (n,), dtype)
    assert z.dtype == dtype and np.abs(z).max() <= 2
    assert stats.kstest(z.astype(np.float64), stats.truncnorm(-2, 2).cdf).statistic < 1.95 / math.sqrt(n)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normal_and_uniform_schemes_draw_unrelated_values_from_one_seed(dtype):
    """One generator state gives he_uniform and he_normal values with no relation, so a sweep over initializers
    with one seed compares independent draws (a Box-Muller sampler reading the same uniforms, tried for issue 11,
    made |w| of he_normal follow w of he_uniform). Correlations of values, magnitudes and squares within
    4 / sqrt(n)."""
    u = inits.get("he_uniform")(np.random.default_rng(4), (1000, 1000), dtype).ravel().astype(np.float64)
    z = inits.get("he_normal")(np.random.default_rng(4), (1000, 1000), dtype).ravel().astype(np.float64)
    for a, b in ((u, z), (u, np.abs(z)), (np.abs(u), np.abs(z)), (u * u, z * z)):
        assert abs(np.corrcoef(a, b)[0, 1]) < 4 / 1000


@pytest.mark.parametrize("shape", [(9, 4), (4, 9), (3, 3, 16, 32), (64, 64)])
@pytest.mark.parametrize("gain", [1.0, 1.5])
def test_orthogonal(shape, gain):
    w = make("orthogonal", gain=gain)(np.random.default_rng(2), shape, np.float64)
    m = w.reshape(-1, shape[-1])
    gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    np.testing.assert_allclose(gram, gain**2 * np.eye(min(m.shape)), atol=1e-12)
    assert np.sqrt(np.mean(w**2)) == pytest.approx(gain / math.sqrt(max(m.shape)), rel=1e-12)


def test_orthogonal_is_haar_not_biased():
    """With the sign fix, the diagonal of Q has mean 0 over draws; without it, it would be positive."""
    diag = [make("orthogonal")(np.random.default_rng(s), (4, 4), np.float64)[0, 0] for s in range(2000)]
    assert abs(np.mean(diag)) < 4 * 0.5 / math.sqrt(2000)


def test_identity_gain_and_rank():
    np.testing.assert_array_equal(make("identity", gain=2.0)(None, (3, 5), np.float64), 2 * np.eye(3, 5))
    with pytest.raises(ActinitError, match="rank-2"):
        make("identity")(None, (3, 3, 3), np.float64)
    with pytest.raises(ActinitError, match="rank >= 2"):
        make("orthogonal")(np.random.default_rng(0), (5,), np.float64)


def test_fan_clamp_keeps_empty_dimensions_finite():
    e = inits.variance_scaling(2.0, "fan_in").expected((0, 4))
    assert e.std == pytest.approx(math.sqrt(2.0))


@pytest.mark.parametrize("alias, name", [("xavier_normal", "glorot_normal"), ("xavier_uniform", "glorot_uniform"),
                                         ("kaiming_normal", "he_normal"), ("kaiming_uniform", "he_uniform")])
def test_aliases(alias, name):
    assert inits.get(alias).name == name


def test_keras_normal_means_truncated_and_torch_preset_is_untruncated():
    assert inits.get({"name": "variance_scaling", "distribution": "normal"}).expected((9, 1)).family == \
        "truncated_normal"
    torch_like = inits.get({"name": "kaiming_normal", "distribution": "untruncated_normal"})
    w = torch_like(np.random.default_rng(0), (2000, 500), np.float64)
    assert stats.kurtosis(w.ravel()) == pytest.approx(0.0, abs=0.03)
    assert w.std() == pytest.approx(math.sqrt(2 / 2000), rel=0.01)


@pytest.mark.parametrize("ref, message", [
    ("he_unnormal", "did you mean 'he_normal' or 'he_uniform'"),
    ({"name": "he_normal", "scale": 2}, "has no parameter 'scale'"),
    ({"name": "variance_scaling", "scale": 0}, "scale: must be > 0"),
    ({"name": "variance_scaling", "mode": "fan_mean"}, "expected one of fan_in, fan_out, fan_avg"),
    ({"name": "random_uniform", "minval": 1, "maxval": 0}, "minval .* must be < maxval"),
    ({"name": "random_normal", "stddev": "big"}, "expected a number"),
    ({"name": "random_normal", "stddev": True}, "expected a number"),
    ({"name": "orthogonal", "gain": float("inf")}, "must be finite"),
])
def test_bad_references(ref, message):
    with pytest.raises(ActinitError, match=message):
        inits.get(ref)
