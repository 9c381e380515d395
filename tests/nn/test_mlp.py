"""The MLP core: every gradient against central finite differences in float64, for every hidden
activation and every loss, on a small non-square net; plus the layout and what backward releases."""

import numpy as np
import pytest

from actinit_cli.nn import activations, initializers, losses, mlp

HIDDEN = [n for n in activations.REGISTRY.names() if n != "softmax"]
# (loss, output activation): the fused pairs, mse through a softmax Jacobian, projection through tanh.
# Every registered loss with its own output activation (a new loss is tested for free), plus two crossings.
LOSS_OUTPUTS = [(name, loss.output or "identity") for name, loss in losses.LOSSES.items()] + [
    ("mse", "softmax"), ("random_projection", "tanh")]
SIZES = [3, 5, 4, 6, 4]  # non-square everywhere: a swapped fan_in/fan_out would not even run


def small_net(hidden: str, output: str, seed: int = 0) -> mlp.Network:
    return mlp.build(SIZES, activations.get(hidden), activations.get(output),
                     initializers.get({"name": "variance_scaling", "scale": 2.0}),
                     initializers.get({"name": "random_normal", "stddev": 0.3}), np.dtype("float64"),
                     np.random.SeedSequence(seed))


def loss_of(net: mlp.Network, x: np.ndarray, target: np.ndarray, loss: str) -> float:
    tape = mlp.forward(net, x)
    return losses.evaluate(loss, tape.h[-1], tape.y[-1], target, net.output).value


def all_grads(net, x, target, loss):
    tape = mlp.forward(net, x)
    g = losses.evaluate(loss, tape.h[-1], tape.y[-1], target, net.output)
    return {lg.layer: lg for lg in mlp.backward(net, tape, g.dy, g.dh)}


def numeric(f, array: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of f() with respect to every entry of `array` (perturbed in place)."""
    out = np.zeros_like(array)
    for idx in np.ndindex(array.shape):
        keep = array[idx]
        array[idx] = keep + eps
        up = f()
        array[idx] = keep - eps
        down = f()
        array[idx] = keep
        out[idx] = (up - down) / (2 * eps)
    return out


@pytest.mark.parametrize("loss, output", LOSS_OUTPUTS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_gradients_match_finite_differences(hidden, loss, output):
    net = small_net(hidden, output)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(7, SIZES[0])) * 1.5
    target = losses.targets(loss, rng, 7, SIZES[-1], np.dtype("float64"))
    grads = all_grads(net, x, target, loss)
    f = lambda: loss_of(net, x, target, loss)  # noqa: E731
    for layer in range(1, len(SIZES)):
        np.testing.assert_allclose(grads[layer].dW, numeric(f, net.weights[layer - 1]), rtol=1e-5, atol=1e-8)
        np.testing.assert_allclose(grads[layer].db, numeric(f, net.biases[layer - 1]), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(grads[0].dy, numeric(f, x), rtol=1e-5, atol=1e-8)


def test_layout_and_forward_formula():
    net = small_net("tanh", "identity")
    assert [w.shape for w in net.weights] == list(zip(SIZES[:-1], SIZES[1:]))
    x = np.random.default_rng(4).normal(size=(2, 3))
    tape = mlp.forward(net, x)
    np.testing.assert_allclose(tape.h[1], x @ net.weights[0] + net.biases[0])
    np.testing.assert_allclose(tape.y[1], np.tanh(tape.h[1]))


def test_backward_releases_the_tape_as_it_goes():
    net = small_net("relu", "identity")
    x = np.random.default_rng(5).normal(size=(3, 3))
    tape = mlp.forward(net, x)
    g = losses.evaluate("mse", tape.h[-1], tape.y[-1], np.zeros((3, 4)), net.output)
    list(mlp.backward(net, tape, g.dy, g.dh))
    assert all(h is None for h in tape.h) and all(y is None for y in tape.y[1:-1])


def test_memory_estimate_counts_what_is_kept():
    sizes, batch = [10, 20, 30], 8
    kept = (2 * batch * (20 + 30) + batch * 10 + (10 * 20 + 20) + (20 * 30 + 30)) * 4
    assert mlp.kept_bytes(sizes, batch, 4) == kept
    assert mlp.peak_bytes(sizes, batch, 4) > kept
    assert mlp.peak_bytes(sizes, batch, 4, save_arrays=True) > mlp.peak_bytes(sizes, batch, 4)


def test_each_layer_draws_from_its_own_stream_whatever_the_threads(monkeypatch):
    """W[l], b[l] come from SeedSequence.spawn's l-th child, so drawing layers in parallel threads (as a big
    net does) gives the same numbers as drawing them one by one."""
    args = ([300, 200, 100, 50], activations.get("tanh"), activations.get("identity"), initializers.get("he_normal"),
            initializers.get({"name": "random_normal", "stddev": 0.1}), np.dtype("float32"))
    monkeypatch.setattr(mlp, "PARALLEL_VALUES", 10**12)
    serial = mlp.build(*args, np.random.SeedSequence(7))
    monkeypatch.setattr(mlp, "PARALLEL_VALUES", 0)
    threaded = mlp.build(*args, np.random.SeedSequence(7))
    for a, b in zip(serial.weights + serial.biases, threaded.weights + threaded.biases):
        np.testing.assert_array_equal(a, b)
    rng = np.random.default_rng(np.random.SeedSequence(7).spawn(3)[1])  # layer 2's own stream, by hand
    np.testing.assert_array_equal(serial.weights[1], initializers.get("he_normal")(rng, (200, 100), np.float32))
