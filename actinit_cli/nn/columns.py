"""The columns of layers.csv, in file order: the one table every consumer reads.

`stats` computes the measured columns, the theory overlay the `theory` ones; checks, baselines, the
run directory's reader, report.md, the terminal, `actinit list columns` and the README's column table
all take their lists from here. Adding a column is one entry here plus its computation.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Column:
    """One per-layer column.

    integer: written and read as an int; scale: a positive scale (second moments, variances, ratios), so
    ratios, log2 slopes and baseline comparisons apply; at_input: layer 0 (the input) has a value;
    label: the terminal's header (None: not shown there); report: shown in report.md; theory: filled
    by the mean-field overlay (empty where theory does not apply), not measured.
    """

    name: str
    meaning: str
    integer: bool = False
    scale: bool = False
    at_input: bool = False
    label: str | None = None
    report: bool = False
    theory: bool = False


TABLE: tuple[Column, ...] = (
    Column(name="layer", meaning="layer index: 0 = input, 1..depth hidden (blocks: block l), depth+1 output",
           integer=True,
           at_input=True, label="layer", report=True),
    Column(name="width", meaning="the layer's width", integer=True, at_input=True, report=True),
    Column(name="preact_mean", meaning="mean of the pre-activation h = y_prev @ W + b (blocks: the branch's last "
           "dense output)"),
    Column(name="preact_var", meaning="variance of h", scale=True),
    Column(name="preact_m2", meaning="second moment E[h^2]", scale=True),
    Column(name="act_mean", meaning="mean of the activation y = phi(h) (layer 0: the input; blocks: the stream "
           "after the block)", at_input=True),
    Column(name="act_var", meaning="variance of y", scale=True, at_input=True, report=True),
    Column(name="act_m2", meaning="second moment E[y^2]: what mean-field theory predicts", scale=True,
           at_input=True, label="E[y^2]", report=True),
    Column(name="act_unit_var", meaning="mean over units of each unit's variance across the batch (divided by "
           "the batch), mean over batches: the input-collapse diagnostic", scale=True, at_input=True, label="unit var", report=True),
    Column(name="saturated_frac", meaning="fraction of activations at a bound (thresholds below); empty for "
           "unbounded activations", label="saturated", report=True),
    Column(name="dead_frac", meaning="fraction of units exactly 0 for every sample of every batch", label="dead",
           report=True),
    Column(name="zero_frac", meaning="fraction of activations exactly 0"),
    Column(name="nonfinite", meaning="count of inf/nan in h, y, dL/dy, dL/dh, dL/dW, dL/db of the layer "
           "(summed over repeats)", integer=True, at_input=True, label="nan/inf", report=True),
    Column(name="grad_act_m2", meaning="second moment of dL/dy (layer 0: dL/dx; blocks: dL/d(stream))", scale=True,
           at_input=True),
    Column(name="grad_preact_m2", meaning="second moment of dL/dh", scale=True, label="E[dh^2]", report=True),
    Column(name="grad_preact_var", meaning="variance of dL/dh", scale=True),
    Column(name="grad_w_m2", meaning="second moment of dL/dW", scale=True, report=True),
    Column(name="grad_w_var", meaning="variance of dL/dW", scale=True),
    Column(name="grad_b_m2", meaning="second moment of dL/db", scale=True),
    Column(name="weight_var", meaning="variance of W's entries", scale=True),
    Column(name="grad_weight_ratio", meaning="std(dL/dW) / std(W)", scale=True, label="|dW|/|W|"),
    Column(name="branch_share", meaning="residual blocks: the branch's share of the sum's second moment, E[(alpha "
           "F)^2] / E[(x + alpha F)^2] (before a post-norm); empty otherwise", scale=True, label="branch",
           report=True),
    Column(name="norm_in_m2", meaning="blocks with a norm: second moment of the norm's input (pre: the stream "
           "entering the block; post: the sum, or F without residual); empty otherwise", scale=True, label="norm in",
           report=True),
    Column(name="pred_preact_m2", meaning="mean-field prediction of preact_m2", theory=True),
    Column(name="pred_act_m2", meaning="mean-field prediction of act_m2", theory=True, label="theory",
           report=True),
    Column(name="pred_act_var", meaning="mean-field prediction of act_var", theory=True),
    Column(name="pred_act_unit_var", meaning="mean-field prediction of act_unit_var: (batch - 1) / batch x (E[y^2] - "
           "E[y_a y_b]), its expected value (act_unit_var divides by the batch)", theory=True),
    Column(name="pred_grad_preact_m2", meaning="predicted ratio to the output layer times the measured output "
           "value", theory=True, label="theory", report=True),
    Column(name="pred_grad_act_m2", meaning="mean-field prediction of grad_act_m2, anchored at the output as "
           "pred_grad_preact_m2 (empty at the output, where backward starts)", theory=True),
    Column(name="pred_branch_share", meaning="mean-field prediction of branch_share", theory=True, label="theory"),
    Column(name="pred_norm_in_m2", meaning="mean-field prediction of norm_in_m2", theory=True, label="theory"),
    Column(name="pred_preact_band", meaning="finite-width factor: preact_m2 should lie within [pred / band, "
           "pred * band]", theory=True),
    Column(name="pred_act_band", meaning="the same for act_m2", theory=True),
    Column(name="outside_band", meaning="1 where preact_m2 or act_m2 lies outside its band", integer=True,
           theory=True, report=True),
)
BY_NAME = {c.name: c for c in TABLE}
NAMES = tuple(c.name for c in TABLE)
MEASURED = tuple(c.name for c in TABLE if not c.theory)  # what stats computes, in order
THEORY = tuple(c.name for c in TABLE if c.theory)  # what the overlay adds
QUANTITIES = MEASURED[2:]  # what a check can bound (layer and width are the row's identity)
SCALE = tuple(c.name for c in TABLE if c.scale)
AT_INPUT = tuple(c.name for c in TABLE if c.at_input)
INTEGER = tuple(c.name for c in TABLE if c.integer)


def legend(name: str) -> str:
    """A column's name with the first clause of its meaning, for a plot's legend ("dead_frac: fraction of units
    exactly 0 for every sample of every batch")."""
    return f"{name}: {BY_NAME[name].meaning.split(' (')[0].split(';')[0]}"


def _terminal() -> tuple[tuple[str, str], ...]:
    """(header, column) for the terminal: table order, each prediction right after what it predicts."""
    shown = [c for c in TABLE if c.label and not c.theory]
    out = []
    for c in shown:
        out.append((c.label, c.name))
        out += [(p.label, p.name) for p in TABLE if p.theory and p.label and p.name == f"pred_{c.name}"]
    return tuple(out)


TERMINAL = _terminal()
REPORT = tuple(c.name for c in TABLE if c.report)


def digest(columns: tuple[Column, ...] = TABLE) -> str:
    """A short hash of the names, order and kinds: changes whenever layers.csv changes shape."""
    text = ";".join(f"{c.name}:{'int' if c.integer else 'float'}" for c in columns)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def markdown() -> str:
    """The README's column table, generated from TABLE (a test keeps the README equal to it)."""
    lines = ["| column | meaning |", "|---|---|"]
    lines += [f"| `{c.name}` | {c.meaning} |" for c in TABLE]
    return "\n".join(lines)
