"""A sweep of training runs (a base spec with train:): its heatmaps (final/initial train loss and the worst
dead fraction, activation x the other swept value) and recommendations.md's section "The notes' rules,
measured in training". Every statement is drawn from points that ran; a comparison whose points were not
swept (or failed) is said to be not measured, never guessed.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable

from actinit_cli.run.spec import Spec
from actinit_cli.sweep import grids
from actinit_cli.words import counted

HEATMAPS = (("heatmap_final_loss.png", "final_loss_ratio", "log10(final / initial train loss)", math.log10),
            ("heatmap_dead.png", "max_dead_frac", "worst dead fraction over the steps", float))


def is_training(base: Spec) -> bool:
    return bool(base.resolved.get("train"))


def axes(base: Spec) -> tuple[str, str, list[str]]:
    """(row column, column column, panel columns) of the heatmaps: activation x the first other swept path."""
    swept = [a for a in base.resolved["sweep"] if a != "model.activation"]
    col = swept[0] if swept else "initializer"
    return "activation", col, [a for a in swept[1:]]


def cell(column: str, transform: Callable[[float], float]) -> Callable[[dict], tuple[float | None, str]]:
    """A heatmap cell of one points.csv column: its value transformed (a log needs it positive) and printed."""
    def one(r: dict) -> tuple[float | None, str]:
        v = r.get(column) if r["status"] == "ok" else None
        ok = v is not None and math.isfinite(v) and (v > 0 or transform is float)
        return (transform(v) if ok else None), ("fail" if r["status"] != "ok" else f"{v:.3g}" if ok else "n/a")
    return one


def heatmaps(folder: Path, base: Spec, rows: list[dict], write: Callable) -> None:
    from actinit_cli import plots

    row_axis, col_axis, panel_axes = axes(base)
    for name, column, label, transform in HEATMAPS:
        r, c, panels, texts = grids.grid(rows, row_axis, col_axis, panel_axes, cell(column, transform))
        title = f"{base.name}: {column} (cells: the value; grey: failed or no value)"
        write(folder / name, lambda tmp: plots.heatmaps(tmp, r, c, panels, texts, title, label,
                                                        clip=1.0 if transform is float else 3.0,
                                                        legend=f"rows: {row_axis}; columns: {col_axis}",
                                                        fraction=transform is float))


def _name(act: Any) -> str:
    return str(act).split("(")[0]


def _ok(rows: list[dict]) -> list[dict]:
    return [r for r in rows if r["status"] == "ok"]


def _context(r: dict, keys: list[str]) -> tuple:
    return tuple(str(r.get(k)) for k in keys)


def rule_speed(rows: list[dict], others: list[str]) -> list[str]:
    """relu against sigmoid and tanh: steps to the target loss, under the same other swept values."""
    out = []
    for ctx in dict.fromkeys(_context(r, others) for r in rows):
        same = {_name(r["activation"]): r for r in rows if _context(r, others) == ctx}
        if "relu" not in same:
            continue
        where = ", ".join(f"{k.split('.')[-1]} {v}" for k, v in zip(others, ctx)) or "every point"
        for rival in ("sigmoid", "tanh"):
            if rival not in same:
                continue
            a, b = same["relu"].get("steps_to_loss"), same[rival].get("steps_to_loss")
            if a is None and b is None:
                out.append(f"relu vs {rival} ({where}): neither reached the target loss")
            elif b is None or (a is not None and a < b):
                out.append(f"relu reached the target loss in fewer steps than {rival} ({where}): "
                           f"{_steps(a)} vs {_steps(b)}")
            elif a == b:
                out.append(f"relu reached the target loss in as many steps as {rival} ({where}): {_steps(a)}")
            else:
                out.append(f"relu did not reach the target loss in fewer steps than {rival} ({where}): "
                           f"{_steps(a)} vs {_steps(b)}")
    return out


def _steps(v: float | None) -> str:
    return "never" if v is None else str(int(v))


def rule_dead(rows: list[dict], lr_axis: str | None, others: list[str] = ()) -> list[str]:
    """Dead relu units against the learning rate, and leaky relu at the largest rate, under the same values of
    the `others` swept paths (say a seed or a task: points of different settings are never compared)."""
    if lr_axis is None:
        return ["dead units vs learning rate: not measured (the sweep does not vary train.optimizer.lr)"]
    keys = [k for k in others if k != lr_axis]
    out = []
    for ctx in dict.fromkeys(_context(r, keys) for r in rows):
        same = [r for r in rows if _context(r, keys) == ctx]
        where = "".join(f", {k.split('.')[-1]} {v}" for k, v in zip(keys, ctx))
        out += _dead_lines(same, lr_axis, f" ({where[2:]})" if where else "")
    return out


def _dead_lines(rows: list[dict], lr_axis: str, where: str) -> list[str]:
    out = []
    relu = sorted(((float(r[lr_axis]), r.get("max_dead_frac")) for r in rows if _name(r["activation"]) == "relu"))
    if len(relu) >= 2 and all(d is not None for _, d in relu):
        grew = all(b >= a for (_, a), (_, b) in zip(relu, relu[1:])) and relu[-1][1] > relu[0][1]
        shown = ", ".join(f"{lr:g}: {d:.2f}" for lr, d in relu)
        out.append(f"dead relu units {'grew' if grew else 'did not grow steadily'} with the learning rate{where} "
                   f"(worst dead fraction by lr: {shown})")
    else:
        out.append(f"dead relu units vs learning rate{where}: not measured (relu at fewer than two learning rates)")
    leaky = sorted(((float(r[lr_axis]), r.get("max_dead_frac")) for r in rows if _name(r["activation"]) == "leaky_relu"))
    if leaky and relu:
        lr, dead = leaky[-1]
        at = [d for l2, d in relu if l2 == lr]
        versus = f" (relu at the same rate: {at[0]:.2f})" if at and at[0] is not None else ""
        state = "avoided dead units" if dead == 0 else f"had a worst dead fraction of {dead:.2f}"
        out.append(f"leaky relu {state} at lr {lr:g}{where}{versus}")
    else:
        out.append(f"leaky relu at a large learning rate{where}: not measured (leaky_relu or relu not swept)")
    return out


def rule_output(rows: list[dict], base: Spec, failed: list[dict] = ()) -> list[str]:
    """Which output layer fitted each task best: classification by held-out accuracy, regression by held-out
    loss (comparable only under one loss); ties named as ties, failed points named as failed."""
    sweep = base.resolved["sweep"]
    if "model.output_activation" not in sweep and "loss" not in sweep:
        return ["output activation per task type: not measured (the sweep varies neither "
                "model.output_activation nor loss)"]
    key = "model.output_activation" if "model.output_activation" in sweep else "loss"
    task_of = lambda r: str(r.get("train.task", base.resolved["train"]["task"]))  # noqa: E731
    out = []
    for task in dict.fromkeys(task_of(r) for r in [*rows, *failed]):
        mine = [r for r in rows if task_of(r) == task]
        lost = [str(r[key]) for r in failed if task_of(r) == task]
        note = f"; {', '.join(lost)} failed (see points.csv)" if lost else ""
        acc = [r for r in mine if r.get("test_accuracy") is not None]
        if len(mine) < 2:
            ran = f"only {_output(key, mine[0][key], base)} trained" if mine else "no point trained"
            out.append(f"task {task}: nothing to compare, {ran}{note}")
        elif acc:
            top = max(r["test_accuracy"] for r in acc)
            best = [_output(key, r[key], base) for r in acc if r["test_accuracy"] == top]
            each = ", ".join(f"{r[key]}: {r['test_accuracy']:.3f}" for r in acc)
            out.append(f"task {task}: the best held-out accuracy, {top:.3f}, with {' and '.join(best)}"
                       f"{' (tied)' if len(best) > 1 else ''} (of {each}){note}")
        else:
            out.append(f"task {task}: held-out losses are not comparable across losses; see points.csv{note}")
    return out


def _output(key: str, value: Any, base: Spec) -> str:
    """'loss cross_entropy (softmax output)': a loss names the output layer it trains."""
    if key != "loss":
        return f"output {value}"
    from actinit_cli.nn import losses

    fused = losses.LOSSES[str(value)].output if str(value) in losses.LOSSES else None
    head = fused or (base.raw or {}).get("model", {}).get("output_activation") or "identity"
    return f"loss {value} ({head if isinstance(head, str) else head.get('name')} output)"


def rules(rows: list[dict], base: Spec) -> list[str]:
    """The notes' rules, measured in training: speed, dead units against the learning rate, the output layer."""
    ok = _ok(rows)
    others = [a for a in base.resolved["sweep"] if a != "model.activation"]
    lr_axis = "train.optimizer.lr" if "train.optimizer.lr" in base.resolved["sweep"] else None
    speed = rule_speed(ok, others) if base.resolved["train"]["target_loss"] is not None else \
        ["relu vs sigmoid and tanh, steps to a loss: not measured (no train.target_loss)"]
    failed = [r for r in rows if r["status"] != "ok"]
    return (speed or ["relu vs sigmoid and tanh: not measured (not both swept)"]) + \
        rule_dead(ok, lr_axis, others) + rule_output(ok, base, failed)


def markdown(rows: list[dict], base: Spec) -> str:
    """recommendations.md of a training sweep."""
    lines = ["# Recommendations from measured training runs", "",
             f"{len(_ok(rows))} of {len(rows)} points trained ({counted(base.resolved['train']['steps'], 'step')} "
             f"each). Losses are train losses at evaluated steps; dead fractions on the held-out split.", "",
             "## The notes' rules, measured in training", ""]
    return "\n".join(lines + [f"- {line}" for line in rules(rows, base)]) + "\n"
