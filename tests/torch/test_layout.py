"""Weights between torch's (out, in, *kernel) and Keras's (*kernel, in, out): the fans an initializer sees
(checked against PyTorch's own fan computation and against large-sample statistics), the permutation, and
`initialize` drawing exactly what actinit draws on the Keras shape, layer by layer, W then b."""

import math

import numpy as np
import pytest

from actinit_cli.nn import initializers
from actinit_cli.nn.shapes import compute_fans
from actinit_cli.torch import layout
from actinit_cli.torch.notebook import initialize
from tests.cases import need

torch = need("torch")

LAYERS = [torch.nn.Linear(300, 50), torch.nn.Conv2d(16, 32, 3), torch.nn.Conv1d(8, 4, 5), torch.nn.Conv3d(2, 3, 2),
          torch.nn.ConvTranspose2d(16, 32, 3), torch.nn.Conv2d(16, 32, 3, groups=4)]


@pytest.mark.parametrize("layer", LAYERS, ids=repr)
def test_keras_fans_equal_pytorchs_own(layer):
    """PyTorch's _calculate_fan_in_and_fan_out reads dim 1 as fan_in (for ConvTranspose the output channels, as
    Keras's Conv*DTranspose does): the Keras shape must give actinit's compute_fans the same two numbers."""
    theirs = torch.nn.init._calculate_fan_in_and_fan_out(layer.weight)
    assert compute_fans(layout.keras_shape(tuple(layer.weight.shape))) == pytest.approx(theirs)


@pytest.mark.parametrize("layer,std", [(torch.nn.Linear(300, 50), math.sqrt(2 / 300)),
                                       (torch.nn.Conv2d(16, 32, 3), math.sqrt(2 / 144)),
                                       (torch.nn.ConvTranspose2d(16, 32, 3), math.sqrt(2 / 288))], ids=repr)
def test_he_normal_std_uses_fan_in(layer, std):
    initialize(layer, "he_normal", "zeros", seed=1)
    w = layer.weight.detach().numpy().astype(np.float64)
    # the std of n samples has a relative standard error of about sqrt(1/(2n)) (0.6 % at 15,000): allow 5 of them
    assert w.std() == pytest.approx(std, rel=5 * math.sqrt(1 / (2 * w.size)))
    assert np.abs(w).max() <= 2 * std / 0.87962566103423978 * (1 + 1e-6)  # truncated at 2 sigma_p
    assert not layer.bias.detach().numpy().any()


def test_permutation_round_trips_and_maps_entries():
    w = np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5)  # (out, in, kh, kw)
    k = layout.to_keras(w)
    assert k.shape == (4, 5, 3, 2) and k[1, 2, 0, 1] == w[1, 0, 1, 2]
    np.testing.assert_array_equal(layout.to_torch(k), w)
    assert layout.to_torch(np.ones(3)).shape == (3,)


def test_initialize_draws_what_actinit_draws_on_the_keras_shape():
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(4, 2))
    initialize(model, "glorot_uniform", {"name": "random_normal", "stddev": 0.1}, seed=7)
    w_init, b_init = initializers.get("glorot_uniform"), initializers.get({"name": "random_normal", "stddev": 0.1})
    for layer, stream in zip((model[0], model[3]), np.random.SeedSequence(7).spawn(2)):
        rng = np.random.default_rng(stream)
        w = w_init(rng, layout.keras_shape(tuple(layer.weight.shape)), np.dtype(np.float32))
        b = b_init(rng, (layer.weight.shape[0],), np.dtype(np.float32))
        np.testing.assert_array_equal(layer.weight.detach().numpy(), layout.to_torch(w))
        np.testing.assert_array_equal(layer.bias.detach().numpy(), b)


def test_none_keeps_the_models_own():
    layer = torch.nn.Linear(5, 3)
    before = layer.weight.detach().clone(), layer.bias.detach().clone()
    initialize(layer, None, "ones")
    assert torch.equal(layer.weight, before[0]) and torch.equal(layer.bias, torch.ones(3))
