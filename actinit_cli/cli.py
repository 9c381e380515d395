"""The `actinit` command line: each command parses, calls one core function, renders. Nothing else
lives here (the app, its error handling and shared option types are in `app.py`).

Exit codes: the table in errors.py (EXIT_CODES), which `actinit --help` and the README show.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from actinit_cli.app import (ActivationParams, DType, Executor, ExecutorOption, Format, InitializerParams, Json, Kind,
                             NoPlots, Out, SchedulerOption, ShapeCommand, SpecPath, app, examples, parse_params,
                             show_verdict)


@app.command("sample", cls=ShapeCommand, no_args_is_help=True, epilog=examples(
    "actinit sample he_normal --shape 9 1 --seed 0",
    "actinit sample glorot_normal --shape 1000 1000 --format npy --output w.npy",
    "actinit sample he_normal --shape 9 1 -p distribution=untruncated_normal   (PyTorch kaiming_normal_)",
    "actinit sample variance_scaling --shape 3 3 16 32 -p scale=2 -p mode=fan_out"))
def sample(
    name: Annotated[str, typer.Argument(metavar="NAME", help="Initializer name or alias (actinit list initializers).")],
    shape: Annotated[Optional[list[int]], typer.Option(
        "--shape", metavar="N [N ...]", show_default=False,
        help="Tensor shape (required), e.g. --shape 9 1; a dense kernel is (fan_in, fan_out), a conv kernel "
             "(*receptive_field, in, out).")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", metavar="N", help="Random seed; without it a fresh one is "
                                                "drawn and printed.")] = None,
    dtype: Annotated[DType, typer.Option(help="Sample dtype.")] = DType.float32,
    param: InitializerParams = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format (npy needs --output).")] = Format.text,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", metavar="FILE",
                                                   help="Write to this file, not stdout.")] = None,
) -> None:
    """Sample an initializer exactly as Keras 3 defines it, and say what the numbers should look like."""
    from actinit_cli import terminal
    from actinit_cli.nn import sample as core

    if not shape:
        raise typer.BadParameter("give the tensor's shape, e.g. --shape 9 1", param_hint="--shape")
    if fmt is Format.npy and output is None:
        raise typer.BadParameter("npy is binary: add --output FILE.npy", param_hint="--format")
    core.check_request(tuple(shape), dtype.value, fmt.value)
    if output is not None:
        from actinit_cli.run import files

        files.check_file(output, "--output")
    d = core.draw(parse_params(param, name), tuple(shape), seed, dtype.value)
    data = terminal.sample_bytes(d, fmt.value)
    if output is None:
        sys.stdout.write(data.decode())
        return
    from actinit_cli.run.files import write_atomic
    from actinit_cli.words import counted

    write_atomic(output, data)
    sys.stderr.write(f"wrote {output} ({counted(d.values.size, 'value')}, {d.dtype}, seed {d.seed})\n")


@app.command("list", epilog=examples("actinit list", "actinit list activations", "actinit list tasks",
                                     "actinit list columns"))
def list_(kind: Annotated[Optional[Kind], typer.Argument(help="What to list; all when omitted.")] = None) -> None:
    """List initializers, activations, training tasks, optimizers and layers.csv's columns: names, aliases,
    formulas, defaults, pairings."""
    from actinit_cli import lists

    lists.show_lists([k.value for k in Kind] if kind is None else [kind.value])


@app.command("run", no_args_is_help=True, epilog=examples(
    "actinit run configs/xavier_tanh.yaml",
    "actinit run configs/he_relu.yaml --out /tmp/runs --no-plots --json > summary.json",
    "actinit run configs/xavier_relu.yaml --save-arrays   (arrays.npz for a notebook)"))
def run(
    spec_path: SpecPath, out: Out = Path("runs"), no_plots: NoPlots = False,
    save_arrays: Annotated[bool, typer.Option("--save-arrays", help="Also write arrays.npz (first batch).")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the run directory.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print summary.json instead of the table.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Then evaluate the spec's checks: exit 1 if any fails.")]
    = False,
) -> None:
    """Run a YAML experiment: a deep MLP forward and backward on random batches, per-layer statistics
    and plots written to runs/<name>/<time>-<id>/."""
    from actinit_cli import terminal
    from actinit_cli.gates import gate
    from actinit_cli.run import experiment

    job = experiment.prepare(spec_path, out, save_arrays, check)
    if job.spec.resolved.get("train"):
        sys.stderr.write("warning: train: is ignored by actinit run (it measures the network at initialization); "
                         "train it with actinit train\n")
    result, path = terminal.with_progress(lambda tick: experiment.execute(job, not no_plots, tick), job.steps,
                                          enabled=not (quiet or as_json))
    terminal.show_run(result, path, quiet, as_json)
    if check:
        show_verdict(gate.evaluate(gate.Target.of_run(str(spec_path), path, result)), show=not (quiet or as_json))


@app.command("check", no_args_is_help=True, epilog=examples(
    "actinit check configs/he_relu.yaml              (runs it, then checks: exit 0 or 1)",
    "actinit check configs/*.yaml --junit report.xml",
    "actinit check runs/he_relu/20261129T101500Z-3f9a2c   (re-checks a saved run, no recompute)",
    "actinit check configs/he_relu.yaml --baseline baselines/he_relu --tolerance 0.5",
    "actinit check configs/he_relu.yaml --baseline baselines/he_relu --update-baseline"))
def check(
    targets: Annotated[list[Path], typer.Argument(metavar="TARGET...", help="Specs (run first) or run directories.")],
    junit: Annotated[Optional[Path], typer.Option("--junit", metavar="FILE",
                                                  help="Write JUnit XML here (one testcase per check).")] = None,
    as_json: Json = False,
    baseline: Annotated[Optional[Path], typer.Option("--baseline", metavar="RUN_DIR", help="Also compare every quantity, "
                                                    "layer by layer, with this saved run.")] = None,
    tolerance: Annotated[float, typer.Option("--tolerance", metavar="LOG2", help="Baseline: allowed |log2(new/old)| per layer "
                                             "(1.0 = a factor of 2).")] = 1.0,
    update_baseline: Annotated[bool, typer.Option("--update-baseline",
                                                  help="Copy the (single) target's run directory to --baseline.")]
    = False,
    strict: Annotated[bool, typer.Option("--strict", help="With repeats > 1, checks must hold for every repeat.")] \
    = False,
    out: Out = Path("runs"), no_plots: NoPlots = False,
) -> None:
    """Check that activations and gradients stay bounded: exit 0 when every check passes, 1 when any
    fails, 2 on bad input. A target is a spec (run first) or an existing run directory."""
    from actinit_cli import terminal
    from actinit_cli.gates import gate

    if update_baseline:
        if baseline is None or len(targets) != 1:
            raise typer.BadParameter("give exactly one target and --baseline RUN_DIR", param_hint="--update-baseline")
        run_dir = gate.refresh_baseline(targets[0], baseline, out, not no_plots)
        sys.stdout.write(f"baseline {baseline} now holds {run_dir}\n")
        return
    plan = gate.prepare(targets, out, strict, baseline, tolerance, junit)
    for notice in plan.skipped:
        sys.stderr.write(f"{notice}\n")
    ran, results = terminal.with_progress(lambda tick: gate.run(plan, not no_plots, tick), plan.steps,
                                          enabled=not as_json and plan.steps > 0)
    if as_json:
        sys.stdout.write(terminal.results_json(results, ran))
    else:
        terminal.show_run_dirs(ran)
    show_verdict(results, show=not as_json)


def _jobs(value: int | None) -> int | None:
    if value is not None and value < 0:
        raise typer.BadParameter(f"must be >= 1 (or 0: one per core), got {value}")
    return value


def _bound(value: float) -> float:
    if not 1 < value < float("inf"):
        raise typer.BadParameter(f"must be a finite factor > 1, got {value!r}")
    return value


@app.command("sweep", no_args_is_help=True, epilog=examples(
    "actinit sweep configs/sweep_grid.yaml", "actinit sweep configs/sweep_grid.yaml --jobs 1 --out /tmp/runs",
    "actinit sweep configs/sweep_grid.yaml --resume   (after an interruption)",
    "actinit sweep configs/sweep_grid.yaml --executor dask   (a LocalCluster, one worker per core)",
    "actinit sweep configs/sweep_grid.yaml --executor dask --scheduler tcp://10.0.0.5:8786"))
def sweep_(
    ctx: typer.Context,
    spec_path: Annotated[Path, typer.Argument(metavar="SPEC", help="A spec with a sweep: section.")],
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", metavar="N", show_default=False, callback=_jobs,
                                                help="Worker processes (default: the number of cores).")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the newest unfinished sweep of this spec.")] \
    = False,
    yes: Annotated[bool, typer.Option("--yes", help="Run a sweep of more than 1,000 points.")] = False,
    out: Out = Path("runs"),
    plots: Annotated[bool, typer.Option("--plots", help="Also write every point's own plots (slower).")] = False,
    bound: Annotated[float, typer.Option("--bound", metavar="FACTOR", callback=_bound,
                                         help="Recommendations: allowed end-to-end change factor.")] = 100.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the sweep's summary.json instead of the text.")]
    = False,
    executor: ExecutorOption = Executor.local,
    scheduler: SchedulerOption = None,
) -> None:
    """Run the product of a spec's sweep: lists in parallel; write points.csv, heatmaps and
    recommendations drawn from the measured numbers."""
    from actinit_cli import terminal
    from actinit_cli.sweep import executors
    from actinit_cli.sweep import plan as sweep_plan
    from actinit_cli.sweep import report as sweep_report

    if executor is Executor.dask and jobs is not None:
        raise typer.BadParameter("is for --executor local; a Dask cluster's workers are its own", param_hint="--jobs")
    if executor is Executor.local and scheduler is not None:
        raise typer.BadParameter("needs --executor dask", param_hint="--scheduler")
    out_given = ctx.get_parameter_source("out").name != "DEFAULT"  # the resume command repeats it (typer's own click)
    plan = sweep_plan.prepare(spec_path, out, jobs or 0, yes, local=executor is Executor.local, out_given=out_given)
    with executors.session(executor.value, plan, scheduler) as session:
        if session.dashboard:
            sys.stderr.write(f"dask dashboard: {session.dashboard}\n")
        result = terminal.with_progress(
            lambda tick: sweep_report.run(session.plan, resume, plots, bound, tick, session.runner),
            len(plan.points), enabled=not as_json, label="sweep points")
    terminal.show_sweep(result, as_json)


@app.command("gain", epilog=examples("actinit gain tanh", "actinit gain leaky_relu -p negative_slope=0.2",
                                     "actinit gain --all --json"))
def gain(
    activation: Annotated[Optional[str], typer.Argument(help="Activation name (actinit list activations).")] = None,
    param: ActivationParams = None,
    all_: Annotated[bool, typer.Option("--all", help="A table for every registered activation.")] = False,
    as_json: Json = False,
) -> None:
    """Exact variance-preserving gains from Gaussian moments, beside PyTorch's calculate_gain.

    g_q = 1/sqrt(E[phi(z)^2]) makes q = 1 a fixed point (sigma_w^2 = g^2, no bias); g_chi =
    1/sqrt(E[phi'(z)^2]) makes chi_1 = 1 at q = 1. As a Keras/JAX variance_scaling scale (fan_in): g^2.
    """
    from actinit_cli import terminal
    from actinit_cli.theory import gains

    if all_ == (activation is not None):
        raise typer.BadParameter("name one activation or pass --all", param_hint="ACTIVATION")
    if all_ and param:
        raise typer.BadParameter("applies to one named activation, not to --all", param_hint="--param")
    terminal.show_gains(gains.gain_rows(None if all_ else [parse_params(param, activation)]), all_, as_json)


@app.command("phase", no_args_is_help=True, epilog=examples(
    "actinit phase tanh", "actinit phase selu --sw2-max 3 --sb2-max 0.5 --points 80 --out /tmp/phase"))
def phase_(
    activation: Annotated[str, typer.Argument(help="Activation name (actinit list activations).")],
    param: ActivationParams = None,
    sw2_max: Annotated[float, typer.Option("--sw2-max", metavar="X",
                                           help="Largest sigma_w^2 = fan_in Var(W) on the x axis.")] = 4.0,
    sb2_max: Annotated[float, typer.Option("--sb2-max", metavar="Y", help="Largest sigma_b^2 = Var(b) on the y axis.")]
    = 1.0,
    points: Annotated[int, typer.Option("--points", metavar="N", help="Grid points per axis (2 to 500).")] = 60,
    out: Annotated[Path, typer.Option("--out", metavar="DIR",
                                      help="Root folder; writes <out>/phase_<activation>/<time>-<id>/.")]
    = Path("runs"),
) -> None:
    """The order-to-chaos phase diagram: chi_1 over (sigma_w^2, sigma_b^2), the critical line chi_1 = 1
    (also as CSV), and where the standard, Glorot/LeCun and He initializers fall."""
    from actinit_cli import terminal
    from actinit_cli.run import report

    path, diagram = terminal.with_progress(
        lambda tick: report.phase_diagram(parse_params(param, activation), sw2_max, sb2_max, points, out, tick),
        points * points, enabled=True, label="grid points")
    terminal.show_phase(path, diagram)


@app.command("init", epilog=examples("actinit init --list", "actinit init xavier_tanh   (writes ./xavier_tanh.yaml)",
                                     "actinit init he_relu --output my_model.yaml"))
def init(
    name: Annotated[Optional[str], typer.Argument(metavar="EXAMPLE", help="An example spec (see --list).")] = None,
    output: Annotated[Path, typer.Option("--output", "-o", metavar="PATH",
                                         help="File to write, or a folder for EXAMPLE.yaml.")] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    list_: Annotated[bool, typer.Option("--list", help="List the example specs and what each shows.")] = False,
) -> None:
    """Write a starter spec: one of the example configs (they ship with actinit), ready to edit and run."""
    from actinit_cli import terminal
    from actinit_cli.run import examples as specs

    if list_ or name is None:
        terminal.show_examples()
        return
    path, *models = specs.write(name, output, force)
    verb = "train" if "\ntrain:" in path.read_text() else "run"  # a training spec's command is actinit train
    beside = "".join(f" and {m} (its model file)" for m in models)
    sys.stdout.write(f"wrote {path}{beside}; run it with: actinit {verb} {path}\n")


@app.command("schema", epilog=examples("actinit schema > actinit.schema.json"))
def schema() -> None:
    """Print the spec's JSON Schema, so editors can validate specs."""
    import json

    from actinit_cli.run import spec as specs

    sys.stdout.write(json.dumps(specs.json_schema(), indent=2) + "\n")


def main() -> int:
    """The command line, run; returns its exit code (errors exit with theirs: app.fail). The process keeps freed
    memory for reuse (see actinit_cli/run/memory.py). The console script is entry.main."""
    from actinit_cli import pipes, signals
    from actinit_cli.run import memory

    sys.stdout = pipes.guarded(sys.stdout)  # `actinit ... | head`: the command's own exit code, see pipes.py
    memory.keep_freed_memory()
    signals.install()  # also when main() is called directly, not through the console script
    return app(prog_name="actinit", standalone_mode=False)


from actinit_cli import train_command  # noqa: E402,F401  (registers `actinit train` on the app)
