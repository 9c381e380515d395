"""Weights between torch's layout and Keras's: actinit's initializers draw on Keras's (*kernel, in, out), where
the fans are (in * prod(kernel), out * prod(kernel)); torch stores the same kernel as (out, in, *kernel).
Drawing on the Keras shape and permuting gives exactly what Keras would draw for the same layer, so
he_normal on nn.Linear(300, 50) has std sqrt(2/300) and on nn.Conv2d(16, 32, 3) std sqrt(2/144)."""

from __future__ import annotations

from typing import Any

import numpy as np

from actinit_cli.nn.initializers import Initializer


def keras_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """(out, in, *kernel) -> (*kernel, in, out); a rank-1 or rank-0 shape stays as it is."""
    if len(shape) < 2:
        return tuple(shape)
    return (*shape[2:], shape[1], shape[0])


def to_torch(kernel: np.ndarray) -> np.ndarray:
    """A Keras-layout (*kernel, in, out) array as torch's (out, in, *kernel); inverse of `to_keras`."""
    r = kernel.ndim
    return kernel if r < 2 else np.transpose(kernel, (r - 1, r - 2, *range(r - 2)))


def to_keras(weight: np.ndarray) -> np.ndarray:
    """A torch-layout (out, in, *kernel) array as Keras's (*kernel, in, out) (a view)."""
    r = weight.ndim
    return weight if r < 2 else np.transpose(weight, (*range(2, r), 1, 0))


def initialize(module: Any, init: Initializer | None, bias_init: Initializer | None,
               seed: np.random.SeedSequence) -> int:
    """Re-draw, in place, the weight of every Linear/Conv* layer of `module` with `init` on its Keras shape, then
    its bias with `bias_init` on (out,): the i-th such layer in `module.modules()` order from its own stream,
    seed.spawn(layers)[i], as actinit's MLP draws W[l] then b[l] (nn/mlp.py's build). None leaves that part as
    the model made it. Returns the number of layers drawn."""
    import torch

    from actinit_cli.torch.kinds import weight_layer_types

    layers = [m for m in module.modules() if isinstance(m, weight_layer_types())]
    with torch.no_grad():
        for m, stream in zip(layers, seed.spawn(len(layers))):
            rng = np.random.default_rng(stream)
            for param, draw in ((m.weight, init), (getattr(m, "bias", None), bias_init)):
                if param is None or draw is None:
                    continue
                dtype = np.dtype(str(param.dtype).removeprefix("torch."))
                values = draw(rng, keras_shape(tuple(param.shape)), dtype)
                param.copy_(torch.from_numpy(np.ascontiguousarray(to_torch(values))))
    return len(layers)
