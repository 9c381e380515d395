"""The input-output Jacobian against central finite differences of the forward pass (every elementwise activation;
networks of blocks for every row-wise norm x position x residual or not x branch), exact isometry of linear
orthogonal networks, the Fuss-Catalan law of linear Gaussian networks, and linear residual blocks' product."""

import itertools
from math import comb

import numpy as np
import pytest

from actinit_cli.nn import activations, blocks, initializers, jacobian, mlp
from actinit_cli.nn.architecture import BRANCHES, NORM_NAMES, POSITIONS, Architecture
from tests.nn.test_blocks import net_of

ELEMENTWISE = [n for n in activations.REGISTRY.names() if activations.get(n).grad is not None]


def net(sizes, act, init, seed=0, dtype="float64", bias="zeros"):
    return mlp.build(sizes, activations.get(act), activations.get("identity"), initializers.get(init),
                     initializers.get(bias), np.dtype(dtype), np.random.SeedSequence(seed))


def spectrum_of(n: mlp.Network, x: np.ndarray) -> jacobian.Spectrum:
    tape = mlp.forward(n, x)
    return jacobian.spectrum(n, tape.h[1:-1])


def last_hidden(n: mlp.Network, x: np.ndarray) -> np.ndarray:
    return mlp.forward(n, x).y[-2]


def agrees_with_finite_differences(jac, f, x, eps=1e-6):
    """jac[s, i] against the central difference (f(x_s + eps e_i) - f(x_s - eps e_i)) / (2 eps), float64."""
    for s in range(x.shape[0]):
        for i in range(x.shape[1]):
            up, down = x[s:s + 1].copy(), x[s:s + 1].copy()
            up[0, i] += eps
            down[0, i] -= eps
            fd = (f(up) - f(down))[0] / (2 * eps)
            np.testing.assert_allclose(jac[s, i], fd, rtol=1e-6, atol=1e-8 * max(1.0, np.abs(fd).max()))


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_jacobian_equals_finite_differences(name):
    """Non-square layers (5 -> 7 -> 6 -> 4), biases, two inputs; central differences, step 1e-6 in float64."""
    n = net([5, 7, 6, 4, 3], name, "glorot_normal", seed=1, bias={"name": "random_normal", "stddev": 0.3})
    x = np.random.default_rng(2).standard_normal((2, 5))
    jac = jacobian.chain(n, mlp.forward(n, x).h[1:-1])
    assert jac.shape == (2, 5, 4)
    agrees_with_finite_differences(jac, lambda v: last_hidden(n, v), x)


def test_a_float32_jacobian_agrees_with_float64():
    """Built in the run's dtype: float32 weights give the float64 product of the same (float32) weights to 1e-5
    of the largest singular value at depth 32."""
    n32 = net([64] * 34, "tanh", "glorot_normal", dtype="float32")
    n64 = mlp.Network([w.astype(np.float64) for w in n32.weights], [b.astype(np.float64) for b in n32.biases],
                      n32.hidden, n32.output)
    x = np.random.default_rng(0).standard_normal((2, 64))
    j32 = jacobian.chain(n32, mlp.forward(n32, x.astype(np.float32)).h[1:-1])
    j64 = jacobian.chain(n64, mlp.forward(n64, x).h[1:-1])
    assert j32.dtype == np.float32 and j64.dtype == np.float64
    s32, s64 = jacobian.singular_values(j32), jacobian.singular_values(j64)
    assert s32.dtype == np.float64 and np.abs(s32 - s64).max() < 1e-5 * s64.max()


@pytest.mark.parametrize("depth", [1, 8, 64])
def test_linear_orthogonal_network_is_an_exact_isometry(depth):
    """Saxe et al. 2014: a product of orthogonal matrices is orthogonal: every singular value 1 (float64)."""
    n = net([128] * (depth + 2), "identity", "orthogonal", seed=depth)
    sp = spectrum_of(n, np.random.default_rng(0).standard_normal((3, 128)))
    assert sp.values.shape == (3, 128)
    np.testing.assert_allclose(sp.values, 1.0, atol=1e-5)
    sc = sp.scalars()
    assert abs(sc["jac_sv2_mean"] - 1) < 1e-5 and sc["jac_sv2_var"] < 1e-9 and abs(sc["jac_sv_spread"]) < 1e-6


def fuss_catalan(depth: int, k: int) -> float:
    """The k-th moment of the Fuss-Catalan law of order `depth`: binom((depth + 1) k, k) / (depth k + 1), the
    limit of the eigenvalues of J J^T for J a product of `depth` square Gaussian matrices of variance 1/N
    (Penson & Zyczkowski 2011, "Product of Ginibre matrices: Fuss-Catalan and Raney distributions",
    Phys. Rev. E 83, 061118, eq. 2; mean 1, second moment depth + 1, so variance = depth)."""
    return comb((depth + 1) * k, k) / (depth * k + 1)


@pytest.mark.parametrize("depth", [1, 2, 4, 8])
def test_linear_gaussian_network_follows_fuss_catalan(depth):
    """Width 512, 4 weight draws: the mean of each draw's first three moments of sv^2 against Fuss-Catalan.

    Tolerance: 5 % on m_1, 10 % on m_2 (= depth + 1), 20 % on m_3. Measured over 20 other draws at this width,
    one draw's m_k / FC has sd 1.5 %, 4.0 % and 7.4 % at depth 8 (the largest), so the mean of 4 draws has about
    half that; the finite-width bias is +0.1 %, +1.3 % and +3.1 % there, O(depth / N) (depth 1: E m_2 = 2 + 1/N
    exactly for real Gaussian W)."""
    got = []
    for seed in range(4):
        n = net([512] * (depth + 2), "identity", {"name": "lecun_normal", "distribution": "untruncated_normal"}, seed)
        sv2 = spectrum_of(n, np.zeros((1, 512))).values[0] ** 2
        got.append([np.mean(sv2 ** k) for k in (1, 2, 3)])
    m1, m2, m3 = np.mean(got, axis=0)
    assert m1 == pytest.approx(1.0, rel=0.05)
    assert m2 == pytest.approx(fuss_catalan(depth, 2), rel=0.10)
    assert m3 == pytest.approx(fuss_catalan(depth, 3), rel=0.20)
    assert m2 - m1**2 == pytest.approx(depth, rel=0.15)  # the variance of sv^2: the depth


def test_spectrum_rows_and_scalars_are_the_statistics_of_the_values():
    values = np.array([[4.0, 2.0, 1.0, 0.5], [1.0, 1.0, 1.0, 1.0]])
    sp = jacobian.Spectrum(values)
    rows = sp.rows()
    assert [r["sample"] for r in rows] == [0, 1] and set(rows[0]) == set(jacobian.COLUMNS)
    assert rows[0]["sv_max"] == 4.0 and rows[0]["sv_min"] == 0.5 and rows[0]["condition"] == 8.0
    assert rows[0]["sv2_mean"] == pytest.approx((16 + 4 + 1 + 0.25) / 4)
    assert rows[0]["sv2_var"] == pytest.approx(np.var([16, 4, 1, 0.25]))
    assert rows[0]["sv_median"] == pytest.approx(1.5)
    sc = sp.scalars()
    assert sc["jac_sv2_mean"] == pytest.approx((rows[0]["sv2_mean"] + 1) / 2)
    assert sc["jac_sv2_var"] == pytest.approx(rows[0]["sv2_var"] / 2)
    assert sc["jac_sv2_var_rel"] == pytest.approx(rows[0]["sv2_var"] / rows[0]["sv2_mean"] ** 2 / 2)
    q95, q05 = np.quantile(values[0], [0.95, 0.05])
    assert sc["jac_sv_spread"] == pytest.approx(np.log10(q95 / q05) / 2)


def test_an_overflowed_sample_has_nan_singular_values_and_the_others_are_kept():
    jac = np.stack([np.eye(3) * 2, np.full((3, 3), np.inf), np.full((3, 3), np.nan)])
    sv = jacobian.singular_values(jac)
    assert sv[0] == pytest.approx([2, 2, 2]) and np.isnan(sv[1:]).all()
    rows = jacobian.Spectrum(sv).rows()
    assert rows[0]["condition"] == 1.0 and np.isnan(rows[1]["condition"]) and np.isnan(rows[2]["sv2_mean"])
    assert jacobian.Spectrum(np.array([[1.0, 0.0]])).rows()[0]["condition"] == np.inf


def test_values_below_the_rounding_level_do_not_make_the_spread():
    """Below eps x the largest, a singular value is zero within rounding: the spread reads eps there."""
    values = np.array([[10.0] * 10 + [1e-40] * 10])
    assert jacobian.Spectrum(values, eps=1e-16).scalars()["jac_sv_spread"] == pytest.approx(16.0)
    assert jacobian.Spectrum(values, eps=1e-7).scalars()["jac_sv_spread"] == pytest.approx(7.0)
    assert jacobian.Spectrum(values).floor == pytest.approx([10 * np.finfo(np.float64).eps])


def test_the_spectrum_is_reproducible_to_the_byte():
    a = net([64] * 10, "tanh", "glorot_normal", seed=5)
    x = np.random.default_rng(1).standard_normal((4, 64))
    assert spectrum_of(a, x).values.tobytes() == spectrum_of(net([64] * 10, "tanh", "glorot_normal", seed=5), x).values.tobytes()


# Networks of blocks: the Jacobian of the stream after the last block, by the blocks' own VJPs.
ROWWISE = ["none", "layer", "rms"]  # BatchNorm couples the rows of a batch: refused by the spec
BLOCKS = list(itertools.product(ROWWISE, POSITIONS, (True, False), BRANCHES))


def test_every_norm_but_batch_is_covered():
    assert set(NORM_NAMES) - set(ROWWISE) == {"batch"}


def stream(net, x):
    return blocks.forward(net, x).head_in


@pytest.mark.parametrize("norm, position, residual, branch", BLOCKS,
                         ids=[f"{n}-{p}-{'res' if r else 'plain'}-{'_'.join(b)}" for n, p, r, b in BLOCKS])
def test_block_jacobian_equals_finite_differences(norm, position, residual, branch):
    arch = Architecture(residual, 0.7 if residual else 1.0, norm, position, branch)
    net = net_of(arch, [5, 5, 5, 5, 3] if residual else [5, 6, 4, 6, 3])
    x = np.random.default_rng(0).standard_normal((2, 5)) * 1.3 + 0.2
    jac = jacobian.through_blocks(net, x)
    assert jac.shape == (2, 5, stream(net, x).shape[1])
    agrees_with_finite_differences(jac, lambda v: stream(net, v), x)


def test_linear_residual_blocks_give_the_product_of_identity_plus_alpha_w():
    """x[l] = x[l-1] + alpha (x[l-1] W^l + b^l): J = (I + alpha W^1) (I + alpha W^2) ... exactly."""
    arch = Architecture(True, 0.3, "none", "pre", ("act", "dense"))
    net = net_of(arch, [16] * 8 + [4], act="identity")
    jac = jacobian.through_blocks(net, np.random.default_rng(1).standard_normal((2, 16)))
    expected = np.eye(16)
    for block in net.blocks:
        expected = expected @ (np.eye(16) + 0.3 * block.dense[0].W)
    np.testing.assert_allclose(jac, np.broadcast_to(expected, jac.shape), rtol=1e-12, atol=1e-12)
