"""Networks of blocks: gradients through the whole network against central finite differences in float64, for
every norm x position x residual or not x branch (input, both dense layers' weights and biases, the norm's
gamma and beta, the head); float32 against float64; the layout of branches; and the block path with a plain
architecture ([dense, act], no residual, no norm) equal to the MLP of nn/mlp.py, number for number."""

import itertools

import numpy as np
import pytest

from actinit_cli.nn import activations, blocks, initializers, layers, mlp
from actinit_cli.nn.architecture import BRANCHES, NORM_NAMES, POSITIONS, Architecture
from tests.nn.test_mlp import numeric

COMBOS = list(itertools.product(NORM_NAMES, POSITIONS, (True, False), BRANCHES))
IDS = [f"{n}-{p}-{'res' if r else 'plain'}-{'_'.join(b)}" for n, p, r, b in COMBOS]
HE, BIAS = initializers.get("he_normal"), initializers.get({"name": "random_normal", "stddev": 0.3})


def net_of(arch, sizes, act="tanh", dtype="float64", seed=1, output="sigmoid"):
    depth = len(sizes) - 2
    return blocks.build(sizes, arch, [activations.get(act)] * depth, activations.get(output), [HE] * (depth + 1),
                        [BIAS] * (depth + 1), np.dtype(dtype), np.random.SeedSequence(seed))


def projected(net, x, r):
    """L = sum(y * r) and every row's gradients (dL/dh at the output = r psi'(h))."""
    tape = blocks.forward(net, x)
    value = float(np.sum(tape.y * r))
    grads = {g.row: g for g in blocks.backward(net, tape, r, r * net.output.derivative(tape.h))}
    return value, grads


@pytest.mark.parametrize("norm, position, residual, branch", COMBOS, ids=IDS)
def test_gradients_match_finite_differences(norm, position, residual, branch):
    arch = Architecture(residual, 0.7 if residual else 1.0, norm, position, branch)
    sizes = [5, 5, 5, 5, 3] if residual else [5, 6, 4, 6, 3]  # residual: equal widths; else: none alike
    net = net_of(arch, sizes)
    rng = np.random.default_rng(0)
    x, r = rng.standard_normal((7, 5)) * 1.3 + 0.2, rng.standard_normal((7, 3))
    _, grads = projected(net, x, r)

    def loss():
        return projected(net, x, r)[0]

    block = net.blocks[1]  # the middle block: gradients pass through blocks above and below it
    pairs = [(grads[0].stream, x), (grads[4].head.dW, net.head.W)]
    pairs += [(grads[2].block.dW[i], d.W) for i, d in enumerate(block.dense)]
    pairs += [(grads[2].block.db[i], d.b) for i, d in enumerate(block.dense)]
    if block.norm is not None:
        pairs += [(grads[2].block.norm[k], getattr(block.norm, k)) for k in ("gamma", "beta")
                  if getattr(block.norm, k) is not None]
    for analytic, array in pairs:
        np.testing.assert_allclose(analytic, numeric(loss, array), rtol=1e-6, atol=1e-9)
    assert len(pairs) == 2 + 2 * branch.count("dense") + (0 if norm == "none" else 1 + (norm != "rms"))


def cast(net, dtype):
    """The same network in another dtype (float32 draws other numbers than float64: compare like with like)."""
    def dense(d):
        return layers.Dense(d.W.astype(dtype), d.b.astype(dtype))

    def norm(n):
        return None if n is None else layers.Normalize(n.norm, n.gamma.astype(dtype),
                                                       None if n.beta is None else n.beta.astype(dtype))
    return blocks.Network([blocks.Block(tuple(dense(l) if isinstance(l, layers.Dense) else l for l in b.branch),
                                        b.arch, norm(b.norm)) for b in net.blocks], dense(net.head), net.output)


@pytest.mark.parametrize("norm, position, residual, branch", COMBOS, ids=IDS)
def test_float32_agrees_with_float64(norm, position, residual, branch):
    """Agreement to float32's precision: the largest difference within 1e-5 of the largest value (measured:
    at most 1.5e-6 over every combination, through four layers)."""
    arch = Architecture(residual, 0.5, norm, position, branch)
    x = np.random.default_rng(3).standard_normal((32, 16))
    r = np.random.default_rng(4).standard_normal((32, 8))
    net64 = net_of(arch, [16] * 4 + [8], "relu", output="identity")
    out = {}
    for dtype in ("float32", "float64"):
        value, grads = projected(cast(net64, np.dtype(dtype)), x.astype(dtype), r.astype(dtype))
        assert grads[0].stream.dtype == grads[2].block.dW[0].dtype == np.dtype(dtype)
        out[dtype] = (np.array(value), grads[0].stream, grads[2].block.dW[0])
    for a32, a64 in zip(out["float32"], out["float64"]):
        assert np.max(np.abs(a32 - a64)) <= 1e-5 * np.max(np.abs(a64))


def test_branch_layout_and_widths():
    """A two-layer branch maps n[l-1] -> n[l] -> n[l]; a pre-norm sees the block's input width, a post-norm
    its output width; the Layer protocol names every parameter's gradient."""
    net = net_of(Architecture(False, 1.0, "layer", "pre", ("act", "dense", "act", "dense")), [3, 5, 4, 2])
    assert [d.W.shape for d in net.blocks[0].dense] == [(3, 5), (5, 5)] and net.blocks[0].norm.gamma.shape == (3,)
    assert net.sizes == [3, 5, 4, 2] and net.head.W.shape == (4, 2)
    post = net_of(Architecture(False, 1.0, "layer", "post", ("dense", "act")), [3, 5, 4, 2])
    assert post.blocks[0].norm.gamma.shape == (5,)
    y, cache = net.blocks[0].forward(np.ones((2, 3)))
    _, named = net.blocks[0].vjp(cache, np.ones_like(y))
    assert sorted(named) == ["W1", "W2", "b1", "b2", "beta", "gamma"]


def test_taps_are_the_arrays_the_rows_describe():
    arch = Architecture(True, 0.5, "layer", "post", ("act", "dense"))
    net = net_of(arch, [4, 4, 4, 2], "relu")
    x = np.random.default_rng(5).standard_normal((6, 4))
    seen = {}
    blocks.forward(net, x, lambda row, s: seen.__setitem__(row, s))
    t = seen[1]
    f = np.maximum(x, 0) @ net.blocks[0].dense[0].W + net.blocks[0].dense[0].b
    np.testing.assert_allclose(t.dense_out, f)
    np.testing.assert_allclose(t.norm_in, x + 0.5 * f)
    s = x + 0.5 * f
    np.testing.assert_allclose(t.stream, (s - s.mean(1, keepdims=True)) / np.sqrt(s.var(1, keepdims=True) + 1e-5))
    assert seen[0] is x and len(seen[3]) == 2


def test_plain_architecture_equals_the_mlp():
    """[dense, act] without residual or norm is the MLP: the same weights from the same streams, the same
    forward and backward, bit for bit."""
    sizes, act = [6, 8, 5, 7, 3], activations.get("tanh")
    arch = Architecture(False, 1.0, "none", "pre", ("dense", "act"))
    seed = np.random.SeedSequence(11)
    net = blocks.build(sizes, arch, [act] * 3, activations.get("identity"), [HE] * 4, [BIAS] * 4,
                       np.dtype("float32"), seed)
    ref = mlp.build(sizes, act, activations.get("identity"), HE, BIAS, np.dtype("float32"), np.random.SeedSequence(11))
    x = np.random.default_rng(0).standard_normal((9, 6)).astype(np.float32)
    r = np.random.default_rng(1).standard_normal((9, 3)).astype(np.float32)
    tape, ref_tape = blocks.forward(net, x), mlp.forward(ref, x)
    assert np.array_equal(tape.y, ref_tape.y[-1])
    mine = {g.row: g for g in blocks.backward(net, tape, r, r)}
    for g in mlp.backward(ref, ref_tape, r, r):
        assert np.array_equal(mine[g.layer].stream, g.dy)
        if 0 < g.layer < 4:
            assert np.array_equal(mine[g.layer].block.dW[0], g.dW) and np.array_equal(mine[g.layer].block.dense_out, g.dh)


def test_weights_do_not_depend_on_threads(monkeypatch):
    arch = Architecture(True, 1.0, "none", "pre", ("act", "dense", "act", "dense"))
    one = net_of(arch, [64] * 6 + [8], dtype="float32")
    monkeypatch.setattr(mlp, "PARALLEL_VALUES", 1)  # force the thread pool
    many = net_of(arch, [64] * 6 + [8], dtype="float32")
    for a, b in zip(one.blocks, many.blocks):
        assert all(np.array_equal(d.W, e.W) for d, e in zip(a.dense, b.dense))


def test_dense_and_act_layers_follow_the_layer_protocol():
    dense = layers.Dense(np.arange(6.0).reshape(2, 3), np.array([1.0, 0.0, -1.0]))
    y, cache = dense.forward(np.array([[1.0, 2.0]]))
    assert y.tolist() == [[7.0, 9.0, 11.0]]
    dx, g = dense.vjp(cache, np.ones((1, 3)))
    assert dx.tolist() == [[3.0, 12.0]] and g["W"].tolist() == [[1, 1, 1], [2, 2, 2]] and g["b"].tolist() == [1, 1, 1]
