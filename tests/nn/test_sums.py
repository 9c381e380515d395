"""nn/sums.py: every pooled sum against float64 NumPy, on the values where float32 shortcuts go wrong."""

import numpy as np
import pytest

from actinit_cli import blas, resources
from actinit_cli.nn import sums


@pytest.mark.parametrize("shape", [(1024, 1024), (3000, 17), (5, 2049), (1, 8)])
def test_float32_fast_sums_are_accurate(shape):
    a = np.random.default_rng(1).normal(size=shape).astype(np.float32)
    s1, s2 = sums.fast_sums(a)
    a64 = a.astype(np.float64)
    assert s2 == pytest.approx(np.sum(a64**2), rel=1e-5)
    assert abs(s1 - a64.sum()) < 1e-5 * np.sqrt(s2 * a.size)


def moments_of(*arrays):
    m = sums.RunningSums()
    finite = [m.add(a) for a in arrays]
    return m, finite


# Values where float32 shortcuts go wrong: squares that underflow, overflow, or a mean that swamps the
# variance. Each must match two-pass float64 NumPy (the reference) to 1e-9.
HARD = {
    "tiny (squares underflow float32)": lambda r: (r.normal(size=(64, 32)) * 1e-25).astype(np.float32),
    "huge (squares overflow float32)": lambda r: (r.normal(size=(64, 32)) * 3e19).astype(np.float32),
    "large mean, tiny spread": lambda r: (100 + r.normal(size=(64, 32)) * 1e-3).astype(np.float32),
    "constant": lambda r: np.full((64, 32), 7.5, np.float32),
    "zero": lambda r: np.zeros((64, 32), np.float32),
}


@pytest.mark.parametrize("make", HARD.values(), ids=HARD.keys())
def test_moments_match_two_pass_float64(make):
    rng = np.random.default_rng(2)
    a, b = make(rng), make(rng)
    m, finite = moments_of(a, b)
    both = np.concatenate([a.ravel(), b.ravel()]).astype(np.float64)
    assert all(finite)
    assert m.mean() == pytest.approx(both.mean(), rel=1e-9, abs=1e-300)
    assert m.m2() == pytest.approx(np.mean(both**2), rel=1e-9, abs=1e-300)
    assert m.var() == pytest.approx(both.var(), rel=1e-6, abs=1e-12 * np.mean(both**2) + 1e-300)


@pytest.mark.parametrize("shape", [(1024, 1024), (3, 5000), (7, 300), (2, 3)])
def test_fast_sums_without_vecdot_agree(shape, monkeypatch):
    """NumPy < 2.0 (the dependency floor) has no np.vecdot: the einsum fallback gives the same sums to float32
    precision, and both match float64 sums within the documented bound."""
    a = np.random.default_rng(4).normal(0.2, 1.0, size=shape).astype(np.float32)
    a64 = a.astype(np.float64)
    got = sums.fast_sums(a)
    monkeypatch.delattr(np, "vecdot", raising=False)
    fallback = sums.fast_sums(a)
    assert got[0] == pytest.approx(fallback[0], abs=1e-6 * np.abs(a64).sum())
    assert got[1] == pytest.approx(fallback[1], rel=1e-6)
    assert got[0] == pytest.approx(a64.sum(), abs=1e-6 * np.abs(a64).sum())
    assert got[1] == pytest.approx(np.sum(a64**2), rel=1e-6)


def test_sums_do_not_depend_on_the_number_of_blas_threads():
    """A seed fixes every bit: no sum may be one BLAS dot over a long array, which OpenBLAS splits over its
    threads (np.dot of these 10^6 float64 values differs by 2e-15 relative between 1 and 2 threads here)."""
    rng = np.random.default_rng(5)
    a64 = rng.normal(0.3, 1.0, size=(1000, 1003))
    a32 = a64.astype(np.float32)

    def all_sums():
        wide, slow = sums.RunningSums(), sums.RunningSums()
        unit_var = wide.add_rows(a64)
        slow.add(a64)
        return unit_var, (wide.s1, wide.s2), (slow.s1, slow.s2, slow.shift), sums.fast_sums(a32)

    with blas.limited(1) as limited:
        one = all_sums()
    if not limited or resources.cores() < 2:
        pytest.skip("needs OpenBLAS (which NumPy's wheels bundle) and 2 cores to compare thread counts")
    assert all_sums() == one


def test_nonfinite_is_reported_by_the_sums():
    a = np.ones((4, 3), np.float32)
    a[1, 1] = np.nan
    assert moments_of(a)[1] == [False]


def _constant_unit(r):
    a = r.normal(2.0, 1.0, size=(16, 1000))
    a[:, 7] = 5.0
    return a


def _rounding_down(r, batch=16384, units=32):
    """Units whose float64 running sums each round down by 0.49 ulp (the worst case for a column sum), with a
    variance 1.01e-3 of E[a^2]: above SAFE_SHARE, but the bound for this batch asks for a second pass."""
    signs, x, total = r.choice([-1.0, 1.0], batch), np.empty(batch), 0.0
    for k in range(batch):
        t = total + (1 + 0.0318 * signs[k])
        x[k] = (t - total) + 0.49 * np.spacing(t)
        total += x[k]
    return np.tile(x[:, None], (1, units))


# (batch, units) arrays for add_rows -> (array, the path a float32 array takes (a float64 one always takes two
# passes), relative tolerance, absolute tolerance as a share of E[a^2]: a unit constant across the batch has a
# float64 mean that is not its value exactly)
UNIT_CASES = {
    "zero mean": (lambda r: r.normal(size=(16, 1000)), "one pass", 1e-12, 0),
    "relu-like (mean 0.4, E[y^2] 0.5)": (lambda r: np.maximum(r.normal(size=(16, 1000)), 0), "one pass", 1e-12, 0),
    "a constant unit among varying ones": (_constant_unit, "one pass", 1e-12, 0),
    "var just above SAFE_SHARE of E[y^2]": (lambda r: 1 + 0.05 * r.normal(size=(16, 1000)), "one pass", 1e-10, 0),
    "mean-dominated units": (lambda r: 100 + 1e-3 * r.normal(size=(16, 1000)), "two-pass", 1e-12, 0),
    # the per-unit code before 2026-12-02 was off by 9e-9 here (one pass down to 1e-8 of a unit's E[y^2])
    "sigmoid on the way to collapse: var 2.5e-7 of E[y^2]": (lambda r: 0.5 + 2.5e-4 * r.normal(size=(256, 1000)),
                                                              "two-pass", 1e-12, 0),
    "deep sigmoid: var 1e-16 beside 0.25": (lambda r: 0.5 + 1e-8 * r.normal(size=(256, 16)), "two-pass", 1e-9, 0),
    "units constant across the batch": (lambda r: np.tile(r.normal(size=1000), (16, 1)), "two-pass", 0, 1e-15),
    "zero": (lambda r: np.zeros((16, 1000)), "two-pass", 0, 0),
    "float64 sums rounding down, batch 16384": (_rounding_down, "two-pass", 1e-12, 0),
}


@pytest.mark.parametrize("block_rows", [None, 3], ids=["one block", "blocks of 3 rows, the last short"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", UNIT_CASES, ids=list(UNIT_CASES))
def test_add_rows_matches_two_pass_float64(case, dtype, block_rows, monkeypatch):
    """The mean unit variance, the sums and the count match two-pass float64 NumPy whatever the row blocks; the
    one-pass formula is used only for float32 arrays where it cannot cancel beyond UNIT_VAR_ERROR."""
    make, path, rel, abs_share = UNIT_CASES[case]
    a = make(np.random.default_rng(3)).astype(dtype)
    monkeypatch.setattr(sums, "ROW_BLOCK_VALUES", (block_rows or len(a)) * a.shape[1])  # one block: the whole array
    assert (sums._rows_per_block(a) >= len(a)) == (block_rows is None)
    passes = []
    blocks = sums._float64_rows
    monkeypatch.setattr(sums, "_float64_rows", lambda x: passes.append(1) or blocks(x))
    acc = sums.RunningSums()
    unit_var, finite = acc.add_rows(a)
    assert len(passes) == (1 if path == "one pass" and dtype == np.float32 else 2)
    a64 = a.astype(np.float64)
    want = np.var(a64, axis=0).mean()
    assert finite and unit_var >= 0
    assert unit_var == pytest.approx(want, rel=rel, abs=abs_share * np.mean(a64**2))
    assert (acc.n, acc.mean(), acc.m2()) == (a.size, pytest.approx(a64.mean(), rel=1e-12),
                                                pytest.approx(np.mean(a64**2), rel=1e-12))
    # act_var: the pooled variance, not only E[a^2] (before 2026-12-02 off by 1e-4 to 3e-2 on mean-dominated values)
    assert acc.var() == pytest.approx(a64.var(), rel=1e-9, abs=1e-300)



@pytest.mark.parametrize("rows", [True, False], ids=["add_rows", "add"])
@pytest.mark.parametrize("first, later", [(0.5, -np.inf), (-0.5, np.inf), (0.5, np.inf)])
def test_an_inf_after_a_shift_has_an_inf_second_moment(rows, first, later):
    """Sums shifted by a first mean of one sign, then an inf of the other: E[a^2] is inf, as unshifted sums say (the
    shift's 2 shift E[a - shift] term is -inf there: inf - inf was nan)."""
    acc = sums.RunningSums()
    for value in (first, later):
        a = np.full((1, 1), value)
        with np.errstate(all="ignore"):  # as stats.observe calls them: inf and nan are data
            acc.add_rows(a) if rows else acc.add(a)
    assert acc.shift == first and acc.m2() == np.inf and acc.mean() == later

@pytest.mark.parametrize("shape", [(0, 5), (5, 0)])
def test_empty_arrays_have_no_unit_variance(shape):
    acc = sums.RunningSums()
    unit_var, finite = acc.add_rows(np.zeros(shape, np.float32))
    assert np.isnan(unit_var) and finite and acc.n == 0
    assert sums.fast_sums(np.zeros(shape, np.float32)) is None


# arrays for variance() (a layer's weights, pooled) -> (the arrays, the path it takes, relative tolerance against
# the exact variance; statistics.pvariance computes it in rationals, then rounds once)
VARIANCE_CASES = {
    "he_normal-like float32 weights": (lambda r: [(r.normal(size=(64, 48)) * 0.2).astype(np.float32)], "one pass", 3e-13),
    "glorot_uniform-like float64 weights": (lambda r: [r.uniform(-0.1, 0.1, size=(50, 70))], "one pass", 3e-13),
    "a block's two matrices of different shapes, pooled": (lambda r: [r.normal(size=(30, 20)),
                                                                      r.normal(0.1, 2.0, size=(20, 9))],
                                                          "one pass", 3e-13),
    "mean^2 just above half of E[a^2]": (lambda r: [1.05 + r.normal(size=(40, 40))], "two-pass", 1e-13),
    "mean-dominated: mean 100, spread 1e-3": (lambda r: [100 + 1e-3 * r.normal(size=(40, 40))], "two-pass", 1e-10),
    "constant": (lambda r: [np.full((40, 40), 0.3, np.float32)], "two-pass", 0),
    # float64: sum / n is not 0.1 again, and the plain second pass gave 1.9e-34 (a review)
    "constant float64, two arrays": (lambda r: [np.full((40, 25), 0.1), np.full(7, 0.1)], "two-pass", 0),
    "zero": (lambda r: [np.zeros((40, 40))], "two-pass", 0),
}


@pytest.mark.parametrize("block", [None, 7], ids=["one block", "blocks of 7 values"])
@pytest.mark.parametrize("case", VARIANCE_CASES, ids=list(VARIANCE_CASES))
def test_variance_matches_the_exact_variance(case, block, monkeypatch):
    """One pass where the mean cannot cancel beyond the documented bound, two elsewhere, whatever the blocks."""
    import statistics

    make, path, rel = VARIANCE_CASES[case]
    arrays = make(np.random.default_rng(5))
    if block:
        monkeypatch.setattr(sums, "ROW_BLOCK_VALUES", block)
    passes = []
    blocks = sums._float64_blocks
    monkeypatch.setattr(sums, "_float64_blocks", lambda x: passes.append(1) or blocks(x))
    got = sums.variance(arrays)
    exact = statistics.pvariance([float(v) for a in arrays for v in a.ravel()])
    assert len(passes) == (1 if path == "one pass" else 2)
    assert got == pytest.approx(exact, rel=rel, abs=0)


@pytest.mark.parametrize("arrays", [[], [np.zeros((0, 3))], [np.array([1.0, np.inf])], [np.array([np.nan, 1.0])]],
                         ids=["no arrays", "no entries", "inf", "nan"])
def test_variance_without_finite_entries_is_nan(arrays):
    assert np.isnan(sums.variance(arrays))
