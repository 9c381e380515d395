"""points.csv: one row per sweep point, built by one function from one column list.

A finished point fills every column; a failed one (its run raised, or its worker died) fills what
describes the network and leaves the measured columns empty.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from actinit_cli.errors import ActinitError
from actinit_cli.gates import verdict
from actinit_cli.nn import activations, initializers
from actinit_cli.nn import scalars as run_scalars
from actinit_cli.nn.headline import max_known
from actinit_cli.run.spec import Spec

# The swept paths come first (as written in the spec), then these, in this order.
COLUMNS = ("activation", "initializer", "depth", "width", "sigma_w2", "status", "reason", *run_scalars.NAMES,
           "max_saturated_frac", "nonfinite", "checks", "checks_failed", "run_dir", "seconds")


def show(value: Any) -> str:
    """A sweep value in a label or a table cell: 'tanh', '50', 'leaky_relu(negative_slope=0.1)', '8-16'."""
    if isinstance(value, dict):
        params = ",".join(f"{k}={v}" for k, v in value.items() if k != "name")
        return f"{value.get('name')}({params})" if params else str(value.get("name"))
    if isinstance(value, list):
        return "-".join(show(v) for v in value)
    return str(value)


def columns(swept: list[str]) -> tuple[str, ...]:
    """points.csv's header for a sweep over `swept` paths."""
    return tuple(swept) + tuple(c for c in COLUMNS if c not in swept)


def row(values: dict[str, Any], spec: Spec, rows: list[dict] | None = None, run_dir: Path | None = None,
        seconds: float = 0.0, reason: str = "", scalars: dict | None = None) -> dict:
    """The row of one point: with `rows` (its layers.csv) a finished point, else a failed one and why;
    `scalars`: the run-level quantities its rows do not give."""
    out: dict[str, Any] = dict.fromkeys(COLUMNS)
    out.update({p: show(v) for p, v in values.items()})
    out.update(_identity(spec), status="ok" if rows is not None else "failed", reason=reason,
               seconds=round(seconds, 3))
    if rows is not None:
        out.update(_measured(rows, spec, scalars or {}), run_dir=str(run_dir))
    return out


def _measured(rows: list[dict], spec: Spec, scalars: dict) -> dict[str, Any]:
    """Run-level quantities, worst dead/saturated fractions, inf/nan and the checks' outcome."""
    hidden = rows[1:-1]
    model = spec.resolved["model"]
    results = [verdict.evaluate(c, rows, model, scalars=scalars) for c in spec["checks"]]
    return {**{k: None for k in run_scalars.NAMES}, **verdict.scalars_of(rows, model), **scalars,
            "max_dead_frac": scalars["max_dead_frac"] if "max_dead_frac" in scalars  # a training run's, over its steps
            else max_known(r["dead_frac"] for r in hidden),
            "max_saturated_frac": max_known(r["saturated_frac"] for r in hidden),
            "nonfinite": sum(r["nonfinite"] for r in rows),
            "checks": "" if not results else ("pass" if all(r.passed for r in results) else "fail"),
            "checks_failed": sum(not r.passed for r in results)}


def _identity(spec: Spec) -> dict[str, Any]:
    """What every point row says about its network, swept or not."""
    m = spec.resolved["model"]
    if "torch" in m:  # a torch model: its factory stands where the activation would
        return {"activation": m["torch"]["factory"].rpartition(":")[2], "depth": None, "width": None,
                "sigma_w2": None, "initializer": initializers.REGISTRY.short_name(m["initializer"]) if m["initializer"]
                else "(model's own)"}
    width = m["width"][0]
    try:
        std = initializers.get(m["initializer"]).expected((width, width)).std
        sigma_w2 = width * std * std
        names = (activations.REGISTRY.short_name(m["activation"]), initializers.REGISTRY.short_name(m["initializer"]))
    except ActinitError:  # a point that cannot even be described is still reported, as failed
        sigma_w2, names = None, (show(m["activation"]), show(m["initializer"]))
    return {"activation": names[0], "initializer": names[1], "depth": m["depth"], "width": width,
            "sigma_w2": sigma_w2}
