"""The plots of module rows, drawn by actinit_cli/plots/ from plain arrays: second moments of each module's
output and of dL/d(output) in forward order, the distributions of outputs and gradients, and the saturated,
dead and zero fractions of activation modules."""

from __future__ import annotations

from pathlib import Path

from actinit_cli import plots
from actinit_cli.nn import columns, stats
from actinit_cli.torch import rows as module_rows
from actinit_cli.words import listed

TICKS = 60  # label the x axis with module names up to this many rows
LABEL = 28  # characters of a tick label before the middle of a long module path gives way to '..'


def _label(row: dict) -> str:
    """'layer1.0.conv1 Conv2d', with '#2' after the name for a module's second call; a long path keeps its first
    and its last two parts ('encoder..mlp.fc1 Linear')."""
    call = f"#{row['call']}" if row["call"] and row["call"] > 1 else ""
    kind = f" {row['type']}" if row["type"] else ""
    parts = f"{row['module']}{call}".split(".")
    name, cut = ".".join(parts), 1
    while len(name + kind) > LABEL and cut < len(parts) - 2:
        name, cut = ".".join([parts[0], "", *parts[cut + 1:]]), cut + 1
    return name + kind


def draw(folder: Path, rows: list[dict], hist_act: dict, hist_grad: dict, title: str) -> list[str]:
    """Write the PNGs into `folder`; returns their file names."""
    layers = [r["layer"] for r in rows]
    labels = [_label(r) for r in rows] if len(rows) <= TICKS else None
    plots.variance_by_layer(folder / "variance_by_module.png", layers,
                            {"output E[y^2]": [r["act_m2"] for r in rows],
                             "gradient E[(dL/dy)^2]": [r["grad_act_m2"] for r in rows]}, title,
                            note="one point per module call in forward order; 0 = the input",
                            nonfinite=[r["layer"] for r in rows if r["nonfinite"]], ticks=labels,
                            xlabel="module call, in forward order" + (" (its name, then its type)" if labels else ""))
    plots.layer_histograms(folder / "activations_hist.png", *stats.histograms(hist_act),
                           f"{title}\nmodule outputs, exact zeros left out", "output value",
                           stats.HIST_NOTE)
    plots.layer_histograms(folder / "gradients_hist.png", *stats.histograms(hist_grad, magnitudes=True),
                           f"{title}\ngradient magnitudes |dL/d(output)| per module, exact zeros left out",
                           "log10 |back-propagated gradient|", stats.HIST_NOTE)
    pngs = ["variance_by_module.png", "activations_hist.png", "gradients_hist.png"]
    acts = [r for r in rows if r["layer"] and r["activation"]]
    if acts:
        kinds = {"saturated_frac": [r["saturated_frac"] if module_rows.saturates(r) else None for r in acts],
                 "dead_frac": [r["dead_frac"] for r in acts], "zero_frac": [r["zero_frac"] for r in acts]}
        shown = [k.split("_")[0] for k, v in kinds.items() if any(x is not None for x in v)]
        plots.saturation(folder / "saturation.png", [r["layer"] for r in acts],
                         {columns.legend(k): v for k, v in kinds.items()},
                         f"{title}\n{listed(shown)} fractions of activation modules")
        pngs.append("saturation.png")
    return pngs
