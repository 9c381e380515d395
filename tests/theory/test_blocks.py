"""Mean-field theory of networks of blocks (theory/blocks.py, theory/streams.py) against an independent
recursion written here: plain Python loops over the formulas of the module docstrings, with Gaussian
expectations by SciPy's adaptive quadrature (split at the activation's kinks) instead of actinit's composite
Gauss-Legendre rule. Agreement to 1e-10 relative, for every case with an exact prediction; plus closed forms
(ReLU with He: (1 + alpha^2)^l without norm, linear growth with a pre-norm) and the cases without one."""

import math

import numpy as np
import pytest
from scipy import integrate

from actinit_cli.errors import ActinitError
from actinit_cli.nn import activations
from actinit_cli.nn.architecture import Architecture
from actinit_cli.nn.norms import EPS
from actinit_cli.theory import blocks as T
from actinit_cli.theory import gaussian, streams

REL = 1e-10


def gauss(f, mean, var, kinks=()):
    """E[f(mean + sqrt(var) z)] by scipy.integrate.quad on pieces split at the kinks (in z)."""
    if var == 0:
        return f(mean)
    sd = math.sqrt(var)
    cuts = sorted({-40.0, -8.0, -4.0, -2.0, 0.0, 2.0, 4.0, 8.0, 40.0,
                   *[(k - mean) / sd for k in kinks if -40 < (k - mean) / sd < 40]})
    g = lambda z: f(mean + sd * z) * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    return sum(integrate.quad(g, a, b, epsabs=0, epsrel=1e-12, limit=200)[0] for a, b in zip(cuts, cuts[1:]))


def phi_of(name):
    a = activations.get(name)
    return (lambda x: float(a.fn(np.array([x]))[0])), (lambda x: float(a.derivative(np.array([x]))[0])), a.kinks


def reference(arch, act, sw2, sb2, depth, mean, std, head=(2.0, 2.0, 0.0)):
    """(q, M, preact, share, norm_in, G_stream, G_dense) per block 1..depth (index 0: the input) by the
    formulas, one plain loop forward and one backward. sw2 = (forward, backward) of every dense layer."""
    f, fp, kinks = phi_of(act)
    fwd, bwd = sw2
    M, V = mean, std * std
    q, means, pre, share, norm_in, factors = [M * M + V], [M], [None], [None], [None], []
    for _ in range(depth):
        Q = M * M + V
        if arch.norm == "layer" and arch.position == "pre":
            uM, uV, back_pre = 0.0, V / (V + EPS), 1 / (V + EPS)
        elif arch.norm == "rms" and arch.position == "pre":
            rho2 = Q + EPS
            uM, uV, back_pre = M / math.sqrt(rho2), V / rho2, 1 / rho2
        else:
            uM, uV, back_pre = M, V, 1.0
        chain, fM, fQ = [], uM, uM * uM + uV  # the branch: mean and second moment of its running signal
        for kind in arch.branch:
            if kind == "act":
                fV = fQ - fM * fM
                e1, e2 = gauss(f, fM, fV, kinks), gauss(lambda x: f(x) ** 2, fM, fV, kinks)
                chain.append(gauss(lambda x: fp(x) ** 2, fM, fV, kinks))
                fM, fQ = e1, e2
            else:
                fM, fQ, last = 0.0, fwd * fQ + sb2, fwd * fQ + sb2
                chain.append(bwd)
        a = arch.alpha
        sM, sQ = (M + a * fM, Q + 2 * a * M * fM + a * a * fQ) if arch.residual else (a * fM, a * a * fQ)
        back_post = 1.0
        if arch.norm in ("layer", "rms") and arch.position == "post":
            norm_in.append(sQ)
            sV = sQ - sM * sM
            if arch.norm == "layer":
                back_post, M, V = 1 / (sV + EPS), 0.0, sV / (sV + EPS)
            else:
                back_post, M, V = 1 / (sQ + EPS), sM / math.sqrt(sQ + EPS), sV / (sQ + EPS)
        else:
            norm_in.append(Q if arch.norm != "none" else None)
            M, V = sM, sQ - sM * sM
        q.append(M * M + V)
        means.append(M)
        pre.append(last)
        share.append(a * a * fQ / sQ if arch.residual else None)
        factors.append((chain, back_pre, back_post))
    g_stream, g_dense, g = [None] * (depth + 1), [None] * (depth + 1), head[1]
    for l in range(depth, 0, -1):
        chain, back_pre, back_post = factors[l - 1]
        g_stream[l] = g
        ds = g * back_post
        grad = arch.alpha ** 2 * ds
        for i in range(len(chain) - 1, -1, -1):
            if arch.branch[i] == "dense" and all(k != "dense" for k in arch.branch[i + 1:]):
                g_dense[l] = grad
            grad *= chain[i]
        g = grad * back_pre + (ds if arch.residual else 0.0)
    g_stream[0] = g
    return q, means, pre, share, norm_in, g_stream, g_dense


def profile_of(arch, act, sw2, sb2, depth, mean, std, width=512):
    p = T.BlockParams(activations.get(act), (T.Dense(sw2[0], sw2[1], sb2),) * arch.branch.count("dense"), width)
    return T.profile(T.Network(arch, [p] * depth, T.Dense(2.0, 2.0, 0.0), activations.get("identity"),
                               [width] * (depth + 2), mean, std))


CASES = [  # (architecture, activation, (sigma_w^2 fwd, bwd), sigma_b^2, input mean, input std)
    (Architecture(True, 0.5, "none", "pre", ("act", "dense")), "relu", (2.0, 2.0), 0.01, 0.3, 1.0),
    (Architecture(True, 1 / 8, "none", "pre", ("act", "dense")), "tanh", (1.0, 1.0), 0.05, 0.0, 1.0),
    (Architecture(True, 0.7, "none", "pre", ("dense", "act")), "relu", (2.0, 2.0), 0.02, 0.3, 1.5),
    (Architecture(True, 0.7, "none", "pre", ("dense", "act")), "gelu", (2.0, 1.5), 0.0, -0.2, 1.0),
    (Architecture(True, 0.6, "none", "pre", ("act", "dense", "act", "dense")), "selu", (1.0, 1.0), 0.0, 0.1, 1.0),
    (Architecture(True, 1.0, "layer", "pre", ("act", "dense")), "relu", (2.0, 2.0), 0.0, 0.3, 1.0),
    (Architecture(True, 0.5, "layer", "pre", ("dense", "act")), "tanh", (1.5, 1.5), 0.01, 0.0, 2.0),
    (Architecture(True, 1.0, "layer", "post", ("act", "dense")), "tanh", (1.0, 1.0), 0.0, 0.5, 1.0),
    (Architecture(True, 0.8, "layer", "post", ("act", "dense", "act", "dense")), "relu", (2.0, 2.0), 0.0, 0.0, 1.0),
    (Architecture(True, 1.0, "rms", "pre", ("dense", "act")), "silu", (2.0, 2.0), 0.0, 0.4, 1.0),
    (Architecture(True, 1.0, "rms", "post", ("act", "dense")), "elu", (1.0, 1.2), 0.02, 0.2, 1.0),
    (Architecture(False, 1.0, "layer", "pre", ("act", "dense")), "relu", (2.0, 2.0), 0.0, 0.3, 1.0),
    (Architecture(False, 1.0, "layer", "post", ("dense", "act")), "tanh", (1.0, 1.0), 0.0, 0.0, 1.0),
    (Architecture(False, 1.0, "rms", "post", ("act", "dense", "act", "dense")), "relu", (2.0, 2.0), 0.01, 0.3, 1.0),
]
IDS = [f"{'res' if a.residual else 'plain'}-{a.norm}-{a.position}-{'_'.join(a.branch)}-{act}"
       for a, act, *_ in CASES]


@pytest.mark.parametrize("arch, act, sw2, sb2, mean, std", CASES, ids=IDS)
def test_profile_matches_an_independent_recursion(arch, act, sw2, sb2, mean, std):
    depth = 6
    prof = profile_of(arch, act, sw2, sb2, depth, mean, std)
    q, means, pre, share, norm_in, g_stream, g_dense = reference(arch, act, sw2, sb2, depth, mean, std)
    for l in range(depth + 1):
        assert prof.act_m2[l] == pytest.approx(q[l], rel=REL), ("q", l)
        assert prof.act_mean[l] == pytest.approx(means[l], rel=REL, abs=1e-13), ("mean", l)
        assert prof.grad_act_m2[l] == pytest.approx(g_stream[l], rel=REL), ("g_stream", l)
    for l in range(1, depth + 1):
        assert prof.preact_m2[l] == pytest.approx(pre[l], rel=REL), ("preact", l)
        assert prof.grad_preact_m2[l] == pytest.approx(g_dense[l], rel=REL), ("g_dense", l)
        for got, want in ((prof.branch_share[l], share[l]), (prof.norm_in_m2[l], norm_in[l])):
            assert (math.isnan(got) and want is None) or got == pytest.approx(want, rel=REL)
    head_q = 2.0 * q[depth]
    assert prof.preact_m2[-1] == pytest.approx(head_q, rel=REL) and prof.grad_preact_m2[-1] == 1.0


@pytest.mark.parametrize("alpha", [1.0, 0.5, 1 / 8])
def test_relu_he_residual_grows_as_one_plus_alpha_squared(alpha):
    """Without bias or norm, ReLU with He: kappa(q) = q, so q_l = (1 + alpha^2)^l q_0 and the stream's
    gradient grows by the same factor per block towards the input (Yang & Schoenholz 2017)."""
    arch = Architecture(True, alpha, "none", "pre", ("act", "dense"))
    prof = profile_of(arch, "relu", (2.0, 2.0), 0.0, 16, 0.0, 1.0)
    growth = (1 + alpha * alpha) ** np.arange(17)
    np.testing.assert_allclose(prof.act_m2[:17], growth, rtol=1e-12)
    np.testing.assert_allclose(prof.grad_act_m2[:17], 2.0 * growth[::-1], rtol=1e-12)


def test_pre_layer_norm_grows_linearly():
    """Pre-LN, ReLU with He: every branch sees r = V / (V + eps) and adds alpha^2 r (Xiong et al. 2020)."""
    prof = profile_of(Architecture(True, 1.0, "layer", "pre", ("act", "dense")), "relu", (2.0, 2.0), 0.0, 12, 0.0, 1.0)
    q = [1.0]
    for _ in range(12):
        q.append(q[-1] + q[-1] / (q[-1] + EPS))
    np.testing.assert_allclose(prof.act_m2[:13], q, rtol=1e-12)
    assert prof.act_m2[12] == pytest.approx(13.0, rel=1e-4)


def test_post_layer_norm_holds_the_stream_at_one():
    prof = profile_of(Architecture(True, 1.0, "layer", "post", ("act", "dense")), "tanh", (1.0, 1.0), 0.0, 10, 0.0, 1.0)
    np.testing.assert_allclose(prof.act_m2[1:11], 1.0, rtol=2e-5)
    assert np.all(prof.act_m2[1:11] < 1.0)  # V / (V + eps)


def test_moments_with_zero_mean_agree_with_the_length_map():
    for name in ("relu", "tanh", "selu", "gelu", "softplus"):
        for q in (0.3, 1.0, 7.0):
            mine, ref = streams.moments(activations.get(name), 0.0, q), gaussian.moments(name, q)
            assert (mine.mean, mine.m2, mine.d2) == pytest.approx((ref.mean, ref.m2, ref.d2), rel=1e-12, abs=1e-15)


def test_no_prediction_where_none_is_exact():
    with pytest.raises(ActinitError, match="BatchNorm couples the samples"):
        profile_of(Architecture(True, 1.0, "batch", "pre", ("act", "dense")), "relu", (2.0, 2.0), 0.0, 3, 0.0, 1.0)
    uniform = T.Network(Architecture(True, 1.0, "none", "pre", ("act", "dense")),
                        [T.BlockParams(activations.get("relu"), (T.Dense(2.0, 2.0, 0.0),), 8)] * 2,
                        T.Dense(2.0, 2.0, 0.0), activations.get("identity"), [8] * 4, 0.0, 1.0, gaussian_input=False)
    with pytest.raises(ActinitError, match="not Gaussian"):
        T.profile(uniform)
    # a [dense, act] branch reads the stream through a dense layer only: a uniform input is fine
    ok = T.Network(Architecture(True, 1.0, "none", "pre", ("dense", "act")), uniform.blocks, uniform.head,
                   uniform.psi, uniform.widths, 0.0, 1.0, gaussian_input=False)
    assert T.profile(ok).act_m2[2] > 0


def test_cross_sample_moment_follows_the_arc_cosine_kernel():
    """act_unit_var = q - C with C = E[x_a x_b]: for a ReLU residual stream, C_l = C_{l-1} + alpha^2 (sigma_w^2
    k(q, C) + sigma_b^2) with the arc-cosine kernel k = q (sqrt(1 - c^2) + (pi - arccos c) c) / (2 pi),
    c = C / q (Cho & Saul 2009), here in closed form; the input's samples are independent (C_0 = 0)."""
    alpha, sb2 = 0.6, 0.05
    prof = profile_of(Architecture(True, alpha, "none", "pre", ("act", "dense")), "relu", (2.0, 2.0), sb2, 8, 0.0, 1.0)
    q, C = 1.0, 0.0
    for l in range(1, 9):
        c = C / q
        k = q * (math.sqrt(1 - c * c) + (math.pi - math.acos(c)) * c) / (2 * math.pi)
        q, C = q + alpha ** 2 * (2.0 * q / 2 + sb2), C + alpha ** 2 * (2.0 * k + sb2)
        assert prof.act_unit_var[l] == pytest.approx(q - C, rel=1e-9), l


def test_dense_act_stream_acquires_the_half_normal_mean():
    """[dense, act] with ReLU, He, no bias, alpha 1: h ~ N(0, 2 q) gives E[relu(h)] = sqrt(q / pi) and
    E[relu(h)^2] = q in closed form, so M[l] = M[l-1] + sqrt(q[l-1] / pi), q[l] = q[l-1] + 2 M[l-1] sqrt(q[l-1] /
    pi) + q[l-1] (docs/reference-numbers.md section R: M, q = 0.5642, 2; 1.3621, 4.9003; 2.6110, 13.2029; ...)."""
    prof = profile_of(Architecture(True, 1.0, "none", "pre", ("dense", "act")), "relu", (2.0, 2.0), 0.0, 6, 0.0, 1.0)
    M, q = 0.0, 1.0
    for l in range(1, 7):
        mu = math.sqrt(q / math.pi)
        M, q = M + mu, q + 2 * M * mu + q
        assert (prof.act_mean[l], prof.act_m2[l]) == pytest.approx((M, q), rel=1e-12), l
    assert (prof.act_mean[3], prof.act_m2[3]) == pytest.approx((2.6110013355, 13.2028955029), rel=1e-10)


def test_compressing_the_deviations_changes_no_band(monkeypatch):
    """streams.compress carries a stream's two deviations by two fresh sources of the same covariance (so the
    walk stays linear in depth): the bands are those of the full bookkeeping, to rounding."""
    arch = Architecture(True, 0.7, "rms", "pre", ("dense", "act"))
    fast = profile_of(arch, "relu", (2.0, 2.0), 0.01, 20, 0.3, 1.0, width=64)
    monkeypatch.setattr(streams, "compress", lambda x, sources: x)
    full = profile_of(arch, "relu", (2.0, 2.0), 0.01, 20, 0.3, 1.0, width=64)
    np.testing.assert_allclose(fast.preact_log_std[1:], full.preact_log_std[1:], rtol=1e-12)
    np.testing.assert_allclose(fast.act_log_std, full.act_log_std, rtol=1e-12)
