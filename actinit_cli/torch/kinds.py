"""The torch.nn module types actinit knows, one table each: elementwise activation modules (mapped to actinit's
own activation, for saturation, dead units and the plain-MLP view) and the weight layers an initializer
re-draws. Class names only, so nothing here imports torch."""

from __future__ import annotations

from typing import Any, Callable

Ref = Any  # an activation reference: a registered name, or {name: ..., parameters}

# torch.nn class name -> the actinit activation a module of it computes, given the module (None: its parameters
# leave actinit's family, e.g. Hardtanh(-2, 2) or Softplus(beta=2)). tests/torch/test_kinds.py checks every
# entry's forward against actinit's fn.
ACTIVATIONS: dict[str, Callable[[Any], Ref | None]] = {
    "Identity": lambda m: "identity",
    "Sigmoid": lambda m: "sigmoid",
    "Tanh": lambda m: "tanh",
    "ReLU": lambda m: "relu",
    "LeakyReLU": lambda m: {"name": "leaky_relu", "negative_slope": float(m.negative_slope)},
    "ELU": lambda m: {"name": "elu", "alpha": float(m.alpha)},
    "SELU": lambda m: "selu",
    "GELU": lambda m: {"name": "gelu", "approximate": m.approximate == "tanh"},
    "SiLU": lambda m: "silu",
    # torch's Softplus returns x itself above `threshold` (20): softplus(20) - 20 = 2e-9, below float32's resolution
    "Softplus": lambda m: "softplus" if m.beta == 1 and m.threshold >= 20 else None,
    "Softsign": lambda m: "softsign",
    "Mish": lambda m: "mish",
    "Hardsigmoid": lambda m: "hard_sigmoid",
    "Hardtanh": lambda m: "hard_tanh" if (m.min_val, m.max_val) == (-1.0, 1.0) else None,
    "ReLU6": lambda m: "relu6",
}

# Modules whose `weight` is a kernel in torch's (out, in, *kernel) layout (ConvTranspose: (in, out, *kernel),
# which Keras's Conv*DTranspose also reads with the output channels as fan_in): `model.initializer` re-draws them.
WEIGHT_LAYERS = ("Linear", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d")


def activation_of(module: Any) -> Ref | None:
    """The actinit activation `module` computes (None: not an elementwise activation actinit knows)."""
    rule = ACTIVATIONS.get(type(module).__name__)
    return rule(module) if rule is not None else None


def weight_layer_types() -> tuple[type, ...]:
    """The torch.nn classes of WEIGHT_LAYERS (subclasses count too)."""
    import torch

    return tuple(getattr(torch.nn, name) for name in WEIGHT_LAYERS)
