"""The losses on a torch model's output equal nn/losses.py's formulas, value and gradient (two independent
implementations), and the targets are drawn as nn/losses.py draws them."""

import numpy as np
import pytest

from actinit_cli.nn import activations, losses as np_losses
from actinit_cli.torch import losses
from tests.cases import need

torch = need("torch")

OUTPUT = {"mse": "identity", "random_projection": "identity", "cross_entropy": "softmax",
          "binary_cross_entropy": "sigmoid"}


@pytest.mark.parametrize("loss", losses.LOSS_NAMES)
def test_value_and_gradient_match_nn_losses(loss):
    rng = np.random.default_rng(3)
    h = rng.standard_normal((16, 5)) * 2
    target = losses.targets(loss, np.random.default_rng(4), h.shape, np.dtype(np.float64))
    out = activations.get(OUTPUT[loss])
    ref = np_losses.evaluate(loss, h, out.fn(h), np_losses.targets(loss, np.random.default_rng(4), 16, 5,
                                                                   np.dtype(np.float64)), out)
    y = torch.from_numpy(h).requires_grad_()
    value = losses.value(loss, y, torch.from_numpy(target))
    value.backward()
    assert float(value.detach()) == pytest.approx(ref.value, rel=1e-12)
    np.testing.assert_allclose(y.grad.numpy(), ref.dh, rtol=1e-10, atol=1e-15)  # torch's y is the logits h


def test_cross_entropy_needs_class_logits():
    assert losses.problem("cross_entropy", (8, 10)) == ""
    assert "(batch, classes) logits" in losses.problem("cross_entropy", (8, 3, 4))
    assert "at least 2 classes" in losses.problem("cross_entropy", (8, 1))
    assert losses.problem("mse", (8, 3, 4)) == ""
    assert losses.targets("mse", np.random.default_rng(0), (4, 3, 2), np.dtype(np.float32)).shape == (4, 3, 2)
