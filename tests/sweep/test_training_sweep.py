"""A sweep of training runs: points.csv's training columns, its heatmaps, and recommendations that state only
comparisons whose points ran (checked on hand-made rows, where the expected sentence is known)."""

import csv
import json

import pytest

from actinit_cli.run import spec as specs
from actinit_cli.sweep import training

SPEC = """name: swt
model: {depth: 2, width: 16, initializer: he_normal}
train: {task: {name: gaussian_mixture, samples: 300, features: 4}, steps: 20, batch_size: 32, eval_every: 10,
        optimizer: {name: adam, lr: 0.001}, target_loss: 0.9}
sweep:
  model.activation: [relu, leaky_relu]
  train.optimizer.lr: [0.001, 0.1]
"""


def test_sweep_over_training(cli, tmp_path):
    (tmp_path / "s.yaml").write_text(SPEC)
    r = cli("sweep", tmp_path / "s.yaml", "--out", tmp_path / "o", "--jobs", "1")
    assert r.exit_code == 0, r.output
    (folder,) = (tmp_path / "o" / "swt").iterdir()
    rows = list(csv.DictReader((folder / "points.csv").open()))
    assert len(rows) == 4 and all(r["status"] == "ok" for r in rows)
    assert all(r["final_loss_ratio"] and r["max_dead_frac"] != "" for r in rows)
    assert list(rows[0])[:2] == ["model.activation", "train.optimizer.lr"]
    assert {"heatmap_final_loss.png", "heatmap_dead.png"} <= {p.name for p in folder.iterdir()}
    text = (folder / "recommendations.md").read_text()
    assert "## The notes' rules, measured in training" in text
    assert "relu vs sigmoid and tanh: not measured" in text  # neither sigmoid nor tanh was swept
    assert "output activation per task type: not measured" in text
    said = [line[len("rule: "):] for line in r.stdout.splitlines() if line.startswith("rule: ")]
    assert said and [f"- {line}" for line in said] == text.split("in training\n\n")[1].splitlines()  # the same rules
    assert json.loads((folder / "summary.json").read_text())["rules"] == said


def row(act, lr, dead, steps=None, acc=None, status="ok"):
    return {"activation": act, "train.optimizer.lr": lr, "max_dead_frac": dead, "steps_to_loss": steps,
            "test_accuracy": acc, "status": status, "final_test_loss": 1.0}


def test_dead_rule_reads_the_numbers():
    rows = [row("relu", "0.001", 0.1), row("relu", "0.1", 0.9), row("leaky_relu", "0.1", 0.0)]
    lines = training.rule_dead(rows, "train.optimizer.lr")
    assert lines[0] == "dead relu units grew with the learning rate (worst dead fraction by lr: 0.001: 0.10, 0.1: 0.90)"
    assert lines[1] == "leaky relu avoided dead units at lr 0.1 (relu at the same rate: 0.90)"
    shrinking = training.rule_dead([row("relu", "0.001", 0.5), row("relu", "0.1", 0.2)], "train.optimizer.lr")
    assert shrinking[0].startswith("dead relu units did not grow steadily")
    assert "not measured" in shrinking[1]


def test_dead_rule_compares_points_of_the_same_other_values():
    """With a third swept path (a seed), each seed's relu points are compared among themselves only."""
    rows = [{**row("relu", lr, dead), "seed": seed} for seed, lr, dead in
            [(0, "0.001", 0.1), (0, "0.1", 0.9), (1, "0.001", 0.6), (1, "0.1", 0.3)]]
    rows.append({**row("leaky_relu", "0.1", 0.0), "seed": 0})
    lines = training.rule_dead(rows, "train.optimizer.lr", ["train.optimizer.lr", "seed"])
    assert lines == [
        "dead relu units grew with the learning rate (seed 0) (worst dead fraction by lr: 0.001: 0.10, 0.1: 0.90)",
        "leaky relu avoided dead units at lr 0.1 (seed 0) (relu at the same rate: 0.90)",
        "dead relu units did not grow steadily with the learning rate (seed 1) (worst dead fraction by lr: "
        "0.001: 0.60, 0.1: 0.30)",
        "leaky relu at a large learning rate (seed 1): not measured (leaky_relu or relu not swept)"]


@pytest.mark.parametrize("relu, tanh, word", [(20, 40, "reached the target loss in fewer steps than tanh"),
                                              (40, 20, "did not reach"), (20, 20, "in as many steps as tanh"),
                                              (None, 20, "did not reach"), (20, None, "fewer steps than tanh"),
                                              (None, None, "neither reached")])
def test_speed_rule(relu, tanh, word):
    (line,) = training.rule_speed([row("relu", "0.01", 0, relu), row("tanh", "0.01", 0, tanh)], ["train.optimizer.lr"])
    assert word in line


def test_output_rule_compares_accuracy_per_task():
    base = specs.parse(SPEC.replace("train.optimizer.lr: [0.001, 0.1]", "model.output_activation: [softmax, identity]")
                       + "loss: mse\n")
    rows = [{**row("relu", "x", 0, acc=0.9), "model.output_activation": "softmax"},
            {**row("relu", "x", 0, acc=0.7), "model.output_activation": "identity"}]
    (line,) = training.rule_output(rows, base)
    assert "best held-out accuracy, 0.900, with output softmax (of softmax: 0.900, identity: 0.700)" in line


def test_output_rule_names_ties_and_failures():
    base = specs.parse(SPEC.replace("train.optimizer.lr: [0.001, 0.1]", "loss: [cross_entropy, binary_cross_entropy, mse]"))
    rows = [{**row("relu", "x", 0, acc=0.95), "loss": "cross_entropy"},
            {**row("relu", "x", 0, acc=0.95), "loss": "binary_cross_entropy"},
            {**row("relu", "x", 0, acc=0.7), "loss": "mse"}]
    (line,) = training.rule_output(rows, base)
    assert ("with loss cross_entropy (softmax output) and loss binary_cross_entropy (sigmoid output) (tied)"
            in line)
    (line,) = training.rule_output(rows[2:], base, [{**rows[0], "status": "failed"}])
    assert line.endswith("nothing to compare, only loss mse (identity output) trained; cross_entropy failed "
                         "(see points.csv)")


def test_a_sweep_reads_its_data_file_beside_the_spec(cli, tmp_path, monkeypatch):
    """train.task {file: d.npz} is relative to the spec's folder for every sweep point too, whatever the
    working directory (points used to look in the working directory and all failed)."""
    import numpy as np

    spec_dir = tmp_path / "specs"
    spec_dir.mkdir()
    rng = np.random.default_rng(0)
    np.savez(spec_dir / "d.npz", x=rng.normal(size=(200, 4)), y=rng.integers(0, 2, size=200))
    (spec_dir / "s.yaml").write_text(SPEC.replace("{name: gaussian_mixture, samples: 300, features: 4}", "{file: d.npz}"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    r = cli("sweep", spec_dir / "s.yaml", "--out", tmp_path / "o", "--jobs", "1")
    assert r.exit_code == 0, r.output
    (folder,) = (tmp_path / "o" / "swt").iterdir()
    rows = list(csv.DictReader((folder / "points.csv").open()))
    assert len(rows) == 4 and all(r["status"] == "ok" for r in rows), rows


@pytest.mark.parametrize("task", ["digits", "[digits, {name: gaussian_mixture, samples: 300, features: 4}]"],
                         ids=["the base spec's task", "a swept task"])
def test_a_missing_data_extra_is_refused_before_any_point_runs(cli, tmp_path, monkeypatch, task):
    """As `actinit train` refuses it (exit 2, the install command), not as every point failing in a sweep that
    exits 0 (found by a user test without scikit-learn)."""
    import sys

    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # as if scikit-learn were not installed
    text = SPEC.replace("{name: gaussian_mixture, samples: 300, features: 4}", "digits")
    if task.startswith("["):
        text = SPEC + f"  train.task: {task}\n"
    (tmp_path / "s.yaml").write_text(text)
    r = cli("sweep", tmp_path / "s.yaml", "--out", tmp_path / "o", "--jobs", "1")
    assert r.exit_code == 2, r.output
    assert r.stderr.startswith("error: sweep point ") and r.stderr.count("\n") == 1
    assert 'train.task digits needs scikit-learn\'s bundled datasets' in r.stderr
    assert 'pip install "actinit[data]"' in r.stderr
    assert not (tmp_path / "o").exists()
