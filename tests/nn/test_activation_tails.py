"""Tails and cancellations against 50-digit references (mpmath): where a float formula loses its sign or
its digits, not just its last bit."""

import mpmath as mp
import numpy as np
import pytest

from actinit_cli.nn import activations as acts

mp.mp.dps = 50
C = mp.sqrt(2 / mp.pi)


def gelu_tanh(t):
    return t / 2 * (1 + mp.tanh(C * (t + mp.mpf("0.044715") * t**3)))


def rel(got, want):
    return abs(mp.mpf(float(got)) - want) / abs(want)


@pytest.mark.parametrize("dtype, tol", [(np.float32, 1e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("x", [-10.23, -10.2, -10.15, -10.12, -9.0, -6.0, -3.0, -0.5, 0.5, 3.0])
def test_gelu_tanh_derivative_keeps_sign_and_digits_in_the_tail(x, dtype, tol):
    """Its float32 derivative was positive for x in [-10.23, -10.12]: a sech^2 that underflowed alone."""
    xv = np.array([x], dtype)
    got = acts.get({"name": "gelu", "approximate": True}).derivative(xv)[0]
    want = mp.diff(gelu_tanh, mp.mpf(float(xv[0])))
    assert got.dtype == dtype and np.sign(got) == np.sign(float(want))
    assert rel(got, want) < (100 * tol if abs(x) > 9 else tol)  # the far tail is near float32's smallest normals


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x, want", [(6e19, 1.0), (-6e19, 0.0), (1e13, 1.0), (-1e13, 0.0)])
def test_gelu_tanh_derivative_limits_are_finite(x, dtype, want):
    """|x| >= 5.2e19 (float32) gave nan: 0 * inf in the correction term."""
    got = acts.get({"name": "gelu", "approximate": True}).derivative(np.array([x], dtype))[0]
    assert got == want


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x", [-3 + 1e-6, -3 + 1e-4, -2.99, 2.99, 3 - 1e-6])
def test_hard_sigmoid_near_its_corners(x, dtype):
    """x/6 + 1/2 cancels just above -3 (25 % off in float32); (x + 3)/6, as Keras and PyTorch compute it."""
    xv = np.array([x], dtype)
    got = acts.get("hard_sigmoid").fn(xv)[0]
    want = (mp.mpf(float(xv[0])) + 3) / 6
    assert rel(got, want) < (1e-6 if dtype is np.float32 else 1e-14)


@pytest.mark.parametrize("x", [20.0, 44.0, 44.5, 48.0, 50.0])
def test_tanh_derivative_float32_down_to_its_subnormals(x):
    """1/cosh^2 overflowed to 0 from |x| = 44.4 in float32, where sech^2 is still representable."""
    got = acts.get("tanh").derivative(np.array([x, -x], np.float32))
    want = 1 / mp.cosh(x) ** 2
    tiny = 2 * float(np.finfo(np.float32).smallest_subnormal)  # below 1.2e-38 only this spacing is left
    assert np.all(got > 0) and got[0] == got[1]
    assert abs(mp.mpf(float(got[0])) - want) <= 1e-5 * want + tiny
