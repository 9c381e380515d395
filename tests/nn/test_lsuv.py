"""LSUV (Mishkin & Matas 2016, arXiv:1511.06422): after it, every rescaled layer's pre-activation variance on
the batch is within tol of 1 (their Algorithm 1), in few iterations, and only the layers it was given change."""

import numpy as np
import pytest

from actinit_cli.nn import activations, initializers, lsuv, mlp

ACTS = ["tanh", "relu", "sigmoid", "selu", "gelu", "identity"]


def net(act, depth=30, width=128, bias="zeros", base="orthogonal"):
    return mlp.build([width] * (depth + 2), activations.get(act), activations.get("identity"), initializers.get(base),
                     initializers.get(bias), np.dtype("float64"), np.random.SeedSequence(0))


def variances(n, x):
    return [float(np.var(h)) for h in mlp.forward(n, x).h[1:]]


X = np.random.default_rng(1).standard_normal((1024, 128))


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("base", ["orthogonal", "glorot_uniform"])
def test_every_layer_ends_within_tol_of_unit_variance(act, base):
    n = net(act, base=base)
    fitted, report = lsuv.fit(n, X, {l: lsuv.Layer(0.1, 10) for l in range(1, 32)})
    assert all(abs(v - 1) < 0.1 for v in variances(fitted, X))
    assert [v for _, v in report.values()] == pytest.approx(variances(fitted, X), rel=1e-12)
    assert all(t <= 1 for t, _ in report.values())  # zero biases: one rescaling is exact


def test_biases_take_a_few_iterations_and_max_iter_is_kept():
    n = net("tanh", bias={"name": "random_normal", "stddev": 0.5})
    _, report = lsuv.fit(n, X, {l: lsuv.Layer(0.01, 10) for l in range(1, 32)})
    assert max(t for t, _ in report.values()) >= 2 and all(abs(v - 1) < 0.01 for _, v in report.values())
    _, report = lsuv.fit(n, X, {l: lsuv.Layer(1e-15, 3) for l in range(1, 32)})
    assert max(t for t, _ in report.values()) == 3


def test_only_the_given_layers_change():
    n = net("relu", depth=4)
    fitted, report = lsuv.fit(n, X, {2: lsuv.Layer(0.1, 10), 5: lsuv.Layer(0.1, 10)})
    assert set(report) == {2, 5}
    for l, (a, b) in enumerate(zip(n.weights, fitted.weights), start=1):
        assert (a.tobytes() == b.tobytes()) == (l not in report)
        if l in report:  # a rescaling: the same direction
            ratio = b / a
            assert np.allclose(ratio, ratio.flat[0])


def test_a_dead_layer_stops_instead_of_dividing_by_zero():
    n = net("relu", depth=2)
    zero = mlp.Network([np.zeros_like(w) for w in n.weights], n.biases, n.hidden, n.output)
    _, report = lsuv.fit(zero, X, {1: lsuv.Layer(0.1, 10), 2: lsuv.Layer(0.1, 10)})
    assert report == {1: (0, 0.0), 2: (0, 0.0)}
