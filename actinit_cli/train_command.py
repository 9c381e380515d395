"""`actinit train`: the command, its progress bar with the current loss, and the summary at the end (the
face of train/; cli.py imports this module so the command is registered on the app)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Callable

import typer

from actinit_cli.app import NoPlots, Out, SpecPath, app, examples, show_verdict


@app.command("train", no_args_is_help=True, epilog=examples(
    "actinit train configs/train_he_fig3_he.yaml",
    "actinit train configs/train_dead_relu_small_lr.yaml --out /tmp/runs --no-plots --json > summary.json",
    "actinit train configs/train_digits.yaml --check   (then its checks: exit 0 or 1)"))
def train(
    spec_path: SpecPath, out: Out = Path("runs"), no_plots: NoPlots = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the run directory.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print summary.json instead of the summary.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Then evaluate the spec's checks: exit 1 if any fails.")]
    = False,
) -> None:
    """Train the spec's MLP on its train: task for a few hundred steps: history.csv, history_layers.csv
    (per-layer statistics over steps), plots and summary.json in runs/<name>/<time>-<id>/."""
    from actinit_cli.gates import gate
    from actinit_cli.train import job as jobs
    from actinit_cli.train import record

    job = jobs.load(spec_path, out)
    if check and not job.spec["checks"]:
        raise typer.BadParameter(f"{spec_path} has no checks; add a checks: section (see the README)",
                                 param_hint="--check")
    result, path = with_loss_bar(lambda tick: jobs.execute(job, not no_plots, tick), job.steps,
                                 enabled=not (quiet or as_json))
    if quiet:
        sys.stdout.write(f"{path}\n")
    elif as_json:
        sys.stdout.write((path / "summary.json").read_text())
    else:
        sys.stdout.write("\n".join([record.title(result), *record.lines(result), f"run directory: {path}"]) + "\n")
    if check:
        show_verdict(gate.evaluate(gate.Target.of_run(str(spec_path), path, result)), show=not (quiet or as_json))


def with_loss_bar(work: Callable, total: int, enabled: bool) -> Any:
    """work(tick) with a progress bar on stderr showing the latest minibatch loss (a terminal only)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    if not enabled or not Console(stderr=True).is_terminal:
        return work(lambda n, loss: None)
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} steps"),
                  TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("training", total=total)
        return work(lambda n, loss: bar.update(task, advance=n, description=f"loss {loss:.4g}"))
