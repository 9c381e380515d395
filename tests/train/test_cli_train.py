"""`actinit train` through the CLI: the run directory's files, the same history bytes for the same seed, checks
on training quantities (fresh and saved), and bad input that exits 2 with one line naming the field and leaves
nothing in --out."""

import csv
import json
import re

import numpy as np
import pytest

from actinit_cli.nn import scalars
from actinit_cli.train.loop import HISTORY, HISTORY_LAYERS

SPEC = """name: tr
model: {depth: 3, width: 16, activation: relu, initializer: he_normal}
train: {task: {name: gaussian_mixture, samples: 400, features: 6}, steps: 30, batch_size: 32, eval_every: 10,
        optimizer: {name: momentum, lr: 0.05}, target_loss: 0.5}
"""
GATES = """checks:
  - {quantity: final_loss_ratio, max: 0.5}
  - {quantity: test_accuracy, min: 0.8}
  - {quantity: max_dead_frac, max: 0.5}
  - {quantity: steps_to_loss, max: 30}
"""
PNGS = {"loss.png", "act_m2_map.png", "dead_frac_map.png", "update_ratio.png"}


def spec_file(tmp_path, text=SPEC, name="tr.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def run_dirs(out):
    return [p for p in (out / "tr").iterdir()] if (out / "tr").exists() else []


def test_train_writes_history_and_plots(cli, tmp_path):
    out = tmp_path / "runs"
    r = cli("train", spec_file(tmp_path), "--out", out)
    assert r.exit_code == 0, r.output
    (d,) = run_dirs(out)
    assert {"spec.yaml", "layers.csv", "summary.json", "history.csv", "history_layers.csv", "report.md"} | PNGS \
        <= {p.name for p in d.iterdir()}
    hist = list(csv.DictReader((d / "history.csv").open()))
    assert tuple(hist[0]) == HISTORY and [int(h["step"]) for h in hist] == [0, 10, 20, 30]
    layers = list(csv.DictReader((d / "history_layers.csv").open()))
    assert tuple(layers[0]) == HISTORY_LAYERS and len(layers) == 4 * 5
    assert all(h["update_ratio"] == "" for h in layers if h["step"] == "0" or h["layer"] == "0")
    assert all(float(h["update_ratio"]) > 0 for h in layers if h["step"] != "0" and h["layer"] != "0")
    doc = json.loads((d / "summary.json").read_text())
    assert set(doc["scalars"]) == {s.name for s in scalars.TRAINING}
    assert doc["spec"]["loss"] == "cross_entropy" and doc["spec"]["model"]["input_dim"] == 6
    assert doc["spec"]["model"]["output_dim"] == 3
    assert doc["scalars"]["final_loss_ratio"] == pytest.approx(float(hist[-1]["train_loss"]) / float(hist[0]["train_loss"]))
    assert "train loss" in r.stdout and "held-out accuracy" in r.stdout
    worst = re.search(r"worst dead fraction ([0-9.]+) \(hidden layer (\d), step (\d+)\)", r.stdout)
    assert worst, r.stdout  # the layer and step where max_dead_frac occurred, as history_layers.csv has it
    assert any(h["layer"] == worst[2] and h["step"] == worst[3] and f"{float(h['dead_frac']):.3f}" == worst[1]
               for h in layers)


def test_same_seed_same_history_bytes(cli, tmp_path):
    files = []
    for k in range(2):
        out = tmp_path / f"runs{k}"
        assert cli("train", spec_file(tmp_path), "--out", out, "--no-plots").exit_code == 0
        (d,) = run_dirs(out)
        files.append([(d / f).read_bytes() for f in ("history.csv", "history_layers.csv", "layers.csv")])
    assert files[0] == files[1]
    out = tmp_path / "other"
    assert cli("train", spec_file(tmp_path, SPEC + "seed: 1\n"), "--out", out, "--no-plots").exit_code == 0
    (d,) = run_dirs(out)
    assert (d / "history.csv").read_bytes() != files[0][0]


def test_training_gates_pass_and_fail_with_exit_codes(cli, tmp_path):
    out = tmp_path / "runs"
    good = cli("train", spec_file(tmp_path, SPEC + GATES), "--out", out, "--no-plots", "--check")
    assert good.exit_code == 0, good.output
    assert "4 checks, 0 failed" in good.stdout
    (d,) = run_dirs(out)
    again = cli("check", d, "--json")  # a saved training run re-checked without training
    assert again.exit_code == 0 and json.loads(again.stdout)["passed"]
    strict = SPEC + "checks:\n  - {quantity: final_loss_ratio, max: 0.0001}\n  - {quantity: test_accuracy, min: 0.8}\n"
    bad = cli("check", spec_file(tmp_path, strict, "strict.yaml"), "--out", tmp_path / "o2", "--no-plots",
              "--junit", tmp_path / "r.xml")
    assert bad.exit_code == 1, bad.output
    assert "FAIL" in bad.stdout and "final_loss_ratio" in bad.stdout
    assert 'failures="1"' in (tmp_path / "r.xml").read_text()


def test_never_reached_loss_fails_its_gate(cli, tmp_path):
    text = SPEC.replace("target_loss: 0.5", "target_loss: 0.000001") + "checks:\n  - {quantity: steps_to_loss, max: 30}\n"
    r = cli("train", spec_file(tmp_path, text), "--out", tmp_path / "o", "--no-plots", "--check")
    assert r.exit_code == 1 and "steps_to_loss" in r.stdout


def test_run_warns_and_ignores_train(cli, tmp_path):
    r = cli("run", spec_file(tmp_path), "--out", tmp_path / "o", "--no-plots", "--quiet")
    assert r.exit_code == 0 and "train: is ignored by actinit run" in r.stderr


BAD = [
    ("unknown task", {"task: {name: gaussian_mixture, samples: 400, features: 6}": "task: moons"},
     r"train\.task: unknown task 'moons'"),
    ("lr zero", {"lr: 0.05": "lr: 0"}, r"train\.optimizer\.lr: must be > 0"),
    ("lr negative", {"lr: 0.05": "lr: -0.1"}, r"train\.optimizer\.lr: must be > 0"),
    ("steps zero", {"steps: 30": "steps: 0"}, r"train\.steps: must be >= 1"),
    ("unknown optimizer", {"name: momentum": "name: rmsprop"}, r"train\.optimizer: unknown optimizer 'rmsprop'"),
    ("unknown key", {"steps: 30": "stepz: 30"}, r"train\.stepz: unknown key; did you mean 'steps'"),
    ("test fraction", {"eval_every: 10": "eval_every: 10, test_fraction: 1.5"}, r"train\.test_fraction: must be between"),
    ("batch beyond data", {"batch_size: 32": "batch_size: 5000"}, r"train\.batch_size: 5000 is more than the 320"),
    ("projection loss", {"name: tr": "name: tr\nloss: random_projection"}, r"loss: random_projection is not a training"),
    ("input width", {"initializer: he_normal": "initializer: he_normal, input_dim: 7"},
     r"model\.input_dim: 7, but the task's data needs 6"),
    ("blocks", {"initializer: he_normal": "initializer: he_normal, block: {residual: true}, input_dim: 16"},
     r"model\.block: actinit train does not train residual"),
    ("repeats", {"name: tr": "name: tr\nrepeats: 2"}, r"repeats: actinit train runs one network"),
    ("jacobian", {"name: tr": "name: tr\nanalysis: {jacobian: {samples: 2}}"},
     r"analysis\.jacobian\.samples: actinit train does not compute the Jacobian spectrum"),
    ("lsuv", {"initializer: he_normal": "initializer: lsuv"}, r"model\.initializer: actinit train does not resolve lsuv"),
    ("task is a number", {"task: {name: gaussian_mixture, samples: 400, features: 6}": "task: 5"}, r"train\.task"),
    ("task parameter", {"samples: 400": "samples: 1"}, r"train\.task\.samples: must be >= 2"),
    ("separation beyond its bound", {"features: 6": "features: 6, separation: 1e308"},
     r"train\.task\.separation: must be <= 1e\+06"),
    ("task unknown parameter", {"samples: 400": "sample: 400"}, r"has no parameter 'sample'; did you mean 'samples'"),
    ("lr text", {"lr: 0.05": "lr: fast"}, r"train\.optimizer\.lr: expected a number"),
    ("lr nan", {"lr: 0.05": "lr: .nan"}, r"train\.optimizer\.lr: must be finite"),
    ("steps bool", {"steps: 30": "steps: true"}, r"train\.steps: expected an integer"),
    ("steps huge", {"steps: 30": "steps: 1e99"}, r"train\.steps"),
    ("file not text", {"task: {name: gaussian_mixture, samples: 400, features: 6}": "task: {file: 5}"},
     r"train\.task: a file task is"),
    ("csv without target", {"task: {name: gaussian_mixture, samples: 400, features: 6}": "task: {csv: d.csv}"},
     r"train\.task: a csv task is"),
    ("no task", {"task: {name: gaussian_mixture, samples: 400, features: 6}, ": ""}, r"train\.task: missing"),
    ("samples too many", {"samples: 400": "samples: 100000000"}, r"train\.task\.samples: must be <= 1e\+07"),
    ("data too large", {"samples: 400, features: 6": "samples: 5000000, features: 100"},
     r"train\.task: samples x features is 500,000,000, more than 50,000,000"),
    ("network beyond memory", {"width: 16": "width: 100000"}, r"train: this run .* reduce train\.batch_size"),
    ("sweep spec", {"name: tr": "name: tr\nsweep: {seed: [0, 1]}"}, r"has a sweep: section; run it with actinit sweep"),
]


@pytest.mark.parametrize("change, message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_is_one_line_exit_2_nothing_written(cli, tmp_path, change, message):
    text = SPEC
    for old, new in change.items():
        assert old in text
        text = text.replace(old, new)
    out = tmp_path / "runs"
    r = cli("train", spec_file(tmp_path, text), "--out", out)
    assert r.exit_code == 2, r.output
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: ")
    assert re.search(message, r.stderr), r.stderr
    assert not out.exists() or not any(out.rglob("*"))


def user_data(tmp_path, kind):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((120, 3))
    y = (x[:, 0] > 0).astype(int) if kind == "binary" else x @ [1.0, -2.0, 0.5]
    if kind == "csv":
        rows = ["a,b,c,target"] + [",".join(repr(float(c)) for c in [*r, v]) for r, v in zip(x, y)]
        (tmp_path / "d.csv").write_text("\n".join(rows) + "\n")
        return "{csv: d.csv, target: target}"
    np.savez(tmp_path / "d.npz", x=x, y=y)
    return "{file: d.npz}"


@pytest.mark.parametrize("kind, loss, outputs", [("binary", "binary_cross_entropy", 1), ("csv", "mse", 1)])
def test_users_own_data(cli, tmp_path, kind, loss, outputs):
    text = SPEC.replace("{name: gaussian_mixture, samples: 400, features: 6}", user_data(tmp_path, kind))
    out = tmp_path / "runs"
    r = cli("train", spec_file(tmp_path, text), "--out", out, "--no-plots", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["spec"]["loss"] == loss and doc["spec"]["model"]["output_dim"] == outputs
    assert doc["spec"]["model"]["input_dim"] == 3 and doc["scalars"]["final_loss_ratio"] < 1


@pytest.mark.parametrize("task, extra, message", [
    ("{csv: d.csv, target: y}", "", r"train\.task\.target: no column 'y' in"),
    ("{file: missing.npz}", "", r"train\.task\.file: '.*missing\.npz' is not a file; give the path of an \.npz"),
    ("{csv: missing.csv, target: t}", "", r"train\.task\.csv: '.*missing\.csv' is not a file; give the path of a \.csv"),
    ("{file: .}", "", r"train\.task\.file: '.*' is not a file"),
    # a CSV under file: NumPy's message was cut at "pickled (object) data ... load it unsafely using the" (a user test)
    ("{file: d.csv}", "", r"train\.task\.file: '.*d\.csv' is a CSV file; give it as train\.task: \{csv: d\.csv, "
                          r"target: COLUMN\}, or an \.npz archive under file:$"),
    ("{file: ./d.csv}", "", r"train\.task\.file: '.*d\.csv' is a CSV file; give it as train\.task: "
                            r"\{csv: \./d\.csv, target"),  # the path as given, not its name (a review)
    ("{file: d.npz}", "loss: cross_entropy\n",
     r"^error: \S*tr\.yaml:\d+: loss: cross_entropy needs class labels, but the task's targets are real"),
    ("diabetes", "loss: binary_cross_entropy\n", r"^error: \S*tr\.yaml:\d+: loss: binary_cross_entropy needs class"),
    ("{name: gaussian_mixture, samples: 400, features: 6}", "loss: random_projection\n",
     r"^error: \S*tr\.yaml:\d+: loss: random_projection is not a training loss"),
    ("{csv: ragged.csv, target: target}", "", r"train\.task\.csv: '.*ragged\.csv' row 3 has 3 cells, its header 4"),
    # found by fuzzing (exit 70 before): damaged archives, empty data; the line names the spec's file and line
    ("{file: junk.npz}", "", r"^error: \S*tr\.yaml:3: train\.task\.file: cannot read '.*junk\.npz' as \.npz \(File is not"),
    ("{file: empty.npz}", "", r"^error: \S*tr\.yaml:3: train\.task\.file: cannot read '.*empty\.npz' as \.npz"),
    ("{file: crc.npz}", "", r"^error: \S*tr\.yaml:3: train\.task\.file: cannot read .*\(Bad CRC-32"),
    ("{file: npy.npz}", "", r"^error: \S*tr\.yaml:3: train\.task\.file: .* needs arrays named x"),
    ("{file: zero.npz}", "", r"^error: \S*tr\.yaml:3: train\.task\.file: the data has 0 rows of 3 features"),
    ("{file: one.npz}", "", r"^error: \S*tr\.yaml:3: train\.task\.file: the data has 1 rows"),
    ("{file: featureless.npz}", "", r"^error: \S*tr\.yaml:3: train\.task\.file: the data has 5 rows of 0 features"),
    ("{file: complex.npz}", "", r"^error: \S*tr\.yaml:3: train\.task\.file: x must be real numbers"),
    ("{file: huge.npz}", "", r"^error: \S*tr\.yaml:3: train\.task\.file: values too large to standardise"),
    ("{csv: blank.csv, target: target}", "", r"^error: \S*tr\.yaml:3: train\.task\.csv: .* at least two data rows"),
])
def test_bad_data_is_exit_2(cli, tmp_path, task, extra, message):
    user_data(tmp_path, "csv")
    user_data(tmp_path, "regression")
    damaged_data(tmp_path)
    (tmp_path / "ragged.csv").write_text("a,b,c,target\n1,2,3,0\n1,2,3\n4,5,6,1\n")
    if task == "diabetes":
        from tests.cases import need

        need("sklearn")
    text = SPEC.replace("{name: gaussian_mixture, samples: 400, features: 6}", task) + extra
    r = cli("train", spec_file(tmp_path, text), "--out", tmp_path / "runs")
    assert r.exit_code == 2, r.output
    assert r.stderr.count("\n") == 1 and re.search(message, r.stderr), r.stderr
    assert not (tmp_path / "runs").exists()


def damaged_data(folder):
    """Data files that are not data: a zip header and junk, nothing, a flipped byte in x, one .npy array, no rows,
    one row, no features, complex x, values whose squares overflow, a header and blank lines."""
    (folder / "junk.npz").write_bytes(b"PK\x03\x04junk")
    (folder / "empty.npz").write_bytes(b"")
    np.savez(folder / "crc.npz", x=np.ones((50, 3)), y=np.zeros(50))
    damaged = bytearray((folder / "crc.npz").read_bytes())
    damaged[200] ^= 0xFF  # inside x's values (after the zip entry's header and the .npy header)
    (folder / "crc.npz").write_bytes(bytes(damaged))
    with open(folder / "npy.npz", "wb") as f:
        np.save(f, np.zeros(3))
    for name, rows, features, dtype in [("zero", 0, 3, float), ("one", 1, 3, float), ("featureless", 5, 0, float),
                                        ("complex", 5, 3, complex)]:
        np.savez(folder / f"{name}.npz", x=np.zeros((rows, features), dtype), y=np.zeros(rows))
    np.savez(folder / "huge.npz", x=np.tile([[1e300], [-1e300]], (20, 3)), y=np.arange(40.0))
    (folder / "blank.csv").write_text("a,b,target\n\n\n\n")


def test_missing_data_extra_names_the_install_command(cli, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # as if scikit-learn were not installed
    text = SPEC.replace("{name: gaussian_mixture, samples: 400, features: 6}", "digits")
    r = cli("train", spec_file(tmp_path, text), "--out", tmp_path / "runs")
    assert r.exit_code == 2
    assert r.stderr == ('error: train.task digits needs scikit-learn\'s bundled datasets (sklearn.datasets is not '
                        'installed); install it with: pip install "actinit[data]"\n')


def test_train_section_not_a_mapping(cli, tmp_path):
    r = cli("train", spec_file(tmp_path, "name: tr\ntrain: [1]\n"), "--out", tmp_path / "runs")
    assert r.exit_code == 2 and re.search(r"tr\.yaml:2: train: expected a mapping", r.stderr), r.stderr


def test_init_names_the_train_command(cli, tmp_path):
    r = cli("init", "train_digits", "--output", tmp_path / "d.yaml")
    assert r.exit_code == 0 and "run it with: actinit train" in r.stdout
