"""`actinit gain` and `actinit phase` through the CLI, and theory in a run's files."""

import csv
import json

import numpy as np
import pytest

from actinit_cli.nn import activations


def test_gain_tanh_beside_pytorch(cli):
    r = cli("gain", "tanh")
    assert r.exit_code == 0 and "1.59254" in r.stdout and "1.66667" in r.stdout


def test_gain_all_covers_every_elementwise_activation(cli):
    rows = json.loads(cli("gain", "--all", "--json").stdout)
    names = [r["activation"].split()[0] for r in rows]
    assert names == [n for n in activations.REGISTRY.names() if n != "softmax"]
    by = {r["activation"].split()[0]: r for r in rows}
    # docs/reference-numbers.md section C
    for name, g in [("tanh", 1.59254), ("gelu", 1.53353), ("silu", 1.67653), ("relu", 1.41421), ("selu", 1.0)]:
        assert by[name]["g_q"] == pytest.approx(g, abs=5e-6)
    assert by["selu"]["torch"] == 0.75 and by["gelu"]["torch"] is None


@pytest.mark.parametrize("args, message", [
    (["gain", "softmax"], "elementwise"),
    (["gain"], "name one activation or pass --all"),
    (["gain", "tanhh"], "did you mean 'tanh'"),
    (["phase", "tanh", "--points", "1"], "2 <= --points <= 500"),
    (["phase", "tanh", "--points", "501"], "2 <= --points <= 500"),
    (["phase", "tanh", "--sw2-max", "1e40"], "0 < --sw2-max <= 1000"),
    (["phase", "tanh", "--sb2-max", "0"], "0 < --sb2-max"),
    (["gain", "--all", "--param", "x=1"], "--param: applies to one named activation"),
    (["phase", "relu", "--param", "foo=1"], "has no parameter 'foo'; it takes no parameters"),
])
def test_bad_input(cli, args, message):
    r = cli(*args)
    assert r.exit_code == 2 and message in r.stderr


def test_phase_tanh_critical_line_through_one(cli, tmp_path):
    r = cli("phase", "tanh", "--out", tmp_path, "--points", "30")
    assert r.exit_code == 0 and "sigma_w^2 = 1" in r.stdout
    folder = next((tmp_path / "phase_tanh").iterdir())
    assert (folder / "phase.png").read_bytes()[:4] == b"\x89PNG"
    line = list(csv.DictReader((folder / "critical_line.csv").open()))
    sw2 = np.array([float(x["sigma_w2"]) for x in line])
    sb2 = np.array([float(x["sigma_b2"]) for x in line])
    assert sw2[np.argmin(sb2)] == pytest.approx(1.0, abs=1e-3)
    assert np.interp(0.05, sb2[np.argsort(sb2)], sw2[np.argsort(sb2)]) == pytest.approx(1.761, abs=0.01)


def test_run_writes_theory(cli, tmp_path):
    spec = tmp_path / "t.yaml"
    spec.write_text("name: t\nmodel: {depth: 4, width: 64}\ndata: {batch_size: 64}\nloss: random_projection\n")
    d = cli("run", spec, "--out", tmp_path, "--quiet").stdout.strip()
    doc = json.loads(open(f"{d}/summary.json").read())
    assert doc["theory"]["applies"] and doc["theory"]["phase"] == "critical"
    assert len(doc["theory"]["band"]["preact"]) == 6 and doc["theory"]["band"]["act"][0] == 1.0
    rows = list(csv.DictReader(open(f"{d}/layers.csv")))
    assert {"pred_preact_m2", "pred_act_m2", "pred_act_var", "pred_grad_preact_m2", "outside_band"} <= set(rows[0])
    assert rows[0]["pred_preact_m2"] == "" and float(rows[2]["pred_act_m2"]) > 0
    r = cli("run", spec, "--out", tmp_path)
    assert "theory: critical" in r.stdout and "theory" in r.stdout.splitlines()[2]
