"""Pooled sums of the statistics: count, sum and sum of squares of arrays, and the mean unit variance.

Precision. Activations are summed in float64, and the mean over units of each unit's variance across the
batch is computed two-pass wherever the one-pass formula could be off by more than 1e-9 (add_rows).
Pre-activations, gradients and weight gradients of float32 runs take a fast path, float32 partial sums
of at most CHUNK consecutive values added in float64 (relative error about 1e-8, at worst 6e-5 for a
second moment), only when it is safe: values finite, mean square above 1e-30 (no underflow of squares)
and mean^2 <= 3/4 of the second moment (no cancellation in the variance beyond 4x). Otherwise, and in
float64 runs, sums are float64 and taken about a shift (the first batch's mean), so a large mean does
not swamp a small variance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np

CHUNK = 1024  # float32 partial sums run over at most this many terms (error <= 1024 * 2^-24 worst case)
_ONES = np.ones(CHUNK, np.float32)
TINY_M2 = 1e-30  # below this mean square, float32 squares (min normal 1.2e-38) may underflow: use float64
MEAN_SHARE = 0.75  # fast path only if mean^2 <= 0.75 E[a^2], i.e. E[a^2] <= 4 Var a (error x4 at most)
SAFE_SHARE = 1e-3  # one-pass mean unit variance kept only if >= 1e-3 E[a^2] (and the batch bound in add_rows)
ONE_PASS_SHARE = 0.5  # variance(): one pass kept only where Var a >= half of E[a^2] (relative error < 3e-13)
UNIT_VAR_ERROR = 1e-9  # the worst-case relative error add_rows allows its one-pass mean unit variance
ROW_BLOCK_VALUES = 1 << 18  # float64 values converted at a time by add_rows (2 MiB: 2^19 was as fast in actinit's
# MLP, 1.16 against 1.15 of the bare products, and slower in a torch model's hooks, 1.42-1.49 against 1.35-1.46)


def fast_sums(a: np.ndarray) -> tuple[float, float] | None:
    """(sum, sum of squares) of a float32 array from float32 partial sums of at most CHUNK consecutive values
    added in float64, or None when they could not be trusted (non-finite, underflowing or mean-dominated
    values). Each chunk is one dot product (BLAS sdot per row under NumPy >= 2: half the time of column sums)."""
    flat = a.reshape(-1)
    rows, tail = _chunks(flat)
    with np.errstate(over="ignore", invalid="ignore"):  # float32 squares that overflow: detected below
        s1 = float(np.add.reduce(_row_dots(rows, _ONES), dtype=np.float64)) + float(np.sum(tail, dtype=np.float64))
        s2 = sum_squares(flat)
    n = a.size
    if not (n and math.isfinite(s2) and s2 >= TINY_M2 * n and (s1 / n) * (s1 / n) <= MEAN_SHARE * s2 / n):
        return None
    return s1, s2


def variance(arrays: Sequence[np.ndarray]) -> float:
    """The variance of all entries of `arrays` together in float64, without a concatenated copy (a layer's weights).

    One pass over float64 copies of ROW_BLOCK_VALUES values at a time gives the sum and the sum of squares
    (the blocks' sums added pairwise). E[a^2] - mean^2 is then off by at most about (CHUNK + 64) 2^-53 E[a^2]
    (a sum of squares' chunks and the mean's pairwise sums), so it is kept where it is at least ONE_PASS_SHARE
    of E[a^2]: relative error below 3e-13, every zero-mean initializer. Elsewhere (a constant or shifted array)
    a second pass sums (a - mean)^2 (`_second_pass`): a constant array's variance is exactly 0. nan for no entries or
    non-finite ones.
    """
    n = sum(a.size for a in arrays)
    if not n:
        return float("nan")
    with np.errstate(all="ignore"):  # inf entries: nan, as np.var; set here, since threads start without it
        parts = [(float(np.add.reduce(b)), sum_squares(b)) for b in _float64_blocks(arrays)]
        mean, m2 = _pairwise(p[0] for p in parts) / n, _pairwise(p[1] for p in parts) / n
        var = m2 - mean * mean
        if not var >= ONE_PASS_SHARE * m2 or not m2:
            var = _second_pass(arrays, mean, n)
    return var


def _second_pass(arrays: Sequence[np.ndarray], mean: float, n: int) -> float:
    """E[(a - mean)^2] - E[a - mean]^2 (the corrected two-pass formula: the second term takes out the rounding of
    the mean itself), and exactly 0 when every entry is the same number (a float64 sum / n need not give it back:
    0.1 repeated had a variance of 1.9e-34)."""
    first = next(a.reshape(-1)[0] for a in arrays if a.size)
    parts = [(float(np.add.reduce(d)), sum_squares(d), bool(np.all(b == first)))
             for b in _float64_blocks(arrays) for d in (b - mean,)]
    if all(p[2] for p in parts):
        return 0.0
    shift = _pairwise(p[0] for p in parts) / n
    return _pairwise(p[1] for p in parts) / n - shift * shift


def _pairwise(values: Iterator[float]) -> float:
    """The sum of floats, pairwise (NumPy's), so that many blocks add an error of log2(blocks) 2^-53 at most."""
    return float(np.add.reduce(np.fromiter(values, dtype=np.float64)))


def _float64_blocks(arrays: Sequence[np.ndarray]) -> Iterator[np.ndarray]:
    """The entries of every array, flat, as float64 copies of at most ROW_BLOCK_VALUES values."""
    for a in arrays:
        flat = a.reshape(-1)
        for start in range(0, flat.size, ROW_BLOCK_VALUES):
            yield np.asarray(flat[start:start + ROW_BLOCK_VALUES], dtype=np.float64)


def _chunks(flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A 1-D array as rows of CHUNK values and the tail left over (fewer than CHUNK values)."""
    whole = flat.size - flat.size % CHUNK
    return flat[:whole].reshape(-1, CHUNK), flat[whole:]


def sum_squares(flat: np.ndarray) -> float:
    """The sum of squares of a 1-D array, one dot product per CHUNK values in its dtype, added in float64:
    never one dot product over the whole array, which OpenBLAS splits over its threads (above 10,000
    values), so that the last bits would depend on the number of cores."""
    rows, tail = _chunks(flat)
    tail = tail.astype(np.float64)
    return float(np.add.reduce(_row_dots(rows, rows), dtype=np.float64)) + float(np.dot(tail, tail))


def _row_dots(m: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The dot product of each row of m with v (a row of the same shape or one vector), in m's dtype."""
    if hasattr(np, "vecdot"):  # NumPy >= 2.0
        return np.vecdot(m, v)
    return np.einsum("ij,ij->i" if v.ndim == 2 else "ij,j->i", m, v)


@dataclass
class RunningSums:
    """Running count and sums of (a - shift) and (a - shift)^2 in float64."""

    n: int = 0
    s1: float = 0.0
    s2: float = 0.0
    shift: float = 0.0

    def add(self, a: np.ndarray) -> bool:
        """Accumulate `a`; return whether all its values are finite (their squares sum finitely in float64)."""
        fast = fast_sums(a) if self.shift == 0.0 and a.dtype == np.float32 and a.ndim == 2 else None
        if fast is None:
            a64 = np.asarray(a, dtype=np.float64).reshape(-1)
            if self.n == 0 and a64.size:
                first = float(np.mean(a64))
                self.shift = first if math.isfinite(first) else 0.0
            d = a64 - self.shift if self.shift else a64
            fast = float(np.sum(d)), sum_squares(d)
        self.n += a.size
        self.s1 += fast[0]
        self.s2 += fast[1]
        return math.isfinite(fast[1])

    def add_rows(self, a: np.ndarray) -> tuple[float, bool]:
        """Accumulate a (batch, units) array in float64; return the mean over units of each unit's variance
        across the batch, and whether all values are finite.

        One pass over float64 copies of about ROW_BLOCK_VALUES values at a time (whole rows, 2 MiB) gives
        the column sums and the sum of squares; the mean unit variance of a float32 array is then
        E[a^2] - mean_j(mean_j^2). A column sum of `batch` terms is off by at most batch 2^-53 of the sum of
        their magnitudes and a sum of squares by CHUNK 2^-53 of itself, so that difference is off by at most
        (2 batch + CHUNK) 2^-53 E[a^2]: it is kept only where it is at least SAFE_SHARE of E[a^2] and large
        enough for that bound to stay below UNIT_VAR_ERROR of it. Elsewhere (units that barely vary across
        the batch: the input-collapse case this column exists for; batches beyond ~4,000 near the threshold)
        a second pass sums (a - mean_j)^2 (two-pass), and always for float64 arrays: float64 runs are held
        to 1e-12, beyond what that bound allows. Where the first block is mean-dominated (mean^2 above
        MEAN_SHARE of E[a^2], as `variance` decides) the sums are taken about its mean, as in `add`, so the pooled
        variance (act_var) does not cancel (unshifted, a float64 sigmoid layer of variance 1e-14 beside a mean of
        1/2 was off by 3 %); else about 0, no extra pass. The bound above uses the larger (plain) E[a^2].
        """
        batch, units = a.shape
        if not a.size:
            return float("nan"), True
        col_sum, s2, shift = np.zeros(units), 0.0, self.shift
        for i, block in enumerate(_float64_rows(a)):
            part, part2 = _block_sums(block, shift)
            if not (self.n or i):  # the first block of the first array: shift by its mean if mean-dominated
                shift = self.shift = _shift(float(part.sum()) / block.size, part2 / block.size)
                part, part2 = _block_sums(block, shift) if shift else (part, part2)
            col_sum += part
            s2 += part2
        self.n += a.size
        self.s1 += float(col_sum.sum())
        self.s2 += s2
        col_mean = col_sum / batch  # about the shift
        m2 = s2 / a.size
        unit_var = m2 - sum_squares(col_mean) / units
        plain_m2 = m2 + 2 * shift * float(col_sum.sum()) / a.size + shift * shift if shift else m2
        scale = max(m2, plain_m2)
        share = max(SAFE_SHARE, (2 * batch + CHUNK) * 2.0**-53 / UNIT_VAR_ERROR)
        if a.dtype != np.float32 or not unit_var >= share * scale or not scale:  # nan and all-zero arrays too
            unit_var = _unit_var_two_pass(a, col_mean + shift)
        return unit_var, math.isfinite(s2)

    def mean(self) -> float | None:
        return self.shift + self.s1 / self.n if self.n else None

    def var(self) -> float | None:
        if not self.n:
            return None
        d = self.s1 / self.n  # mean - shift: small when the shift is the mean
        return max(self.s2 / self.n - d * d, 0.0) if math.isfinite(d) else float("nan")

    def m2(self) -> float | None:
        """E[a^2] = Var a + mean^2 (equal to s2 / n when there is no shift)."""
        if not self.n:
            return None
        if self.shift == 0.0 or not math.isfinite(self.s2):  # an inf (a - shift)^2 is an inf a^2, whatever s1 says
            return self.s2 / self.n
        return self.s2 / self.n + 2 * self.shift * (self.s1 / self.n) + self.shift * self.shift  # inf, never OverflowError


def _block_sums(block: np.ndarray, shift: float) -> tuple[np.ndarray, float]:
    """Column sums and the sum of squares of a float64 block about `shift`."""
    d = block - shift if shift else block
    # np.add.reduce, not ones @ block: a threaded BLAS job this small can cost 40x the sum when its sleeping
    # threads must wake
    return np.add.reduce(d, axis=0), sum_squares(d.reshape(-1))


def _shift(mean: float, m2: float) -> float:
    """The shift for sums whose first values have this mean and second moment: the mean where it dominates
    (mean^2 > MEAN_SHARE E[a^2]: E[a^2] - mean^2 would cancel), else 0."""
    return mean if math.isfinite(mean) and math.isfinite(m2) and mean * mean > MEAN_SHARE * m2 else 0.0


def _unit_var_two_pass(a: np.ndarray, col_mean: np.ndarray) -> float:
    """The mean over units of each unit's variance across the batch, two-pass about `col_mean`."""
    return sum(sum_squares((block - col_mean).reshape(-1)) for block in _float64_rows(a)) / a.size


def _rows_per_block(a: np.ndarray) -> int:
    return max(1, ROW_BLOCK_VALUES // max(a.shape[1], 1))


def _float64_rows(a: np.ndarray):
    """Consecutive blocks of whole rows of a (batch, units) array as float64, about ROW_BLOCK_VALUES values each."""
    step = _rows_per_block(a)
    for start in range(0, a.shape[0], step):
        yield np.asarray(a[start:start + step], dtype=np.float64)
