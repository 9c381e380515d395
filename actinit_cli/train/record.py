"""What a training run writes: the run directory as `actinit run` writes it (spec.yaml, layers.csv of the
trained network on the held-out split, summary.json with the scalars), plus history.csv, history_layers.csv,
the training plots and report.md, created atomically (run/rundir.atomic_dir)."""

from __future__ import annotations

import math
import platform
from pathlib import Path

import numpy as np

from actinit_cli import __version__
from actinit_cli.nn.headline import headline
from actinit_cli.run import rundir
from actinit_cli.run.report import fmt
from actinit_cli.train.loop import HISTORY, HISTORY_LAYERS, Training
from actinit_cli.words import counted

HISTORY_CSV, HISTORY_LAYERS_CSV = "history.csv", "history_layers.csv"
UPDATE_GUIDE = 1e-3  # the usual rule of thumb for std(delta W) / std(W) per step (Karpathy, CS231n notes)


def summary(t: Training, run_id: str, created: str) -> dict:
    return rundir.json_safe({
        "run_id": run_id, "name": t.spec.name, "created_utc": created, "spec": t.spec.resolved,
        "seeds": [t.spec["seed"]],
        "streams": "numpy SeedSequence(seed).spawn(2) -> [weights, data]; data.spawn(2) -> [task and split, "
                   "minibatch order]; weights.spawn(depth + 1)[l - 1] draws W[l] then b[l]",
        "versions": {"actinit": __version__, "numpy": np.__version__, "python": platform.python_version(),
                     "platform": platform.platform()},
        "timings": {"total_seconds": t.seconds, **{f"{k}_seconds": v for k, v in t.timings.items()},
                    "evaluation_wall_seconds": t.eval_seconds},
        "headline": headline(t.rows), "scalars": t.scalars, "notes": [], "layers": t.rows})


def write(t: Training, root: Path, plots: bool = True) -> Path:
    """runs/<name>/<time>-<id>/, whole or not at all."""
    def fill(out: Path, run_id: str, created: str) -> None:
        rundir.write_tables(out, t.spec.resolved, t.rows, [t.rows], summary(t, run_id, created))
        (out / HISTORY_CSV).write_text(rundir.csv_text(t.history, HISTORY))
        (out / HISTORY_LAYERS_CSV).write_text(rundir.csv_text(t.layers, HISTORY_LAYERS))
        pngs = draw(t, out) if plots else []
        (out / "report.md").write_text(markdown(t, run_id, pngs))

    return rundir.atomic_dir(root, t.spec.name, fill)


def grid(t: Training, column: str, transform=lambda v: v) -> tuple[list[int], list[int], np.ndarray]:
    """(steps, layers, values[layer, step]) of one history_layers.csv column; NaN where it has no value."""
    steps = [h["step"] for h in t.history]
    layers = sorted({r["layer"] for r in t.layers})
    out = np.full((len(layers), len(steps)), np.nan)
    for r in t.layers:
        v = r[column]
        if v is not None and math.isfinite(v):
            out[layers.index(r["layer"]), steps.index(r["step"])] = transform(v)
    return steps, layers, out


def draw(t: Training, out: Path) -> list[str]:
    from actinit_cli import plots

    name = title(t)
    steps = [h["step"] for h in t.history]
    classes = t.spec["model.output_dim"] if t.spec["loss"] == "cross_entropy" else 0
    plots.curves(out / "loss.png", steps, {"train loss": [h["train_loss"] for h in t.history],
                                           "held-out loss": [h["test_loss"] for h in t.history]},
                 f"{name}\nloss", "training step", "loss (log scale)",
                 guide=(math.log(classes), f"chance: ln {classes}, a uniform guess") if classes > 1 else None)
    s, layers, m2 = grid(t, "act_m2", lambda v: math.log10(v) if v > 0 else math.nan)
    plots.layer_step_map(out / "act_m2_map.png", s, layers, m2, f"{name}\nactivation second moment per layer "
                         f"(held-out split)", "log10 E[y^2]",
                         grey="E[y^2] = 0 (every unit of the layer dead) or no finite value")
    s, layers, dead = grid(t, "dead_frac")
    plots.layer_step_map(out / "dead_frac_map.png", s, layers[1:-1], dead[1:-1], f"{name}\ndead units per hidden "
                         f"layer (0 for every held-out sample)", "dead_frac", (0.0, 1.0))
    s, layers, ratio = grid(t, "update_ratio")
    plots.curves(out / "update_ratio.png", s[1:], {f"layer {layer}": ratio[i, 1:] for i, layer in enumerate(layers)
                                                   if layer}, f"{name}\nupdate-to-data ratio std(dW)/std(W)",
                 "training step", "std(delta W) / std(W) (log scale)", guide=(UPDATE_GUIDE, "1e-3 rule of thumb"),
                 colorbar="layer")
    return ["loss.png", "act_m2_map.png", "dead_frac_map.png", "update_ratio.png"]


def title(t: Training) -> str:
    from actinit_cli.nn import activations, initializers

    m, cfg = t.spec.resolved["model"], t.spec.resolved["train"]
    task = cfg["task"] if isinstance(cfg["task"], str) else cfg["task"].get("name") or next(iter(cfg["task"].values()))
    opt = cfg["optimizer"]
    return (f"{t.spec.name}: {activations.REGISTRY.short_name(m['activation'])} + "
            f"{initializers.REGISTRY.short_name(m['initializer'])} (depth {m['depth']}), {task}, "
            f"{opt['name']} lr {opt['lr']:g}")


def lines(t: Training) -> list[str]:
    """The summary a person reads: initial and final loss, accuracy, the worst dead fraction and when."""
    first, final, sc = t.history[0], t.history[-1], t.scalars
    out = [f"train loss {fmt(first['train_loss'])} -> {fmt(final['train_loss'])} (x{fmt(sc['final_loss_ratio'])}) "
           f"in {counted(final['step'], 'step')}; held-out loss {fmt(final['test_loss'])}"]
    if final["test_accuracy"] is not None:
        out.append(f"held-out accuracy {final['test_accuracy']:.4f}")
    if sc["max_dead_frac"] is not None:
        step = int(sc["max_dead_step"])
        where = [r["layer"] for r in t.layers if r["step"] == step and r["dead_frac"] == sc["max_dead_frac"]]
        out.append(f"worst dead fraction {sc['max_dead_frac']:.3f} (hidden layer {where[0]}, step {step})")
    if sc["steps_to_loss"] is not None:
        out.append(f"train loss <= {t.spec['train.target_loss']:g} first at step {int(sc['steps_to_loss'])}")
    return out


def markdown(t: Training, run_id: str, pngs: list[str]) -> str:
    text = [f"# {title(t)}", "", f"Run `{run_id}`, seed {t.spec['seed']}, actinit {__version__}, {t.seconds:.2f} s.",
            "", *[f"- {line}" for line in lines(t)], "", "## History", "",
            "| " + " | ".join(HISTORY) + " |", "|" + "---|" * len(HISTORY)]
    text += ["| " + " | ".join(fmt(h.get(c)) for c in HISTORY) + " |" for h in t.history]
    return "\n".join(text + [""] + [f"![{p}]({p})" for p in pngs]) + "\n"
