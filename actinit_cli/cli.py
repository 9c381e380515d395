"""The `actinit` command line: parse, call one core function, render. Nothing else lives here.

Exit codes: 0 success, 1 failure (a check failed), 2 bad usage or bad input, 130 interrupted.
"""

from __future__ import annotations

import re
import sys
from enum import Enum
from pathlib import Path
from typing import Any, List, Optional

import typer
from typer.core import TyperGroup

from actinit_cli import __version__
from actinit_cli.errors import ActinitError

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def fail(message: str, code: int = EXIT_USAGE) -> None:
    """Print one line to stderr and exit."""
    sys.stderr.write(f"error: {message}\n")
    sys.stderr.flush()
    sys.exit(code)


class _Group(TyperGroup):
    """Runs the app so that every user mistake, a parse error included, is one line on stderr."""

    def main(self, args: Any = None, prog_name: Any = None, complete_var: Any = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        args = expand_shape(list(sys.argv[1:] if args is None else args))
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except ActinitError as exc:
            fail(str(exc), exc.exit_code)
        except Exception as exc:  # click-style usage errors carry format_message and exit_code
            if not (hasattr(exc, "format_message") and hasattr(exc, "exit_code")):
                raise
            if type(exc).__name__ == "NoArgsIsHelpError":
                sys.stdout.write(exc.format_message() + "\n")
                sys.exit(EXIT_USAGE)
            ctx = getattr(exc, "ctx", None)
            where = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            fail(exc.format_message().replace("\n", " ") + where, exc.exit_code)
        code = code if isinstance(code, int) else EXIT_OK
        if code == EXIT_INTERRUPTED:  # typer turns Ctrl-C into Exit(130) before we see it
            fail("interrupted; nothing was left half-written", EXIT_INTERRUPTED)
        if standalone_mode:
            sys.exit(code)
        return code


def expand_shape(args: list[str]) -> list[str]:
    """`--shape 9 1` -> `--shape 9 --shape 1`: an option taking all the integers that follow it (click
    options take a fixed number of values; shapes have any rank)."""
    out: list[str] = []
    taking, values = False, 0
    for arg in args:
        if taking and re.fullmatch(r"[+-]?\d+", arg):
            out += ["--shape", arg]
            values += 1
            continue
        if taking and not values:  # --shape followed by no integer: let the parser report it
            out.append("--shape")
        taking, values = arg == "--shape", 0
        if not taking:
            out.append(arg)
    if taking and not values:
        out.append("--shape")
    return out


app = typer.Typer(cls=_Group, no_args_is_help=True, add_completion=False,
                  context_settings={"help_option_names": ["-h", "--help"]},
                  help="See what activation functions and weight initializers do to a deep network.\n\n"
                       "Exit codes: 0 success, 1 a check failed, 2 bad usage or bad input, 130 interrupted.")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"actinit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """See what activation functions and weight initializers do to a deep network."""


command = app.command  # every ActinitError is turned into one line and its exit code by _Group.main


def parse_params(items: list[str] | None, name: str) -> Any:
    """`--param key=value` pairs into a reference {name: ..., key: value}; values read as YAML scalars."""
    import yaml

    from actinit_cli.run.spec import load_yaml

    params: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ActinitError(f"--param: expected key=value, got {item!r}")
        try:
            params[key.strip()] = load_yaml(raw) if raw.strip() else raw
        except yaml.YAMLError:
            params[key.strip()] = raw
    return {"name": name, **params} if params else name


class Format(str, Enum):
    text = "text"
    json = "json"
    csv = "csv"
    npy = "npy"


class DType(str, Enum):
    float32 = "float32"
    float64 = "float64"


@command("sample", no_args_is_help=True, epilog="Examples:\n\n"
         "  actinit sample he_normal --shape 9 1 --seed 0\n\n"
         "  actinit sample glorot_normal --shape 1000 1000 --format npy --output w.npy\n\n"
         "  actinit sample he_normal --shape 9 1 --param distribution=untruncated_normal  (PyTorch kaiming_normal_)\n\n"
         "  actinit sample variance_scaling --shape 3 3 16 32 --param scale=2 --param mode=fan_out")
def sample(
    name: str = typer.Argument(..., metavar="NAME", help="Initializer name or alias (see `actinit list initializers`)."),
    shape: Optional[List[int]] = typer.Option(None, "--shape", metavar="N [N ...]", show_default=False,
                                              help="Tensor shape, e.g. --shape 9 1; a dense kernel is (fan_in, "
                                                   "fan_out), a conv kernel (*receptive_field, in, out)."),
    seed: Optional[int] = typer.Option(None, help="Random seed; without it a fresh seed is drawn and printed."),
    dtype: DType = typer.Option(DType.float32, help="Sample dtype."),
    param: Optional[List[str]] = typer.Option(None, "--param", "-p", metavar="KEY=VALUE",
                                              help="Initializer parameter, repeatable: --param scale=2."),
    fmt: Format = typer.Option(Format.text, "--format", "-f", help="Output format (npy needs --output)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout."),
) -> None:
    """Sample an initializer exactly as Keras 3 defines it, and say what the numbers should look like."""
    from actinit_cli.nn import sample as core
    from actinit_cli.terminal import sample_text

    if not shape:
        raise ActinitError("--shape: give the tensor's shape, e.g. --shape 9 1")
    if fmt is Format.npy and output is None:
        raise ActinitError("--format npy writes binary: add --output FILE.npy")
    d = core.draw(parse_params(param, name), tuple(shape), seed, dtype.value)
    render = {Format.text: lambda: sample_text(d).encode(), Format.json: lambda: (core.as_json(d) + "\n").encode(),
              Format.csv: lambda: core.as_csv(d).encode(), Format.npy: lambda: core.npy_bytes(d.values)}
    data = render[fmt]()
    if output is None:
        sys.stdout.write(data.decode())
        return
    from actinit_cli.run.files import write_atomic

    write_atomic(output, data)
    sys.stderr.write(f"wrote {output} ({d.values.size} values, {d.dtype}, seed {d.seed})\n")


class Kind(str, Enum):
    initializers = "initializers"
    activations = "activations"


@command("list", epilog="Examples:\n\n  actinit list\n\n  actinit list activations")
def list_(kind: Optional[Kind] = typer.Argument(None, help="What to list; both when omitted.")) -> None:
    """List initializers and activations: names, aliases, formulas, defaults and recommended pairing."""
    from actinit_cli import terminal

    out = terminal.console()
    if kind in (None, Kind.initializers):
        out.print(terminal.initializer_table())
    if kind in (None, Kind.activations):
        out.print(terminal.activation_table())


@command("run", no_args_is_help=True, epilog="Examples:\n\n"
         "  actinit run configs/xavier_tanh.yaml\n\n"
         "  actinit run configs/he_relu.yaml --out /tmp/runs --no-plots --json > summary.json\n\n"
         "  actinit run configs/xavier_relu.yaml --save-arrays   (arrays.npz for a notebook)")
def run(
    spec_path: Path = typer.Argument(..., metavar="SPEC", help="YAML experiment spec (see configs/)."),
    out: Path = typer.Option(Path("runs"), "--out", help="Root folder for run directories."),
    no_plots: bool = typer.Option(False, "--no-plots", help="Skip the PNG plots."),
    save_arrays: bool = typer.Option(False, "--save-arrays",
                                     help="Also write arrays.npz (first batch of the first repeat)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the run directory."),
    as_json: bool = typer.Option(False, "--json", help="Print summary.json to stdout instead of the table."),
    check: bool = typer.Option(False, "--check", help="Then evaluate the spec's checks: exit 1 if any fails."),
) -> None:
    """Run a YAML experiment: a deep MLP forward and backward on random batches, per-layer statistics
    and plots written to runs/<name>/<time>-<id>/."""
    from actinit_cli.gates import gate
    from actinit_cli.run import report, runner, spec as specs
    from actinit_cli import terminal

    spec = specs.load(spec_path)
    gate.refuse_sweep(spec, "run")
    if check and not spec["checks"]:
        raise ActinitError(f"--check: {spec_path} has no checks; add a checks: section (see the README)")
    report.check_out(out)
    runner.check_memory(spec, save_arrays, runner.available_bytes())  # before the progress bar appears
    result = terminal.with_progress(lambda tick: runner.execute(spec, save_arrays, tick), runner.total_steps(spec),
                                    enabled=not (quiet or as_json))
    path = report.write(result, out, plots=not no_plots)
    terminal.show_run(result, path, quiet, as_json)
    if check:
        target = gate.Target(str(spec_path), path, spec, result.rows, result.per_repeat)
        results = gate.evaluate(target)
        if not (quiet or as_json):
            terminal.show_checks(results)
        raise typer.Exit(EXIT_FAIL if any(not r.passed for r in results) else EXIT_OK)


@command("check", no_args_is_help=True, epilog="Examples:\n\n"
         "  actinit check configs/he_relu.yaml              (runs it, then checks: exit 0 or 1)\n\n"
         "  actinit check configs/*.yaml --junit report.xml\n\n"
         "  actinit check runs/he_relu/20261129T101500Z-3f9a2c   (re-checks a saved run, no recompute)\n\n"
         "  actinit check configs/he_relu.yaml --baseline baselines/he_relu --tolerance 0.5\n\n"
         "  actinit check configs/he_relu.yaml --baseline baselines/he_relu --update-baseline")
def check(
    targets: List[Path] = typer.Argument(..., metavar="TARGET...", help="Specs (run first) or run directories."),
    junit: Optional[Path] = typer.Option(None, "--junit", help="Write JUnit XML here (one testcase per check)."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON instead of the table."),
    baseline: Optional[Path] = typer.Option(None, "--baseline", metavar="RUN_DIR",
                                            help="Also compare every quantity, layer by layer, with this run."),
    tolerance: float = typer.Option(1.0, "--tolerance", metavar="LOG2",
                                    help="Baseline: allowed |log2(new/old)| per layer (1.0 = a factor of 2)."),
    update_baseline: bool = typer.Option(False, "--update-baseline",
                                         help="Copy the (single) target's run directory to --baseline instead."),
    strict: bool = typer.Option(False, "--strict", help="With repeats > 1, checks must hold for every repeat."),
    out: Path = typer.Option(Path("runs"), "--out", help="Root folder for the runs of spec targets."),
    no_plots: bool = typer.Option(False, "--no-plots", help="Skip plots for spec targets."),
) -> None:
    """Check that activations and gradients stay bounded: exit 0 when every check passes, 1 when any
    fails, 2 on bad input. A target is a spec (run first) or an existing run directory."""
    from actinit_cli.gates import gate
    from actinit_cli.run import report
    from actinit_cli import terminal

    if update_baseline:
        if baseline is None or len(targets) != 1:
            raise ActinitError("--update-baseline: give exactly one target and --baseline RUN_DIR")
        run_dir = gate.refresh_baseline(targets[0], baseline, out, not no_plots)
        sys.stdout.write(f"baseline {baseline} now holds {run_dir}\n")
        return
    if junit is not None:
        report.check_out(junit.parent)
    _, results, skipped = gate.gate(targets, out, strict, baseline, tolerance, not no_plots)
    for notice in skipped:
        sys.stderr.write(f"{notice}\n")
    if junit is not None:
        from actinit_cli.gates import junit as junit_xml
        from actinit_cli.run.files import write_atomic

        write_atomic(junit, junit_xml.xml(results).encode(), "--junit")
    if as_json:
        sys.stdout.write(terminal.results_json(results))
    else:
        terminal.show_checks(results)
    raise typer.Exit(EXIT_FAIL if any(not r.passed for r in results) else EXIT_OK)


@command("sweep", no_args_is_help=True, epilog="Examples:\n\n  actinit sweep configs/sweep_grid.yaml\n\n"
         "  actinit sweep configs/sweep_grid.yaml --jobs 1 --out /tmp/runs\n\n"
         "  actinit sweep configs/sweep_grid.yaml --resume   (after an interruption)")
def sweep_(
    spec_path: Path = typer.Argument(..., metavar="SPEC", help="A spec with a sweep: section."),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Worker processes (default: the number of cores)."),
    resume: bool = typer.Option(False, "--resume", help="Continue the newest unfinished sweep of this spec."),
    yes: bool = typer.Option(False, "--yes", help="Run a sweep of more than 1,000 points."),
    out: Path = typer.Option(Path("runs"), "--out", help="Root folder for the sweep directory."),
    plots: bool = typer.Option(False, "--plots", help="Also write every point's own plots (slower)."),
    bound: float = typer.Option(100.0, "--bound", help="Recommendations: allowed end-to-end change factor."),
    as_json: bool = typer.Option(False, "--json", help="Print the sweep's summary.json instead of the text."),
) -> None:
    """Run the product of a spec's sweep: lists in parallel; write points.csv, heatmaps and
    recommendations drawn from the measured numbers."""
    from actinit_cli.run import report, spec as specs
    from actinit_cli.sweep import pool as sweep, report as sweep_report
    from actinit_cli import terminal

    if not (bound > 1 and bound < float("inf")):
        raise ActinitError(f"--bound: must be a finite factor > 1, got {bound!r}")
    if jobs < 0:
        raise ActinitError(f"--jobs: must be >= 1, got {jobs}")
    jobs = jobs or sweep.cores()
    base = specs.load(spec_path)
    points = sweep.expand(base, yes, jobs)
    report.check_out(out)
    result = terminal.with_progress(
        lambda tick: sweep_report.run(base, points, out, jobs, resume, plots, bound, tick),
        len(points), enabled=not as_json, label="sweep points")
    if as_json:
        sys.stdout.write((result.folder / "summary.json").read_text())
        return
    terminal.show_sweep(result)


@command("gain", epilog="Examples:\n\n  actinit gain tanh\n\n  actinit gain leaky_relu --param negative_slope=0.2\n\n"
         "  actinit gain --all --json")
def gain(
    activation: Optional[str] = typer.Argument(None, help="Activation name (see `actinit list activations`)."),
    param: Optional[List[str]] = typer.Option(None, "--param", "-p", metavar="KEY=VALUE",
                                              help="Activation parameter, repeatable."),
    all_: bool = typer.Option(False, "--all", help="A table for every registered activation."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of the table."),
) -> None:
    """Exact variance-preserving gains from Gaussian moments, beside PyTorch's calculate_gain.

    g_q = 1/sqrt(E[phi(z)^2]) makes q = 1 a fixed point (sigma_w^2 = g^2, no bias); g_chi =
    1/sqrt(E[phi'(z)^2]) makes chi_1 = 1 at q = 1. As a Keras/JAX variance_scaling scale (fan_in): g^2.
    """
    from actinit_cli.theory import phase
    from actinit_cli import terminal

    if all_ == (activation is not None):
        raise ActinitError("gain: name one activation or pass --all")
    if all_ and param:
        raise ActinitError("--param: applies to one named activation, not to --all")
    rows = phase.gain_rows(None if all_ else [parse_params(param, activation)])
    if as_json:
        import json

        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    terminal.show_gains(rows, all_)


@command("phase", no_args_is_help=True, epilog="Examples:\n\n  actinit phase tanh\n\n"
         "  actinit phase selu --sw2-max 3 --sb2-max 0.5 --points 80 --out /tmp/phase")
def phase_(
    activation: str = typer.Argument(..., help="Activation name (see `actinit list activations`)."),
    param: Optional[List[str]] = typer.Option(None, "--param", "-p", metavar="KEY=VALUE",
                                              help="Activation parameter, repeatable."),
    sw2_max: float = typer.Option(4.0, "--sw2-max", help="Largest sigma_w^2 = fan_in Var(W) on the x axis."),
    sb2_max: float = typer.Option(1.0, "--sb2-max", help="Largest sigma_b^2 = Var(b) on the y axis."),
    points: int = typer.Option(60, "--points", help="Grid points per axis."),
    out: Path = typer.Option(Path("runs"), "--out", help="Root folder; writes <out>/phase_<activation>/<time>-<id>/."),
) -> None:
    """The order-to-chaos phase diagram: chi_1 over (sigma_w^2, sigma_b^2), the critical line chi_1 = 1
    (also as CSV), and where the standard, Glorot/LeCun and He initializers fall."""
    from actinit_cli.nn import activations
    from actinit_cli.theory import phase
    from actinit_cli.run import report

    act = activations.REGISTRY.get(parse_params(param, activation), "activation")
    report.check_out(out)
    d = phase.diagram(act, sw2_max, sb2_max, points)
    path = report.write_phase(d, act.name, out)
    at0 = d.critical_sw2_without_bias()
    where = (f"critical line at sigma_b^2 = 0: sigma_w^2 = {at0:.4g}" if at0 is not None else
             "the critical line does not reach sigma_b^2 = 0 in this range")
    sys.stdout.write(f"{where}\nwrote {path}/phase.png and critical_line.csv ({d.line.sw2.size} points)\n")


@command("schema", epilog="Example:\n\n  actinit schema > actinit.schema.json")
def schema() -> None:
    """Print the spec's JSON Schema, so editors can validate specs."""
    import json

    from actinit_cli.run import spec as specs

    sys.stdout.write(json.dumps(specs.json_schema(), indent=2) + "\n")


def main() -> None:
    """Console-script entry point. The process keeps freed memory for reuse (see actinit_cli/run/memory.py)."""
    from actinit_cli.run import memory

    memory.keep_freed_memory()
    app(prog_name="actinit")
