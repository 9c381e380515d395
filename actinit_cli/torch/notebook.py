"""The notebook API: `inspect(module, x)` measures any torch module on a batch you give it, without a spec, and
returns the module rows (and the per-layer rows of a plain MLP) with the plots one call away; `initialize`
re-draws a module's Linear/Conv weights with actinit's Keras-exact initializers."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from actinit_cli import extras
from actinit_cli.errors import ActinitError
from actinit_cli.nn import initializers
from actinit_cli.torch import fold, layout, losses, rows as module_rows, section

WHAT = "actinit_cli.torch"


def initialize(module: Any, initializer: Any = "he_normal", bias: Any = "zeros", seed: int = 0) -> Any:
    """Re-draw, in place, every Linear/Conv* weight of `module` with actinit's `initializer` (a name or {name: ...,
    parameters}) on its Keras layout, and every bias with `bias` (None keeps either), layer i from
    numpy.random.SeedSequence(seed).spawn(layers)[i]; returns the module."""
    extras.need("torch", "torch", WHAT)
    get = lambda ref: None if ref is None else initializers.get(ref)  # noqa: E731
    layout.initialize(module, get(initializer), get(bias), np.random.SeedSequence(seed))
    return module


@dataclass(frozen=True)
class Inspection:
    """What `inspect` measured: `rows` (modules.csv's columns, one dict per module call after row 0, the input)
    and `layers` (layers.csv's measured columns when the module is a plain MLP, else None)."""

    rows: list[dict]
    layers: list[dict] | None
    loss: float
    hist_act: dict
    hist_grad: dict

    def frame(self) -> Any:
        """The module rows as a pandas DataFrame (pandas is not a dependency of actinit: install it to use this)."""
        try:
            import pandas
        except ImportError:
            raise ActinitError("Inspection.frame() needs pandas (pip install pandas); .rows holds the same "
                               "table as a list of dicts") from None
        return pandas.DataFrame(self.rows, columns=module_rows.COLUMNS)

    def plot(self, folder: str | Path | None = None, title: str = "inspect", show: bool = True) -> list[Path]:
        """Draw the run directory's module plots into `folder` (default: a new temporary folder); in IPython or
        Jupyter also show them inline. Returns the PNG paths."""
        from actinit_cli.torch import figures

        out = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="actinit-inspect-"))
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / name for name in figures.draw(out, self.rows, self.hist_act, self.hist_grad, title)]
        if show:
            _show(paths)
        return paths

    def _repr_html_(self) -> str:
        cols = ("layer", "module", "type", "shape", "act_m2", "grad_act_m2", "dead_frac", "saturated_frac")
        cell = lambda v: "" if v is None else (f"{v:.4g}" if isinstance(v, float) else str(v))  # noqa: E731
        head = "".join(f"<th>{c}</th>" for c in cols)
        body = "".join("<tr>" + "".join(f"<td>{cell(r[c])}</td>" for c in cols) + "</tr>" for r in self.rows)
        return f"<table><tr>{head}</tr>{body}</table>"


def _show(paths: list[Path]) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import Image, display
    except ImportError:
        return
    if get_ipython() is not None:
        for p in paths:
            display(Image(filename=str(p)))


def inspect(module: Any, x: Any, loss: str = "random_projection", target: Any = None, layers: Any = None,
            seed: int = 0, input_gradient: str = "auto") -> Inspection:
    """Run the batch `x` (batch first) forward through `module` and `loss` backward, under hooks on its leaf
    modules (`layers`: {type: [...]} and/or {name: [globs]} to record only some); the target, when not given,
    is drawn from numpy.random.default_rng(seed) as a spec's run draws it. The module and x are left as they
    were: same mode, and parameters' .grad restored. `input_gradient`: auto (dL/dx where something needs it, as
    a run) or always."""
    extras.need("torch", "torch", WHAT)
    from actinit_cli.torch.measure import one_blas_thread

    if loss not in losses.LOSS_NAMES:
        raise ActinitError(f"loss: got {loss!r}, expected one of {', '.join(losses.LOSS_NAMES)}")
    chosen = None if layers is None else module_rows.selector(layers, "layers")
    saved = [(p, p.grad) for p in module.parameters()]
    guess = fold.input_gradient(module) or section.input_gradient(input_gradient, "input_gradient") == "always"
    try:
        with one_blas_thread():  # as a run's probe settles it (user code raises as it is here: any Exception)
            _, (rec, _, value) = fold.settle(guess, lambda g: _measured(module, x, g, chosen, loss, target, seed),
                                             Exception)
    finally:
        for p, g in saved:
            p.grad = g
    rows = [{c: r.get(c) for c in module_rows.COLUMNS} for r in rec.rows()]  # modules.csv's columns, no others
    return Inspection(rows, fold.layer_rows(rec), float(value.detach()), rec.hist_act, rec.hist_grad)


def _measured(module: Any, x: Any, grad: bool, chosen: Any, loss: str, target: Any, seed: int) -> tuple:
    """One forward and backward of x under the hooks (dL/dx with `grad`): (recorder, output, loss value)."""
    import torch

    from actinit_cli.torch.record import Recorder

    dtypes = {p.dtype for p in module.parameters() if p.is_floating_point()}  # x in the parameters' one dtype, as a
    cast = dtypes.pop() if len(dtypes) == 1 and x.is_floating_point() else x.dtype  # run; mixed: x as given
    xr = x.detach().to(cast, copy=True).requires_grad_(grad)
    rec = Recorder(module, chosen, keep_hist=True)
    try:
        out = module(rec.start(xr))
        if not isinstance(out, torch.Tensor) or not out.is_floating_point():
            raise ActinitError(f"module: its output must be one floating tensor (a loss is taken of it), got "
                               f"{type(out).__name__ if not isinstance(out, torch.Tensor) else out.dtype}")
        why = losses.problem(loss, tuple(out.shape))
        if why:
            raise ActinitError(f"loss: {why}")
        t = target if target is not None else torch.from_numpy(losses.targets(
            loss, np.random.default_rng(seed), tuple(out.shape), np.dtype(str(out.dtype).removeprefix("torch."))))
        for p in module.parameters():
            p.grad = None
        value = losses.value(loss, out, t)
        if not grad and not value.requires_grad:
            rec.ungraded = True  # nothing but dL/dx would make the output differentiable
            return rec, out, value
        value.backward()
        rec.finish(xr, out)
    finally:
        rec.close()
    return rec, out, value
