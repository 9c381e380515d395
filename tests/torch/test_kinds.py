"""Every torch activation module actinit maps computes actinit's activation (so saturation and dead units mean
the same), and modules whose parameters leave actinit's family are not mapped."""

import numpy as np
import pytest

from actinit_cli.nn import activations
from actinit_cli.torch import kinds
from tests.cases import need

torch = need("torch")

# Inputs around every kink (0, +-1, +-3, 6) and into both tails, in float64.
X = np.concatenate([np.linspace(-8, 8, 1601), [-3.0, -1.0, 0.0, 1.0, 3.0, 6.0]])

MODULES = [torch.nn.Identity(), torch.nn.Sigmoid(), torch.nn.Tanh(), torch.nn.ReLU(), torch.nn.LeakyReLU(),
           torch.nn.LeakyReLU(0.2), torch.nn.ELU(), torch.nn.ELU(0.5), torch.nn.SELU(), torch.nn.GELU(),
           torch.nn.GELU("tanh"), torch.nn.SiLU(), torch.nn.Softplus(), torch.nn.Softsign(), torch.nn.Mish(),
           torch.nn.Hardsigmoid(), torch.nn.Hardtanh(), torch.nn.ReLU6()]


def test_every_entry_is_tested_and_is_a_torch_class():
    assert {type(m).__name__ for m in MODULES} == set(kinds.ACTIVATIONS)
    for name in [*kinds.ACTIVATIONS, *kinds.WEIGHT_LAYERS]:
        assert issubclass(getattr(torch.nn, name), torch.nn.Module)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: repr(m))
def test_mapped_module_computes_actinits_activation(module):
    act = activations.get(kinds.activation_of(module))
    ours = act.fn(X)
    theirs = module(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-9)  # torch's Softplus is x itself above 20


@pytest.mark.parametrize("module", [torch.nn.Hardtanh(-2, 2), torch.nn.Softplus(beta=2), torch.nn.Conv2d(1, 1, 1),
                                    torch.nn.BatchNorm1d(3), torch.nn.CELU()], ids=repr)
def test_modules_outside_actinits_family_are_not_mapped(module):
    assert kinds.activation_of(module) is None
