"""actinit's input-output Jacobian (nn/jacobian.py) against torch.autograd.functional.jacobian of the same MLP,
written in torch from the same weights, in float64."""

import numpy as np
import pytest

from actinit_cli.nn import activations, initializers, jacobian, mlp
from tests.cases import need

torch = need("torch")
TORCH = {"tanh": torch.tanh, "relu": torch.relu, "gelu": torch.nn.functional.gelu, "sigmoid": torch.sigmoid,
         "selu": torch.selu, "identity": lambda x: x}


@pytest.mark.parametrize("name", list(TORCH))
def test_jacobian_matches_torch_autograd(name):
    sizes = [6, 9, 7, 8, 5]  # non-square on purpose; the last size is the output layer, not in the Jacobian
    net = mlp.build(sizes, activations.get(name), activations.get("identity"), initializers.get("he_normal"),
                    initializers.get({"name": "random_normal", "stddev": 0.2}), np.dtype("float64"),
                    np.random.SeedSequence(3))
    x = np.random.default_rng(4).standard_normal((3, 6))
    ours = jacobian.chain(net, mlp.forward(net, x).h[1:-1])

    def hidden(v):
        for w, b in zip(net.weights[:-1], net.biases[:-1]):
            v = TORCH[name](v @ torch.from_numpy(w) + torch.from_numpy(b))
        return v

    for s in range(3):
        theirs = torch.autograd.functional.jacobian(hidden, torch.from_numpy(x[s])).numpy()  # (out, in)
        np.testing.assert_allclose(ours[s], theirs.T, rtol=1e-12, atol=1e-14)
