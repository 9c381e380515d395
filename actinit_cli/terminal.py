"""Terminal rendering: plain text and rich tables built from the core's plain data. Never computes."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Callable

import numpy as np
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from actinit_cli.nn.columns import TERMINAL
from actinit_cli.nn.sample import Draw
from actinit_cli.nn.headline import TRENDS, Trend, headline
from actinit_cli.run import report, rundir
from actinit_cli.run.report import fmt
from actinit_cli.words import counted


def sample_text(d: Draw) -> str:
    """`actinit sample`'s text output: the values, then what the formula says beside the sample."""
    e, s = d.expected, d.summary()
    params = ", ".join(f"{k}={v}" for k, v in d.params.items())
    head = f"{d.name}({params}) shape={d.shape} dtype={d.dtype} seed={d.seed}"
    with np.printoptions(precision=6, suppress=False, threshold=200, linewidth=100):
        body = np.array2string(d.values, separator=" ")
    bound = "none (unbounded)" if e.high is None else (
        f"+-{fmt(e.high, 5)}" if e.low == -e.high else f"[{fmt(e.low, 5)}, {fmt(e.high, 5)}]")
    rows = [("", "formula", "sample"),
            ("fan_in, fan_out", f"{e.fan_in:g}, {e.fan_out:g}", ""),
            ("distribution", e.family, ""),
            ("mean", fmt(e.mean, 5), fmt(s["mean"], 5)),
            ("std", fmt(e.std, 5), fmt(s["std"], 5)),
            ("bound", bound, f"min {fmt(s['min'], 5)}, max {fmt(s['max'], 5)}")]
    if e.sigma_p is not None:
        rows.append(("std before truncation", fmt(e.sigma_p, 5), ""))
    width = max(len(r[0]) for r in rows)
    col = max(len(r[1]) for r in rows)
    table = "\n".join(f"{a:<{width}}  {b:<{col}}  {c}".rstrip() for a, b, c in rows)
    return f"{head}\n{body}\n\n{table}\nseed: {d.seed} (pass --seed {d.seed} to repeat these values)\n"


def sample_bytes(d: Draw, fmt: str) -> bytes:
    """`actinit sample`'s output in one of its formats: text, json, csv or npy."""
    from actinit_cli.nn import sample

    render = {"text": lambda: sample_text(d).encode(), "json": lambda: (sample.as_json(d) + "\n").encode(),
              "csv": lambda: sample.as_csv(d).encode(), "npy": lambda: sample.npy_bytes(d.values)}
    return render[fmt]()


ALWAYS_SHOWN = ("layer", "act_m2", "grad_preact_m2")


def run_table(rows: list[dict]) -> Table:
    """The per-layer summary of a run (the columns with a terminal label in nn/columns.py): theory,
    saturated, dead and nan/inf only when they have something to say. A '!' marks a layer outside the
    theory band."""
    columns = [(label, name) for label, name in TERMINAL
               if name in ALWAYS_SHOWN or any(r.get(name) not in (None, 0) for r in rows)]
    if rows and "module" in rows[0]:  # a torch model's module rows: name and type; dL/d(output), not dL/dh
        columns = [columns[0], ("module", "module"), ("type", "type")] + \
            [("E[dy^2]", "grad_act_m2") if name == "grad_preact_m2" else (label, name) for label, name in columns[1:]]
    t = Table(box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False)
    for label, _ in columns:
        t.add_column(Text(label), justify="right", no_wrap=True)
    t.add_column("", no_wrap=True)
    for r in rows:
        cells = [fmt(v, 3) if isinstance(v := r.get(name), float) else ("" if v is None else str(v))
                 for _, name in columns]
        t.add_row(*cells, "!" if r.get("outside_band") else "")
    return t


def headline_plain(head: dict, over: str = "hidden", labels: dict[str, str] | None = None) -> str:
    """One line per run: each trend's end-to-end ratio and log2 slope per layer (`over`, `labels`: module rows)."""
    def show(v: float | None) -> str:
        return "n/a" if v is None else ("0 (vanished)" if v == 0 else fmt(v, 3))

    def ends(t: Trend) -> str:
        return "last/first" if t.forward else "first/last"

    return "  ".join(f"{(labels or {}).get(t.column, t.label)} {ends(t)} {over} {show(head[t.ratio_key])} (slope log2/layer "
                     f"{show(head[t.slope_key])})" for t in TRENDS)


def check_table(results: list) -> Table:
    """One row per check: pass/fail, the worst layer, its value, the bound (one table per target)."""
    t = Table(box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False)
    for label in ("check", "result", "worst layer", "value", "bound"):
        t.add_column(Text(label), no_wrap=True)
    for r in results:
        verdict = Text("PASS", style="green") if r.passed else Text("FAIL", style="bold red")
        t.add_row(Text(r.name), verdict, "" if r.layer is None else str(r.layer),
                  fmt(r.value, 4) if isinstance(r.value, float) else ("" if r.value is None else str(r.value)),
                  Text(r.bound))
    return t


def gain_table(rows: list[dict]) -> Table:
    """Gains side by side: variance-preserving (q = 1 fixed), chi_1 = 1 at q = 1, PyTorch's calculate_gain,
    and the Keras/JAX variance_scaling scale (fan_in) that g_q means."""
    t = Table(box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False)
    for label in ("activation", "g_q (q=1 fixed)", "g_chi (chi_1=1)", "PyTorch", "scale g_q^2"):
        t.add_column(Text(label), justify="left" if label == "activation" else "right", no_wrap=label != "activation")
    for r in rows:
        t.add_row(Text(r["activation"]), fmt(r["g_q"], 6), fmt(r["g_chi"], 6),
                  "none" if r["torch"] is None else fmt(r["torch"], 6), fmt(r["g_q"] ** 2, 5))
    return t


def console() -> Console:
    """A console for stdout; logs and pipes (no terminal, no COLUMNS) get 140 columns instead of rich's 80."""
    out = Console()
    return out if out.is_terminal or "COLUMNS" in os.environ else Console(width=140)


def whole(out: Console, table: Table) -> None:
    """Print a table of numbers without cutting any: in a terminal narrower than the table, rich would
    shorten cells to '1.…' (exponents and PASS/FAIL lost); lines that wrap are better than lost digits."""
    need = out.measure(table, options=out.options.update(max_width=100_000)).maximum  # its natural width
    if need > out.width:
        out = Console(file=out.file, width=need, no_color=out.no_color, force_terminal=out.is_terminal)
    out.print(table)


def with_progress(work: Callable, total: int, enabled: bool, label: str = "layers forward+backward") -> Any:
    """Run work(tick) under a rich progress bar on stderr (transient, only on a terminal), or silently."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    if not enabled or not Console(stderr=True).is_terminal:  # CI logs get no bar and no stray newline
        return work(lambda n: None)

    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        return work(lambda n: bar.advance(task, n))


def show_run(result: Any, path: Path, quiet: bool, as_json: bool) -> None:
    if quiet:
        sys.stdout.write(f"{path}\n")
        return
    if as_json:
        sys.stdout.write((path / "summary.json").read_text())
        return
    out = console()
    out.print(report.title(result), markup=False, highlight=False)
    whole(out, run_table(result.rows))
    out.file.flush()
    line = headline_plain(headline(result.rows))
    if result.spec.torch:
        from actinit_cli.torch import rows as module_rows  # module rows: dL/d(output), not dL/dh

        line = headline_plain(module_rows.headline(result.rows), "module", {"grad_preact_m2": "E[dy^2]"})
    lines = [line, report.theory_line(result), *report.analysis_lines(result)]
    lines += [f"note: {n}" for n in result.notes]
    sys.stdout.write("\n".join(lines + [f"run directory: {path}"]) + "\n")  # plain: never wrapped in logs


def results_json(results: list, targets: list = ()) -> str:
    """`actinit check --json`: valid JSON (nan and inf as strings, as in summary.json), with each target's
    run directory (the one just written for a spec) and run time."""
    from dataclasses import asdict

    doc = {"passed": all(r.passed for r in results),
           "targets": [{"target": t.label, "run_dir": str(t.run_dir), "ran": t.ran, "seconds": t.seconds}
                       for t in targets],
           "results": [asdict(r) for r in results]}
    return rundir.json_text(doc)


def show_run_dirs(targets: list) -> None:
    """Where `actinit check` wrote the runs of the specs it ran."""
    for t in targets:
        if t.ran:
            sys.stdout.write(f"{t.label}: run directory {t.run_dir}\n")


def show_checks(results: list) -> None:
    out = console()
    for target in dict.fromkeys(r.target for r in results):
        out.print(target, markup=False, highlight=False, style="bold")
        whole(out, check_table([r for r in results if r.target == target]))
    out.file.flush()
    for r in results:  # plain lines: one failure per line in any log, never wrapped
        if not r.passed:
            sys.stdout.write(f"FAIL {r.target}: {r.name}: {r.message}\n")
    failed = sum(not r.passed for r in results)
    sys.stdout.write(f"{counted(len(results), 'check')}, {failed} failed\n")


def show_sweep(result: Any, as_json: bool = False) -> None:
    """The sweep's outcome: counts, failed points with their reasons, one verdict per activation (with --json, its
    summary.json); first, on stderr, a `note:` for each damaged point that --resume ran again."""
    from actinit_cli.sweep import plan

    sys.stderr.writelines(f"note: {n}\n" for n in result.notes)
    if as_json:
        sys.stdout.write((result.folder / "summary.json").read_text())
        return
    failed = [r for r in result.rows if r["status"] != "ok"]
    sys.stdout.write(f"{counted(len(result.rows), 'point')}, {len(failed)} failed, {result.seconds:.1f} s "
                     f"with {counted(result.jobs, 'worker')}\n")
    for r in failed:  # named by every swept value: points may differ in the task or loss alone
        sys.stdout.write(f"failed: {plan.describe({p: r[p] for p in result.swept})}: {r['reason']}\n")
    for a in result.advice:
        sys.stdout.write(f"{a.activation}: {a.verdict}\n")
    for line in result.rules:
        sys.stdout.write(f"rule: {line}\n")
    sys.stdout.write(f"sweep directory: {result.folder}\n")


def show_gains(rows: list[dict], all_: bool, as_json: bool = False) -> None:
    if as_json:
        import json

        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    whole(console(), gain_table(rows))
    if all_:
        sys.stdout.write("softmax: output layers only (not elementwise): no gain\n")


def show_phase(path: Path, d: Any) -> None:
    """Where the critical line meets sigma_b^2 = 0, and what was written."""
    at0 = d.critical_sw2_without_bias()
    where = (f"critical line at sigma_b^2 = 0: sigma_w^2 = {at0:.4g}" if at0 is not None else
             "the critical line does not reach sigma_b^2 = 0 in this range")
    sys.stdout.write(f"{where}\nwrote {path}/phase.png and critical_line.csv ({counted(d.line.sw2.size, 'point')})\n")


def show_examples() -> None:
    """`actinit init --list`: every example spec and its first comment line."""
    from actinit_cli.run import examples

    t = Table(title="example specs (actinit init NAME writes NAME.yaml)")
    t.add_column("name", no_wrap=True)
    t.add_column("what it shows", overflow="fold")
    for name in examples.names():
        t.add_row(name, Text(examples.summary(name)))  # as written: x[l] is text, not rich markup
    console().print(t)
