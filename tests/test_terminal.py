"""Terminal rendering: tables show what they promise; JSON output is valid JSON."""

import json
from pathlib import Path

from rich.console import Console

from actinit_cli import terminal
from actinit_cli.gates.verdict import Result


def text_of(renderable) -> str:
    console = Console(width=200, record=True)
    console.print(renderable)
    return console.export_text()


def row(layer, **extra):
    base = {"layer": layer, "act_m2": 1.0, "act_unit_var": 0.5, "saturated_frac": None, "dead_frac": 0.1,
            "grad_preact_m2": 2.0, "grad_weight_ratio": 0.01, "nonfinite": 0}
    return {**base, **extra}


def test_run_table_shows_theory_and_flags_only_when_present():
    plain = text_of(terminal.run_table([row(0), row(1)]))
    assert "E[y^2]" in plain and "theory" not in plain and "nan/inf" not in plain
    rich_ = text_of(terminal.run_table([row(0), row(1, pred_act_m2=0.9, outside_band=1, nonfinite=3)]))
    assert "theory" in rich_ and "nan/inf" in rich_ and "!" in rich_


def test_results_json_is_valid_json():
    results = [Result("t", "act_m2", False, 3, float("nan"), "[0.1, 10]", "layer 3 is not finite")]
    doc = json.loads(terminal.results_json(results))
    assert doc["passed"] is False and doc["results"][0]["value"] == "nan"


def test_check_table():
    text = text_of(terminal.check_table([Result("t", "act_m2/input", True, 4, 1.5, "[0.1, 10]", "ok")]))
    assert "act_m2/input" in text and "PASS" in text and "[0.1, 10]" in text


def test_a_narrow_terminal_keeps_every_digit(cli, tmp_path, monkeypatch):
    """At 60 columns rich would cut cells to '1.…' and PASS to 'P…'; the tables keep their width instead."""
    monkeypatch.setenv("COLUMNS", "60")
    spec = tmp_path / "n.yaml"
    spec.write_text("name: n\nmodel: {depth: 3, width: 16}\ndata: {batch_size: 16}\n"
                    "checks: [{quantity: act_m2, slope_log2: {min: -0.1, max: 0.1}}]\n")
    r = cli("run", spec, "--out", tmp_path / "runs", "--no-plots", "--check")
    assert "…" not in r.stdout and "slope_log2(act_m2)" in r.stdout and "FAIL" in r.stdout
    assert any(len(line) > 60 for line in r.stdout.splitlines())  # wider than the terminal, not truncated


def test_example_list_shows_brackets_as_written(capsys, monkeypatch):
    """A config's first comment line is text, not rich markup: resnet_relu's x[l] = x[l-1] + ... keeps [l]."""
    monkeypatch.setattr(terminal, "console", lambda: Console(width=300))
    terminal.show_examples()
    assert "x[l] = x[l-1] + W relu(x[l-1])" in capsys.readouterr().out


def test_a_failed_sweep_point_is_named_by_every_swept_value(capsys):
    """Points that differ only in the task or the loss (activation, initializer and depth alike) stay apart."""
    from actinit_cli.sweep.report import SweepResult

    same = {"activation": "relu", "initializer": "he_normal", "depth": 3, "reason": "targets are not classes"}
    rows = [{**same, "train.task": "diabetes", "loss": loss, "status": "failed"} for loss in ("cross_entropy", "mse")]
    terminal.show_sweep(SweepResult(Path("runs/s"), rows, [], [], 1.0, 2, swept=("train.task", "loss")))
    out = capsys.readouterr().out
    assert "failed: task=diabetes, loss=cross_entropy: targets are not classes\n" in out
    assert "failed: task=diabetes, loss=mse: targets are not classes\n" in out


def test_counts_of_one_are_singular(capsys):
    """'1 check', '1 point ... with 1 worker': never '1 checks' or '1 workers'."""
    from actinit_cli.sweep.report import SweepResult

    terminal.show_checks([Result("t", "act_m2", True, 1, 1.0, "[0.1, 10]", "ok")])
    terminal.show_sweep(SweepResult(Path("runs/s"), [{"status": "ok"}], [], [], 1.0, 1))
    out = capsys.readouterr().out
    assert "1 check, 0 failed\n" in out and "1 point, 0 failed, 1.0 s with 1 worker\n" in out
