"""actinit's norms and blocks against PyTorch's own modules and autograd, in float64: LayerNorm, RMSNorm (eps
1e-5 given explicitly: torch's default is the dtype's epsilon) and BatchNorm1d in training mode, outputs and
gradients of input, weight and bias; and a whole residual network against the same network in torch."""

import numpy as np
import pytest

from actinit_cli.nn import activations, blocks, initializers, norms
from actinit_cli.nn.architecture import Architecture
from tests.cases import need

torch = need("torch")
MODULES = {"layer": lambda n: torch.nn.LayerNorm(n, eps=1e-5), "rms": lambda n: torch.nn.RMSNorm(n, eps=1e-5),
           "batch": lambda n: torch.nn.BatchNorm1d(n, eps=1e-5)}


@pytest.mark.parametrize("name", list(norms.NORMS))
def test_norm_matches_torch(name):
    norm, rng = norms.NORMS[name], np.random.default_rng(0)
    x, r = rng.standard_normal((12, 7)) * 2 + 0.5, rng.standard_normal((12, 7))
    gamma, beta = 1 + 0.3 * rng.standard_normal(7), 0.2 * rng.standard_normal(7) if norm.has_beta else None
    module = MODULES[name](7).double().train()
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(gamma))
        if beta is not None:
            module.bias.copy_(torch.from_numpy(beta))
    xt = torch.from_numpy(x).requires_grad_()
    yt = module(xt)
    (yt * torch.from_numpy(r)).sum().backward()
    y, cache = norms.forward(norm, x, gamma, beta)
    dx, dgamma, dbeta = norms.vjp(norm, cache, r, gamma)
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dgamma, module.weight.grad.numpy(), rtol=1e-10, atol=1e-12)
    if beta is not None:
        np.testing.assert_allclose(dbeta, module.bias.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("norm, position, branch", [("layer", "pre", ("act", "dense")), ("rms", "post", ("dense", "act")),
                                                    ("batch", "pre", ("act", "dense", "act", "dense"))])
def test_residual_network_matches_torch_autograd(norm, position, branch):
    arch = Architecture(True, 0.7, norm, position, branch)
    gelu, init = activations.get("gelu"), initializers.get("he_normal")
    bias = initializers.get({"name": "random_normal", "stddev": 0.1})
    net = blocks.build([6] * 4 + [3], arch, [gelu] * 3, activations.get("identity"), [init] * 4, [bias] * 4,
                       np.dtype("float64"), np.random.SeedSequence(3))
    rng = np.random.default_rng(1)
    x, r = rng.standard_normal((10, 6)), rng.standard_normal((10, 3))
    tape = blocks.forward(net, x)
    mine = {g.row: g for g in blocks.backward(net, tape, r, r)}

    xt = torch.from_numpy(x).requires_grad_()
    weights = [[torch.from_numpy(d.W).requires_grad_() for d in b.dense] for b in net.blocks]
    h = xt
    for b, ws in zip(net.blocks, weights):
        mod = MODULES[norm](6).double().train()
        u = mod(h) if position == "pre" else h
        k = 0
        for kind in branch:
            if kind == "act":
                u = torch.nn.functional.gelu(u)
            else:
                u = u @ ws[k] + torch.from_numpy(b.dense[k].b)
                k += 1
        h = h + 0.7 * u
        h = mod(h) if position == "post" else h
    out = h @ torch.from_numpy(net.head.W) + torch.from_numpy(net.head.b)
    (out * torch.from_numpy(r)).sum().backward()
    np.testing.assert_allclose(tape.y, out.detach().numpy(), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(mine[0].stream, xt.grad.numpy(), rtol=1e-9, atol=1e-11)
    for row, ws in enumerate(weights, start=1):
        for k, w in enumerate(ws):
            np.testing.assert_allclose(mine[row].block.dW[k], w.grad.numpy(), rtol=1e-9, atol=1e-11)
