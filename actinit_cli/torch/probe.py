"""What a torch spec can be refused for, found before anything runs: the factory builds a module, a small
batch of input_shape goes forward and backward through it, the output suits the loss, and the `layers:`
filter and the checks' module selectors name types and modules the model has. Also the memory a run needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from actinit_cli import extras
from actinit_cli.errors import ActinitError
from actinit_cli.nn.registry import did_you_mean
from actinit_cli.torch import factory, fold, losses, record, rows
from actinit_cli.torch.measure import WHAT, one_blas_thread
from actinit_cli.torch.model import Batches, Streams, Where, build, seeded

PROBE_BATCH = 2  # samples in the trial batch (batch norm in training mode needs two)


@dataclass(frozen=True)
class Probe:
    """The module rows' identity (what modules.csv will hold), the output's shape per sample, and the bytes a
    sample's module outputs and the parameters take."""

    rows: list[dict]
    output_shape: tuple[int, ...]
    sample_bytes: int
    param_bytes: int
    input_grad: bool  # whether the run measures dL/dx (fold.input_gradient, or a module's output needs it)
    output_counted: bool  # the model's output is the last row's own, so it gets the zero and dead counts

    def peak_bytes(self, batch: int) -> int:
        """A rough upper estimate: outputs kept for backward, their gradients and one float64 statistics copy of
        each (x 4 per sample), plus parameters, their gradients and a drawn copy (x 3)."""
        return 4 * batch * self.sample_bytes + 3 * self.param_bytes


def _trial(model: Any, x: Any, given: Any, batches: Batches, resolved: Mapping, where: Where) -> tuple[Any, Any]:
    """Forward and loss of the trial batch; errors name input_shape, the factory or the loss. The loss is None
    when the output needs dL/dx to be differentiable and x was not given requires_grad (the probe runs again)."""
    def fails(e: str) -> str:
        return (f"{where('model.torch.input_shape')}: the model's forward fails on a batch of shape {tuple(x.shape)} "
                f"({e}); give the per-sample shape it expects")

    with factory.user_code(where("model.torch.factory"), "the model's forward", fails, hooked=True):
        out = model(x)
    if not (record._floating(out) and (out.requires_grad or not x.requires_grad)):
        what = type(out).__name__ if not hasattr(out, "dtype") else f"{out.dtype} tensor, requires_grad={out.requires_grad}"
        raise ActinitError(f"{where('model.torch.factory')}: the model's output must be one floating tensor that "
                           f"depends differentiably on its input or parameters, got {what}")
    if not out.requires_grad:
        return out, None
    why = losses.problem(resolved["loss"], tuple(out.shape))
    if why:
        raise ActinitError(f"{where('loss')}: {why}")
    try:
        value = losses.value(resolved["loss"], out, batches.target(resolved["loss"], out, given))
    except Exception as exc:
        raise ActinitError(f"{where('data.input.torch')}: the loss cannot take the function's target "
                           f"({factory.first_line(exc)})") from None
    return out, value


def probe(resolved: Mapping, where: Where) -> Probe:
    """Build the model of repeat 0 and run a trial batch under the hooks (extras.need makes a missing torch one
    line with the install command)."""
    extras.need("torch", "torch", WHAT)
    streams = Streams.of(resolved["seed"])
    with seeded(streams.torch), one_blas_thread():
        model = build(resolved, streams, where)
        batches = Batches(resolved, streams, where)
        guess = fold.input_gradient(model) or resolved["model"]["torch"].get("input_gradient") == "always"
        grad, (rec, out) = fold.settle(guess, lambda g: _trial_pass(model, batches, resolved, where, g), ActinitError)
    found = rec.rows()
    _check_filter(resolved["model"]["torch"]["layers"], model, found, where)
    per_sample = sum(r["width"] for r in found) * out.element_size()
    params = sum(p.numel() * p.element_size() for p in model.parameters())
    return Probe([{k: r[k] for k in rows.IDENTITY_NAMES} for r in found], tuple(out.shape[1:]), per_sample, params,
                 grad, rec.ends_chain)


def _trial_pass(model: Any, batches: Batches, resolved: Mapping, where: Where, grad: bool) -> tuple[Any, Any]:
    """The trial batch forward and backward under the hooks, dL/dx with `grad`: (recorder, output)."""
    rec = record.Recorder(model, resolved["model"]["torch"]["layers"])
    try:
        x, given = batches.inputs(min(PROBE_BATCH, resolved["data"]["batch_size"]), grad)
        out, value = _trial(model, rec.start(x), given, batches, resolved, where)
        if value is not None:
            _backward(value, where)
        rec.finish(x, out)
    finally:
        rec.close()
    return rec, out


def _backward(value: Any, where: Where) -> None:
    with factory.user_code(where("model.torch.factory"), "the model's backward",
                           lambda e: f"{where('model.torch.factory')}: backward through the model fails ({e})",
                           hooked=True):
        value.backward()


def _check_filter(chosen: Mapping | None, model: Any, found: list[dict], where: Where) -> None:
    """model.torch.layers must select something, and name types the model has."""
    if chosen is None:
        return
    leaves = {type(m).__name__ for m in model.modules() if next(m.children(), None) is None}
    check_types(chosen, leaves, where("model.torch.layers.type"))
    if len(found) < 2:
        raise ActinitError(f"{where('model.torch.layers')}: selects no module of this model; its leaf module types "
                           f"are {', '.join(sorted(leaves))}")


def known_types() -> set[str]:
    """Every torch.nn module class name."""
    import torch

    return {n for n, c in vars(torch.nn).items() if isinstance(c, type) and issubclass(c, torch.nn.Module)}


def check_types(chosen: Mapping, present: set[str], where: str) -> None:
    """Each type a selector names must be a torch.nn module type or one of the model's, and be in the model."""
    for t in chosen.get("type", []):
        if t not in present:
            known = known_types() | present
            why = "is not a torch.nn module type" if t not in known else "is not a type of this model's modules"
            raise ActinitError(f"{where}: {t!r} {why}{did_you_mean(t, sorted(known)) if t not in known else ''}; "
                               f"the model has {', '.join(sorted(present))}")


