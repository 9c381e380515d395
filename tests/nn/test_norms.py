"""Normalization layers: the forward map's defining properties, the VJP against central finite differences
in float64 (input, gamma and beta), and float32 against float64. Every entry of NORMS is tested (a new
norm is tested for free)."""

import numpy as np
import pytest

from actinit_cli.nn import norms
from tests.nn.test_mlp import numeric

NAMES = list(norms.NORMS)
SHAPE = (6, 5)  # batch 6, 5 units: not square, so a swapped axis would not pass


def params(norm, rng, width, dtype=np.float64):
    """gamma and beta away from 1 and 0, so their gradients and the dy * gamma product are tested too."""
    gamma = (1 + 0.3 * rng.standard_normal(width)).astype(dtype)
    return gamma, (0.2 * rng.standard_normal(width)).astype(dtype) if norm.has_beta else None


@pytest.mark.parametrize("name", NAMES)
def test_output_is_normalized_along_its_axis(name):
    norm = norms.NORMS[name]
    x = np.random.default_rng(0).standard_normal(SHAPE) * 3 + 2
    y, _ = norms.forward(norm, x, np.ones(5), np.zeros(5) if norm.has_beta else None, eps=0.0)
    if norm.centred:
        np.testing.assert_allclose(y.mean(axis=norm.axis), 0, atol=1e-12)
        np.testing.assert_allclose(y.var(axis=norm.axis), 1, rtol=1e-12)
    else:
        np.testing.assert_allclose(np.mean(y * y, axis=norm.axis), 1, rtol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_eps_is_pytorchs(name):
    """sigma^2 = var + 1e-5: a constant-free input of variance 1e-5 comes out with variance 1/2."""
    norm = norms.NORMS[name]
    x = np.random.default_rng(1).standard_normal(SHAPE)
    x = x - x.mean(axis=norm.axis, keepdims=True)
    x = x / np.sqrt(np.mean(x * x, axis=norm.axis, keepdims=True)) * np.sqrt(1e-5)
    y, _ = norms.forward(norm, x, np.ones(5), np.zeros(5) if norm.has_beta else None)
    np.testing.assert_allclose(np.mean(y * y, axis=norm.axis), 0.5, rtol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_vjp_matches_finite_differences(name):
    norm = norms.NORMS[name]
    rng = np.random.default_rng(2)
    x = rng.standard_normal(SHAPE) * 1.5 + 0.5
    gamma, beta = params(norm, rng, 5)
    r = rng.standard_normal(SHAPE)

    def loss():
        return float(np.sum(norms.forward(norm, x, gamma, beta)[0] * r))

    y, cache = norms.forward(norm, x, gamma, beta)
    dx, dgamma, dbeta = norms.vjp(norm, cache, r, gamma)
    for analytic, array in ((dx, x), (dgamma, gamma)) + (((dbeta, beta),) if beta is not None else ()):
        np.testing.assert_allclose(analytic, numeric(loss, array), rtol=1e-6, atol=1e-8)
    assert (dbeta is None) == (not norm.has_beta)


@pytest.mark.parametrize("name", NAMES)
def test_float32_agrees_with_float64(name):
    norm = norms.NORMS[name]
    rng = np.random.default_rng(3)
    x, r = rng.standard_normal((64, 48)) * 4 + 1, rng.standard_normal((64, 48))
    gamma, beta = params(norm, rng, 48)
    out = {}
    for dtype in (np.float32, np.float64):
        b = beta.astype(dtype) if beta is not None else None
        y, cache = norms.forward(norm, x.astype(dtype), gamma.astype(dtype), b)
        dx, dg, _ = norms.vjp(norm, cache, r.astype(dtype), gamma.astype(dtype))
        assert y.dtype == dx.dtype == dg.dtype == dtype
        out[dtype] = (y, dx, dg)
    for a32, a64 in zip(out[np.float32], out[np.float64]):
        np.testing.assert_allclose(a32, a64, rtol=2e-5, atol=2e-5 * np.max(np.abs(a64)))


def test_batch_norm_couples_the_samples_layer_norm_does_not():
    """Changing one sample moves every sample's BatchNorm output, and only its own LayerNorm output."""
    x = np.random.default_rng(4).standard_normal(SHAPE)
    moved = x.copy()
    moved[0] += 1.0
    for name, others_move in (("batch", True), ("layer", False), ("rms", False)):
        norm = norms.NORMS[name]
        g, b = np.ones(5), np.zeros(5) if norm.has_beta else None
        diff = norms.forward(norm, moved, g, b)[0] - norms.forward(norm, x, g, b)[0]
        assert bool(np.any(np.abs(diff[1:]) > 1e-9)) is others_move
