"""`actinit run` and `actinit schema` through the CLI: the run directory's files, terminal output,
and bad input that exits 2 leaving nothing in runs/."""

import csv
import json
import os
from pathlib import Path

import numpy as np
import pytest
import yaml

from actinit_cli.run import report, spec
from actinit_cli.nn.columns import MEASURED as COLUMNS

SMALL = "name: small\nmodel: {depth: 3, width: 16, activation: relu, initializer: he_normal}\ndata: {batch_size: 32}\n"
PNG = b"\x89PNG\r\n\x1a\n"


def write_spec(tmp_path, text=SMALL, name="small.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def only_run_dir(out):
    dirs = [p for p in (out / "small").iterdir()]
    assert len(dirs) == 1 and not dirs[0].name.startswith(".")
    return dirs[0]


def test_run_writes_every_file(cli, tmp_path):
    out = tmp_path / "runs"
    r = cli("run", write_spec(tmp_path, SMALL + "repeats: 2\n"), "--out", out, "--save-arrays")
    assert r.exit_code == 0, r.output
    d = only_run_dir(out)
    names = {p.name for p in d.iterdir()}
    assert {"spec.yaml", "layers.csv", "layers_repeats.csv", "summary.json", "report.md", "arrays.npz",
            "variance_by_layer.png", "activations_hist.png", "gradients_hist.png", "saturation.png"} <= names
    rows = list(csv.DictReader((d / "layers.csv").open()))
    assert tuple(rows[0])[:len(COLUMNS)] == COLUMNS and [int(x["layer"]) for x in rows] == [0, 1, 2, 3, 4]
    assert rows[0]["preact_m2"] == "" and float(rows[1]["act_m2"]) > 0
    reps = list(csv.DictReader((d / "layers_repeats.csv").open()))
    assert len(reps) == 10 and reps[0]["repeat"] == "0"
    doc = json.loads((d / "summary.json").read_text())
    assert doc["seeds"] == [0, 1] and doc["versions"]["numpy"] == np.__version__
    assert set(doc["headline"]) == {"act_m2_last_over_first", "grad_m2_first_over_last", "act_m2_slope_log2",
                                    "grad_m2_slope_log2", "unit_var_last_over_first", "unit_var_slope_log2"}
    assert spec.from_mapping(yaml.safe_load((d / "spec.yaml").read_text())).resolved == doc["spec"]
    for png in names - {"spec.yaml", "layers.csv", "layers_repeats.csv", "summary.json", "report.md", "arrays.npz"}:
        assert (d / png).read_bytes()[:8] == PNG
    report = (d / "report.md").read_text()
    assert "variance_by_layer.png" in report and "| act_m2 |" in report
    assert "branch_share" not in report  # empty in every row of a plain MLP: left out of report.md (kept in layers.csv)
    assert str(d) in r.stdout and "E[y^2]" in r.stdout


def test_json_and_quiet(cli, tmp_path):
    out = tmp_path / "runs"
    doc = json.loads(cli("run", write_spec(tmp_path), "--out", out, "--json", "--no-plots").stdout)
    assert doc["name"] == "small" and len(doc["layers"]) == 5
    quiet = cli("run", write_spec(tmp_path), "--out", out, "--quiet", "--no-plots").stdout.strip()
    assert (out / "small" / quiet.split("/")[-1]).is_dir()
    assert not any(p.name.endswith(".png") for p in (out / "small").rglob("*"))


def test_no_two_runs_share_a_directory(cli, tmp_path):
    out = tmp_path / "runs"
    for _ in range(3):
        assert cli("run", write_spec(tmp_path), "--out", out, "--quiet", "--no-plots").exit_code == 0
    assert len(list((out / "small").iterdir())) == 3


@pytest.mark.parametrize("text, message", [
    (SMALL + "model: {}\n", "small.yaml:4: model: duplicate key (first on line 2)"),
    ("model:\n  depth: [\n", "YAML syntax error"),
    ("model:\n  depht: 3\n", "did you mean 'depth'"),
    ("model:\n  activation: 3\n", "expected activation name"),
    ("model:\n  depth: 2\n  width: 0\n", "must be >= 1"),
    ("model:\n  initializer: xavier_unifrom\n", "did you mean 'xavier_uniform'"),
    ("model:\n  activation: softmax\n", "output layers only"),
    ("loss: cross_entropy\nmodel: {output_activation: relu}\n", "needs output_activation softmax"),
    ("model: {depth: 1000, width: 100000}\ndata: {batch_size: 100000}\n", "GiB"),
])
def test_bad_specs_exit_2_and_leave_nothing(cli, tmp_path, text, message):
    out = tmp_path / "runs"
    r = cli("run", write_spec(tmp_path, text), "--out", out)
    assert r.exit_code == 2, r.output
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.output
    assert not out.exists() or not any(out.rglob("*"))


def test_missing_spec_file(cli, tmp_path):
    r = cli("run", tmp_path / "nope.yaml", "--out", tmp_path)
    assert r.exit_code == 2 and "not found" in r.stderr


def test_unwritable_out(cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    r = cli("run", write_spec(tmp_path), "--out", blocker / "runs")
    assert r.exit_code == 2 and "--out" in r.stderr


def test_interrupt_leaves_no_partial_directory(cli, tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "markdown", interrupted)  # the last file written
    out = tmp_path / "runs"
    r = cli("run", write_spec(tmp_path), "--out", out, "--no-plots")
    assert r.exit_code == 130 and "interrupted" in r.stderr
    assert not any(p.is_file() for p in out.rglob("*"))


def test_schema_is_json(cli):
    doc = json.loads(cli("schema").stdout)
    assert doc["properties"]["model"]["properties"]["depth"]["type"] == "integer"
    assert "additionalProperties" in doc


def test_unwritable_out_is_refused_before_computing(cli, tmp_path, monkeypatch):
    from actinit_cli.run import runner

    def no_compute(*args, **kwargs):
        raise AssertionError("must not compute before checking --out")

    monkeypatch.setattr(runner, "execute", no_compute)
    blocker = tmp_path / "file"
    blocker.write_text("")
    r = cli("run", write_spec(tmp_path), "--out", blocker)
    assert r.exit_code == 2 and "is not a directory" in r.stderr


def test_run_directories_follow_the_umask(cli, tmp_path):
    d = Path(cli("run", write_spec(tmp_path), "--out", tmp_path / "runs", "--quiet", "--no-plots").stdout.strip())
    mask = os.umask(0)
    os.umask(mask)
    assert d.stat().st_mode & 0o777 == 0o777 & ~mask


def test_interrupt_removes_the_name_folder_it_created(cli, tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "markdown", interrupted)
    out = tmp_path / "fresh"
    assert cli("run", write_spec(tmp_path), "--out", out, "--no-plots").exit_code == 130
    assert not (out / "small").exists()
