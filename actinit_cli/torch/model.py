"""A spec's torch model and its batches: the factory called under a seeded torch RNG, the dtype, actinit's
initializers (when the spec names them), and each batch's input and target.

Seeds: repeat r splits numpy.random.SeedSequence(seed + r) into [weights, data, torch], as actinit's MLP
splits it into [weights, data]: the weights stream re-draws Linear/Conv weights when model.initializer is set
(in module order, W then b, so a Sequential built like the spec's MLP gets the very same weights); the data
stream draws inputs and targets; the torch stream seeds torch's global RNG (inside torch.random.fork_rng, so
the caller's is left as it was) for the factory's own initialisation and any dropout, and a torch.Generator
for a data.input.torch function. Each Streams.of call makes fresh SeedSequences (spawning from one changes its
next children)."""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from actinit_cli.errors import ActinitError
from actinit_cli.nn import initializers
from actinit_cli.torch import factory, layout, losses

Where = Callable[[str], str]


@dataclass(frozen=True)
class Streams:
    """The random streams of one repeat."""

    weights: np.random.SeedSequence
    data: np.random.SeedSequence
    torch: int  # torch.manual_seed for the factory and the forward passes
    generator: int  # torch.Generator seed handed to a data.input.torch function

    @classmethod
    def of(cls, seed: int) -> "Streams":
        w, d, t = np.random.SeedSequence(seed).spawn(3)
        t_global, t_data = t.spawn(2)
        return cls(w, d, int(t_global.generate_state(1, np.uint64)[0]), int(t_data.generate_state(1, np.uint64)[0]))


@contextlib.contextmanager
def seeded(seed: int):
    """torch's global RNG seeded for the block, and restored afterwards."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def build(resolved: Mapping, streams: Streams, where: Where) -> Any:
    """The spec's model: factory(**kwargs) (call it inside `seeded`), moved to the spec's dtype, re-initialised
    with model.initializer / model.bias_initializer where they are set."""
    import torch

    m, t = resolved["model"], resolved["model"]["torch"]
    fn = factory.load(t["factory"], t["folder"], where("model.torch.factory"))
    module = factory.call(fn, t["kwargs"], where("model.torch.factory"), where("model.torch.kwargs"))
    if not isinstance(module, torch.nn.Module):
        raise ActinitError(f"{where('model.torch.factory')}: {t['factory']} returned {type(module).__name__}, "
                           f"expected a torch.nn.Module")
    if any(p.is_meta for p in [*module.parameters(), *module.buffers()]):
        raise ActinitError(f"{where('model.torch.factory')}: parameters on device meta; actinit runs on the CPU, so "
                           f"return a model whose weights exist (built without torch.device('meta'))")
    module = module.to(dtype=getattr(torch, m["dtype"]), device="cpu")
    if m["initializer"] is not None or m["bias_initializer"] is not None:
        get = lambda ref: None if ref is None else initializers.get(ref)  # noqa: E731
        layout.initialize(module, get(m["initializer"]), get(m["bias_initializer"]), streams.weights)
    return module


def draw_inputs(rng: np.random.Generator, shape: tuple[int, ...], distribution: str, mean: float, std: float,
                dtype: np.dtype) -> np.ndarray:
    """A batch with the spec's mean and std (uniform: U[mean -+ sqrt(3) std]), drawn as (batch, features) the
    way actinit's MLP draws it, then shaped."""
    flat = (shape[0], math.prod(shape[1:]))
    if distribution == "uniform":
        half = math.sqrt(3.0) * std
        return rng.uniform(mean - half, mean + half, size=flat).astype(dtype).reshape(shape)
    return (rng.standard_normal(size=flat) * std + mean).astype(dtype).reshape(shape)


class Batches:
    """The batches of one repeat: inputs from the spec's distribution or its data.input.torch function, targets
    for the loss (drawn like nn/losses.py's unless the function returns them)."""

    def __init__(self, resolved: Mapping, streams: Streams, where: Where):
        import torch

        self.resolved, self.where = resolved, where
        self.rng = np.random.default_rng(streams.data)
        self.generator = torch.Generator().manual_seed(streams.generator)
        self.dtype = np.dtype(resolved["model"]["dtype"])
        source = resolved["data"]["input"].get("torch")
        self.fn = factory.load(source, resolved["model"]["torch"]["folder"], where("data.input.torch")) \
            if source else None

    def inputs(self, batch: int, grad: bool) -> tuple[Any, Any]:
        """(x, target or None) as tensors; x requires grad with `grad` (for dL/dx: fold.input_gradient)."""
        import torch

        shape = (batch, *self.resolved["model"]["torch"]["input_shape"])
        if self.fn is None:
            d = self.resolved["data"]["input"]
            x = draw_inputs(self.rng, shape, d["distribution"], d["mean"], d["std"], self.dtype)
            return torch.from_numpy(x).requires_grad_(grad), None
        return self._from_function(batch, shape, grad)

    def _from_function(self, batch: int, shape: tuple[int, ...], grad: bool) -> tuple[Any, Any]:
        import torch

        where = self.where("data.input.torch")
        with factory.user_code(where, "the function", lambda e: f"{where}: ({batch}, generator) raised {e}"):
            got = self.fn(batch, self.generator)
        x, target = got if isinstance(got, tuple) and len(got) == 2 else (got, None)
        if not (isinstance(x, torch.Tensor) and x.is_floating_point() and tuple(x.shape) == shape):
            seen = f"a tensor of dtype {str(x.dtype).removeprefix('torch.')} and shape {tuple(x.shape)}" \
                if isinstance(x, torch.Tensor) else type(x).__name__
            raise ActinitError(f"{where}: called with batch {batch}, expected x (or (x, target)) with x a float tensor "
                               f"of shape {shape} (batch, *model.torch.input_shape), got {seen}")
        # a copy: a model that changes its input in place must not change the function's own tensor (and the data)
        x = x.detach().to(getattr(torch, self.resolved["model"]["dtype"]), copy=True).contiguous().requires_grad_(grad)
        return x, (target.detach() if isinstance(target, torch.Tensor) else target)

    def target(self, loss: str, output: Any, given: Any) -> Any:
        """The loss's target for `output`: the data function's, else drawn from the data stream."""
        import torch

        if given is not None:
            return given
        shape = tuple(output.shape)
        return torch.from_numpy(losses.targets(loss, self.rng, shape, np.dtype(str(output.dtype).removeprefix("torch."))))
