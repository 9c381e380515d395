"""erfc and the normal CDF/PDF against SciPy, including both tails."""

import numpy as np
import pytest
import scipy.special as sp
from scipy import stats

from actinit_cli.nn import special

GRID = np.concatenate([np.linspace(-27, 27, 100_001), [0.0, 0.46875, -0.46875, 4.0, -4.0, 1e-300, -1e-300]])


@pytest.mark.parametrize("ours, reference", [
    (special.erfc, sp.erfc), (special.norm_cdf, sp.ndtr), (special.norm_pdf, stats.norm.pdf),
])
def test_matches_scipy_to_double_precision(ours, reference):
    want = reference(GRID)
    got = ours(GRID)
    tiny = np.abs(want) < 1e-300  # denormal range: compare absolutely
    assert np.max(np.abs(got[~tiny] - want[~tiny]) / np.abs(want[~tiny])) < 1e-13
    assert np.all(np.abs(got[tiny] - want[tiny]) < 1e-300)


def test_limits_and_nan():
    x = np.array([np.inf, -np.inf, np.nan])
    np.testing.assert_array_equal(special.erfc(x)[:2], [0.0, 2.0])
    assert np.isnan(special.erfc(x)[2])


def test_float32_stays_float32():
    x = np.linspace(-5, 5, 11, dtype=np.float32)
    assert special.erfc(x).dtype == np.float32
    assert special.norm_cdf(x).dtype == np.float32
    np.testing.assert_allclose(special.norm_cdf(x), sp.ndtr(x.astype(np.float64)), rtol=1e-6, atol=1e-7)
