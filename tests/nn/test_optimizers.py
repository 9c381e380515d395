"""Every optimizer against its textbook update rule, written independently here one scalar at a time in
plain Python (Adam's bias correction included), and against PyTorch's torch.optim (the torch extra)."""

import math

import numpy as np
import pytest

from actinit_cli.errors import ActinitError
from actinit_cli.nn import optimizers
from tests.cases import need

STEPS = 5
CASES = [  # every registry entry, with and without weight decay
    {"name": "sgd", "lr": 0.1}, {"name": "sgd", "lr": 0.05, "momentum": 0.5, "weight_decay": 0.01},
    {"name": "momentum", "lr": 0.02}, {"name": "momentum", "lr": 0.02, "weight_decay": 0.1},
    {"name": "adam", "lr": 0.01}, {"name": "adam", "lr": 0.003, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6,
                                   "weight_decay": 0.05},
]


def test_every_entry_is_covered():
    assert {c["name"] for c in CASES} == set(optimizers.REGISTRY.names())


def textbook(ref: dict, p0: float, grads: list[float], decay: bool) -> list[float]:
    """The parameter after each step, one float at a time (Polyak momentum; Kingma & Ba 2015, Algorithm 1)."""
    entry, params = optimizers.REGISTRY.resolve(ref)
    lr, wd = params["lr"], params["weight_decay"] if decay else 0.0
    p, v, m, s, out = p0, 0.0, 0.0, 0.0, []
    for t, g in enumerate(grads, start=1):
        g = g + wd * p
        if entry.name == "adam":
            b1, b2 = params["beta1"], params["beta2"]
            m = b1 * m + (1 - b1) * g
            s = b2 * s + (1 - b2) * g * g
            p -= lr * (m / (1 - b1**t)) / (math.sqrt(s / (1 - b2**t)) + params["eps"])
        else:
            v = params["momentum"] * v + g
            p -= lr * v
        out.append(p)
    return out


def run(ref: dict, p0: np.ndarray, grads: list[np.ndarray], decay: bool) -> list[np.ndarray]:
    opt, p, out = optimizers.get(ref), p0.copy(), []
    for g in grads:
        p += opt.delta("w", p, g, decay)
        out.append(p.copy())
    return out


@pytest.mark.parametrize("ref", CASES, ids=str)
@pytest.mark.parametrize("decay", [True, False], ids=["weights", "biases"])
def test_matches_the_textbook_rule(ref, decay):
    rng = np.random.default_rng(1)
    p0 = rng.standard_normal(6)
    grads = [rng.standard_normal(6) for _ in range(STEPS)]
    got = run(ref, p0, grads, decay)
    for i in range(6):
        want = textbook(ref, float(p0[i]), [float(g[i]) for g in grads], decay)
        np.testing.assert_allclose([float(s[i]) for s in got], want, rtol=1e-12, atol=1e-15)


def test_adam_first_step_is_lr_times_sign():
    """Bias correction makes Adam's first step lr * g / (|g| + eps): without it the step would be ~0.3 lr."""
    g = np.array([3.0, -0.5, 1e-3])
    step = optimizers.get({"name": "adam", "lr": 0.1, "eps": 1e-12}).delta("w", np.zeros(3), g, True)
    np.testing.assert_allclose(step, -0.1 * np.sign(g), rtol=1e-8)


@pytest.mark.parametrize("ref", CASES, ids=str)
def test_matches_torch_optim(ref):
    torch = need("torch")
    entry, params = optimizers.REGISTRY.resolve(ref)
    rng = np.random.default_rng(2)
    w0, b0 = rng.standard_normal((4, 3)), rng.standard_normal(3)
    grads = [(rng.standard_normal((4, 3)), rng.standard_normal(3)) for _ in range(STEPS)]
    tw, tb = torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    groups = [{"params": [tw], "weight_decay": params["weight_decay"]}, {"params": [tb], "weight_decay": 0.0}]
    if entry.name == "adam":
        topt = torch.optim.Adam(groups, lr=params["lr"], betas=(params["beta1"], params["beta2"]), eps=params["eps"])
    else:
        topt = torch.optim.SGD(groups, lr=params["lr"], momentum=params["momentum"])
    opt, w, b = optimizers.get(ref), w0.copy(), b0.copy()
    for gw, gb in grads:
        tw.grad, tb.grad = torch.tensor(gw), torch.tensor(gb)
        topt.step()
        w += opt.delta("W", w, gw, True)
        b += opt.delta("b", b, gb, False)
    np.testing.assert_allclose(w, tw.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(b, tb.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_float32_stays_float32():
    p = np.ones(3, dtype=np.float32)
    for name in optimizers.REGISTRY.names():
        assert optimizers.get(name).delta("w", p, p, True).dtype == np.float32


@pytest.mark.parametrize("ref, message", [
    ({"name": "sgd", "lr": 0}, r"lr: must be > 0"),
    ({"name": "sgd", "lr": -1}, r"lr: must be > 0"),
    ({"name": "momentum", "momentum": 1.0}, r"momentum must be < 1"),
    ({"name": "adam", "beta2": 1}, r"beta2 must be < 1"),
    ({"name": "adam", "eps": 0}, r"eps: must be > 0"),
    ({"name": "adamw"}, r"unknown optimizer 'adamw'; did you mean 'adam'"),
    ({"name": "sgd", "nesterov": True}, r"has no parameter 'nesterov'"),
])
def test_bad_parameters(ref, message):
    with pytest.raises(ActinitError, match=message):
        optimizers.get(ref, "train.optimizer")
