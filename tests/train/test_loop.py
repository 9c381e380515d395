"""The training loop: the update it applies is the optimizer's step on the tested gradient (a first-order check
of the loss against an independent recomputation), the update ratio is std(delta W)/std(W), the history's
quantities agree with a recomputation, and the data split standardises on the training split."""

import numpy as np
import pytest

from actinit_cli.nn import losses, mlp
from actinit_cli.run import runner
from actinit_cli.run import spec as specs
from actinit_cli.train import data, job, loop

SPEC = """name: t
seed: 3
model: {depth: 3, width: 16, activation: tanh, initializer: glorot_normal, dtype: float64}
train: {task: {name: gaussian_mixture, samples: 300, features: 5}, steps: 4, batch_size: 32, eval_every: 2,
        optimizer: {name: sgd, lr: 0.001}}
"""


class Prepared:
    """A prepared job with its network drawn, as job.execute draws it."""

    def __init__(self, j):
        self.spec, self.split, self.order = j.spec, j.split, j.order
        self.net = runner.network(j.spec, j.weights)


def prepared(tmp_path, text=SPEC):
    return Prepared(job.prepare(specs.parse(text), tmp_path))


def full_loss(net, x, t, loss):
    tape = mlp.forward(net, x)
    return losses.evaluate(loss, tape.h[-1], tape.y[-1], t, net.output).value


def test_one_sgd_step_lowers_the_loss_by_lr_times_the_squared_gradient(tmp_path):
    j = prepared(tmp_path)
    x, t = j.split.x_train[:32], j.split.t_train[:32]
    tape = mlp.forward(j.net, x)
    g = losses.evaluate("cross_entropy", tape.h[-1], tape.y[-1], t, j.net.output)
    sq = sum(float(np.sum(lg.dW**2) + np.sum(lg.db**2)) for lg in mlp.backward(j.net, tape, g.dy, g.dh) if lg.layer)
    before = full_loss(j.net, x, t, "cross_entropy")
    from actinit_cli.nn import optimizers

    value = loop.step(j.net, optimizers.get({"name": "sgd", "lr": 1e-4}), "cross_entropy", x, t)
    after = full_loss(j.net, x, t, "cross_entropy")
    assert value == pytest.approx(before, rel=1e-12)
    assert (before - after) == pytest.approx(1e-4 * sq, rel=1e-3)  # L(p - lr g) = L - lr |g|^2 + O(lr^2)


def test_update_ratio_is_the_std_of_the_applied_change(tmp_path):
    j = prepared(tmp_path)
    from actinit_cli.nn import optimizers

    before = [w.copy() for w in j.net.weights]
    ratios = [None] * len(before)
    loop.step(j.net, optimizers.get({"name": "adam", "lr": 0.01}), "cross_entropy", j.split.x_train[:32],
              j.split.t_train[:32], ratios)
    want = [np.std(w - w0) / np.std(w0) for w, w0 in zip(j.net.weights, before)]
    np.testing.assert_allclose(ratios, want, rtol=1e-9)
    np.testing.assert_allclose(ratios, 0.01 / np.array([np.std(w0) for w0 in before]), rtol=0.05)  # adam: |step| = lr


def test_history_rows_agree_with_a_recomputation(tmp_path):
    j = prepared(tmp_path)
    x0, t0 = j.split.x_train, j.split.t_train
    initial = full_loss(j.net, x0, t0, "cross_entropy")
    result = loop.train(j.spec, j.net, j.split, j.order)
    assert [h["step"] for h in result.history] == [0, 2, 4]
    assert result.history[0]["train_loss"] == pytest.approx(initial, rel=1e-12)
    final = full_loss(j.net, x0, t0, "cross_entropy")
    assert result.history[-1]["train_loss"] == pytest.approx(final, rel=1e-12)
    assert result.scalars["final_loss_ratio"] == pytest.approx(final / initial, rel=1e-12)
    tape = mlp.forward(j.net, j.split.x_test)
    acc = np.mean(np.argmax(tape.y[-1], axis=1) == j.split.labels_test)
    assert result.history[-1]["test_accuracy"] == pytest.approx(acc)
    assert [r["layer"] for r in result.layers if r["step"] == 4] == list(range(5))
    w_var = [r["weight_var"] for r in result.layers if r["step"] == 4 and r["layer"]]
    np.testing.assert_allclose(w_var, [np.var(w) for w in j.net.weights], rtol=1e-12)


def test_inputs_standardised_on_the_training_split(tmp_path):
    j = prepared(tmp_path)
    np.testing.assert_allclose(j.split.x_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(j.split.x_train.std(axis=0), 1, rtol=1e-12)
    assert len(j.split.x_test) == 60 and len(j.split.x_train) == 240  # test_fraction 0.2 of 300


@pytest.mark.parametrize("loss, kind, shape", [("mse", "multiclass", (240, 3)), ("binary_cross_entropy", "multiclass",
                                                                                 (240, 3)), ("cross_entropy", "multiclass", (240,))])
def test_targets_follow_the_loss(tmp_path, loss, kind, shape):
    j = prepared(tmp_path, SPEC + f"loss: {loss}\n")
    assert j.split.t_train.shape == shape and j.split.kind == kind
    if loss != "cross_entropy":
        np.testing.assert_array_equal(np.argmax(j.split.t_train, axis=1), j.split.labels_train)


def test_accuracy_of_one_output_thresholds_at_a_half():
    assert data.accuracy(np.array([[0.2], [0.7], [0.5]]), np.array([0, 0, 1])) == pytest.approx(2 / 3)


def test_per_layer_overrides_train(tmp_path):
    """model.layers: each hidden layer's own activation and width is what the training step runs."""
    text = SPEC.replace("dtype: float64}", "dtype: float64,\n        layers: [{at: 2, activation: relu, width: 8}]}")
    j = prepared(tmp_path, text)
    assert j.net.sizes == [5, 16, 8, 16, 3] and j.net.activation(2).name == "relu"
    result = loop.train(j.spec, j.net, j.split, j.order)
    assert result.scalars["final_loss_ratio"] < 1
    assert [r["layer"] for r in result.layers if r["step"] == 0] == list(range(5))


@pytest.mark.parametrize("task", ["teacher", "gaussian_mixture", "spirals", "binary", "digits", "breast_cancer",
                                  "diabetes"])
def test_every_task_trains(tmp_path, task):
    """Each task, with its own loss and output, through the whole loop: the train loss falls in 60 Adam steps."""
    if task in ("digits", "breast_cancer", "diabetes"):
        from tests.cases import need

        need("sklearn")
    text = (f"model: {{depth: 2, width: 32, activation: tanh, initializer: glorot_normal}}\n"
            f"train: {{task: {task}, steps: 60, batch_size: 32, eval_every: 30, optimizer: {{name: adam, lr: 0.01}}}}\n")
    j = prepared(tmp_path, text)
    result = loop.train(j.spec, j.net, j.split, j.order)
    assert result.scalars["final_loss_ratio"] < 0.9, result.history
    assert (result.scalars["test_accuracy"] is None) == (j.split.kind == "regression")
