"""Factories the torch tests' specs point at (model.torch.factory: models.py:NAME), including broken ones."""

import sys

import torch
from torch import nn


def mlp(sizes=(32, 64, 64, 16), activation="Tanh", params=None, bias=True):
    """actinit's MLP as a Sequential: Linear + activation per hidden layer, a Linear output."""
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b, bias=bias if isinstance(bias, bool) else bias[i]))  # or one per layer
        if i < len(sizes) - 2:
            layers.append(getattr(nn, activation)(**(params or {})))
    return nn.Sequential(*layers)


class Residual(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.fc1, self.act, self.fc2 = nn.Linear(width, width), nn.ReLU(), nn.Linear(width, width)

    def forward(self, x):
        return x + self.fc2(self.act(self.fc1(x)))


def residual(width=16):
    return nn.Sequential(nn.Linear(8, width), Residual(width), nn.Linear(width, 4))


def dropout(width=16):
    return nn.Sequential(nn.Linear(8, width), nn.Dropout(0.5), nn.ReLU(), nn.Linear(width, 4))


def norm_first(width=16):
    """A module without parameters before the first Linear: its output carries a gradient only through dL/dx."""
    return nn.Sequential(nn.LayerNorm(8, elementwise_affine=False), nn.Linear(8, width), nn.ReLU(), nn.Linear(width, 4))


class WithLoss(nn.Module):
    """actinit's MLP beside a module it never calls (a loss kept as an attribute): still a plain MLP, with dL/dx."""

    def __init__(self):
        super().__init__()
        self.net, self.loss_fn = mlp(sizes=(8, 16, 4)), nn.MSELoss()

    def forward(self, x):
        return self.net(x)


def mlp_with_loss():
    return WithLoss()


class Force(nn.Module):
    """A forward that differentiates with respect to its input (a force from an energy): needs x.requires_grad."""

    def __init__(self):
        super().__init__()
        self.energy = nn.Sequential(nn.Conv1d(1, 4, 3, padding=1), nn.Tanh(), nn.Conv1d(4, 1, 3, padding=1))

    def forward(self, x):
        return -torch.autograd.grad(self.energy(x).sum(), x, create_graph=True)[0].flatten(1)


def force():
    return Force()


class ReluAfter(nn.Module):
    """The output changed in place after the last module's hook: f(x).relu_()."""

    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(8, 16), nn.Linear(16, 4)

    def forward(self, x):
        return self.b(torch.tanh(self.a(x))).relu_()


def relu_after():
    return ReluAfter()


def inplace_first():
    """A first module returning a view of the input, then ReLU(inplace=True) on it."""
    return nn.Sequential(nn.Flatten(), nn.ReLU(inplace=True), nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 4))


class Pinn(nn.Module):
    """u(x) and its gradient, as a physics-informed net computes them: the forward sets x.requires_grad itself."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(8, 16), nn.LayerNorm(16), nn.Tanh(), nn.Linear(16, 1))

    def forward(self, x):
        x = x if x.requires_grad else x.requires_grad_()
        u = self.net(x)
        return u + torch.autograd.grad(u.sum(), x, create_graph=True)[0].sum(1, keepdim=True)


def pinn():
    return Pinn()


class Inference(nn.Module):
    """A frozen backbone run under torch.inference_mode() (its outputs have no version counter), then a head."""

    def __init__(self):
        super().__init__()
        self.backbone, self.head = nn.Conv1d(1, 2, 3, padding=1), nn.Linear(32, 4)

    def forward(self, x):
        with torch.inference_mode():
            features = self.backbone(x)
        return self.head(features.clone().flatten(1))


def inference():
    return Inference()


def residual_block():
    """The output is x + f(x), no module's own."""
    return Residual(8)


DATA = torch.randn(64, 8, generator=torch.Generator().manual_seed(0))


def fixed(batch_size, generator):
    """Always the same samples: a view of one module-level tensor."""
    return DATA[:batch_size]


def relu_first():
    """Changes its input in place."""
    return nn.Sequential(nn.ReLU(inplace=True), nn.Dropout(0.0), nn.Linear(8, 4))


def linear():
    """One leaf module: modules.csv has the input and the output, no hidden row for a headline."""
    return nn.Linear(8, 4)


def single():
    return nn.Sequential(nn.Linear(8, 4))


def raises(width=16):
    raise RuntimeError("out of ideas")


def not_a_module():
    return [nn.Linear(2, 2)]


class Detached(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        return self.fc(x).detach()


class Argmax(Detached):
    def forward(self, x):
        return self.fc(x).argmax(dim=1)


def detached():
    return Detached()


def argmax():
    return Argmax()


def batch(batch_size, generator):
    """data.input.torch: uniform inputs on [0, 1) and their own regression targets."""
    x = torch.rand(batch_size, 8, generator=generator)
    return x, torch.zeros(batch_size, 4)


def integer_batch(batch_size, generator):
    """data.input.torch that returns integers (a refusal must name the dtype, not only the shape)."""
    return torch.zeros(batch_size, 8, dtype=torch.int64)


def batch_of_ten(batch_size, generator):
    """data.input.torch that ignores the batch size it is asked for."""
    return torch.rand(10, 8, generator=generator)


class SmallBatchesOnly(nn.Module):
    """Passes the probe's batch of 2, fails at the run's batch."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        if len(x) > 2:
            raise RuntimeError(f"no batch of {len(x)}")
        return self.fc(x)


class ExitsAtLargeBatches(SmallBatchesOnly):
    def forward(self, x):
        if len(x) > 2:
            sys.exit(0)
        return self.fc(x)


def small_batches_only():
    return SmallBatchesOnly()


def exits_in_forward():
    return ExitsAtLargeBatches()


def on_meta():
    with torch.device("meta"):
        return nn.Linear(8, 4)


def exits(code=3):
    sys.exit(code)


def batch_exits(batch_size, generator):
    sys.exit(4)
