"""analysis.jacobian through the spec, the runner, the run directory and the gates: bad input refused before
anything runs, the files a run writes, its scalars read back and checked, and measured against predicted."""

import csv
import json

import numpy as np
import pytest

from actinit_cli.errors import ActinitError
from actinit_cli.nn import jacobian, scalars
from actinit_cli.run import blockrun, rundir, runner, spec

SMALL = ("name: jac\nmodel: {depth: 6, width: 32, activation: tanh, initializer: orthogonal}\n"
         "data: {batch_size: 16}\nanalysis: {jacobian: {samples: 3}}\n")
GAUSS = {"name": "lecun_normal", "distribution": "untruncated_normal"}


@pytest.mark.parametrize("extra, message", [
    ("analysis: {jacobian: {samples: 32}}", "analysis.jacobian.samples: 32 samples but data.batch_size is 16"),
    ("analysis: {jacobian: {samples: -1}}", "analysis.jacobian.samples: must be >= 0"),
    ("analysis: {jacobian: {samples: 2.5}}", "analysis.jacobian.samples: expected an integer"),
    ("analysis: {jacobien: {samples: 2}}", "analysis.jacobien: unknown key; did you mean 'jacobian'?"),
    ("analysis: {jacobian: {samples: 2}}\nmodel: {depth: 3, width: 8, block: {residual: true, norm: batch}}",
     "analysis.jacobian.samples: the Jacobian spectrum is computed per input, and BatchNorm couples the inputs"),
])
def test_bad_analysis_is_refused(extra, message):
    text = "data: {batch_size: 16}\n" + extra
    if "model:" not in extra:
        text += "\nmodel: {depth: 3, width: 8}"
    with pytest.raises(ActinitError, match=message.replace("?", "\\?").replace(".", "\\.")):
        spec.parse(text)


def test_off_by_default_and_in_the_schema():
    s = spec.parse("model: {depth: 2, width: 4}")
    assert s["analysis.jacobian.samples"] == 0
    run = runner.execute(s)
    assert run.spectrum is None and run.scalars == {}
    node = spec.json_schema()["properties"]["analysis"]["properties"]["jacobian"]["properties"]["samples"]
    assert node["default"] == 0 and node["minimum"] == 0


def test_a_run_writes_the_spectrum_and_checks_it(cli, tmp_path):
    path = tmp_path / "jac.yaml"
    path.write_text(SMALL + "checks:\n  - {quantity: jac_sv2_var_rel, max: 2}\n  - {quantity: jac_sv2_mean, min: 0.01}\n")
    out = tmp_path / "runs"
    r = cli("run", path, "--out", out, "--check")
    assert r.exit_code == 0, r.output
    assert "jacobian (3 inputs): sv^2 mean" in r.stdout and "(predicted" in r.stdout
    (d,) = (out / "jac").iterdir()
    rows = list(csv.DictReader((d / "spectrum.csv").open()))
    assert [int(row["sample"]) for row in rows] == [0, 1, 2] and tuple(rows[0]) == jacobian.COLUMNS
    values = list(csv.DictReader((d / "singular_values.csv").open()))
    assert len(values) == 3 * 32 and values[0]["rank"] == "1"
    assert float(rows[0]["sv_max"]) == float(values[0]["sv"])
    assert (d / "spectrum.png").read_bytes()[:4] == b"\x89PNG"
    doc = json.loads((d / "summary.json").read_text())
    assert set(doc["scalars"]) == {s.name for s in scalars.JACOBIAN} and "jacobian_seconds" in doc["timings"]
    assert rundir.load(d).scalars == doc["scalars"]  # a saved run is checked on the same numbers
    assert cli("check", d).exit_code == 0
    path.write_text(SMALL + "checks:\n  - {quantity: jac_sv2_var_rel, max: 1e-9}\n")
    r = cli("check", path, "--out", out)
    assert r.exit_code == 1 and "jac_sv2_var_rel" in r.stdout


def test_same_seed_same_bytes(cli, tmp_path):
    path = tmp_path / "jac.yaml"
    path.write_text(SMALL)
    for out in ("a", "b"):
        assert cli("run", path, "--out", tmp_path / out, "--no-plots", "--quiet").exit_code == 0
    (a,), (b,) = (tmp_path / "a" / "jac").iterdir(), (tmp_path / "b" / "jac").iterdir()
    for name in ("spectrum.csv", "singular_values.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes()


def test_an_overflowing_network_reports_nan_and_fails_its_gate(cli, tmp_path):
    """Overflow never crashes a run: the Jacobian's inf/NaN give NaN singular values, cells and scalars, written
    and read back as nan, and a gate on them fails saying so."""
    path = tmp_path / "ov.yaml"
    path.write_text("name: ov\nmodel: {depth: 40, width: 32, activation: relu, initializer: {name: random_normal, "
                    "stddev: 10}}\ndata: {batch_size: 16}\nanalysis: {jacobian: {samples: 2}}\n"
                    "checks:\n  - {quantity: jac_sv2_mean, max: 10}\n")
    r = cli("check", path, "--out", tmp_path / "runs")
    assert r.exit_code == 1 and "jac_sv2_mean is not finite" in r.stdout, r.output
    (d,) = (tmp_path / "runs" / "ov").iterdir()
    assert all(row["sv2_mean"] == "nan" for row in csv.DictReader((d / "spectrum.csv").open()))
    assert rundir.load(d).scalars["jac_sv2_mean"] != rundir.load(d).scalars["jac_sv2_mean"]  # NaN
    assert (d / "spectrum.png").is_file()


def test_no_prediction_for_non_square_layers_says_why():
    s = spec.parse("model: {depth: 3, width: 8, input_dim: 5}\ndata: {batch_size: 4}\nanalysis: {jacobian: {samples: 2}}")
    run = runner.execute(s)
    assert run.spectrum.values.shape == (2, 5)
    assert run.scalars["jac_sv2_mean"] > 0 and run.scalars["pred_jac_sv2_mean"] is None
    assert any("square weight matrices" in n for n in run.notes)


def test_a_network_of_blocks_is_measured_without_a_prediction():
    """Pre-LN residual ReLU blocks: the run's spectrum equals the VJP Jacobian of the same inputs."""
    s = spec.parse("model: {depth: 6, width: 16, activation: relu, initializer: he_normal, block: {residual: true, "
                   "norm: layer}}\ndata: {batch_size: 8}\nanalysis: {jacobian: {samples: 3}}")
    run = runner.execute(s)
    w_seq, d_seq = np.random.SeedSequence(0).spawn(2)  # the runner's streams of repeat 0 (seed 0)
    x = runner.inputs(s, np.random.default_rng(d_seq), np.dtype("float32"))[:3]
    expected = jacobian.singular_values(jacobian.through_blocks(blockrun.network(s, w_seq), x))
    assert run.spectrum.values.tobytes() == expected.tobytes() and run.scalars["jac_sv2_mean"] > 0
    assert run.scalars["pred_jac_sv2_mean"] is None and any("networks of blocks are measured only" in n for n in run.notes)


def tanh(init):
    """tanh at sigma_w^2 = 1, sigma_b^2 = 1e-6 (q* = 7.1e-4, chi_1 = 0.9986), inputs at about q*; width 512."""
    return spec.from_mapping({"model": {"depth": 16, "width": 512, "activation": "tanh", "initializer": init,
                                        "bias_initializer": {"name": "random_normal", "stddev": 0.001},
                                        "dtype": "float64"},
                              "data": {"batch_size": 8, "input": {"std": 0.03}}, "analysis": {"jacobian": {"samples": 8}}})


@pytest.mark.parametrize("init, mean_tol, var_tol, rel_tol", [
    # Tolerances are about 3 sd of measured / predicted over seeds 0-9 at this width and depth (one net each):
    # orthogonal: mean 1.0001 (sd 0.0005), variance 1.044 (sd 0.038; a finite-width excess of 4 %);
    # Gaussian: mean 0.995 (sd 0.046), variance 1.014 (sd 0.13), variance / mean^2 1.019 (sd 0.041).
    ("orthogonal", 0.01, 0.2, 0.2),
    (GAUSS, 0.15, 0.4, 0.15),
])
def test_tanh_measured_agrees_with_the_prediction(init, mean_tol, var_tol, rel_tol):
    sc = runner.execute(tanh(init)).scalars
    assert sc["jac_sv2_mean"] == pytest.approx(sc["pred_jac_sv2_mean"], rel=mean_tol)
    assert sc["jac_sv2_var"] == pytest.approx(sc["pred_jac_sv2_var"], rel=var_tol)
    assert sc["jac_sv2_var_rel"] == pytest.approx(sc["pred_jac_sv2_var_rel"], rel=rel_tol)


def test_orthogonal_and_gaussian_differ_only_in_the_spread():
    """The classic contrast: the same mean (chi_1^depth), a spread of about 1e-4 against the depth (16)."""
    ortho, gauss = (runner.execute(tanh(i)).scalars for i in ("orthogonal", GAUSS))
    assert ortho["pred_jac_sv2_mean"] == pytest.approx(gauss["pred_jac_sv2_mean"], rel=1e-12)
    assert ortho["pred_jac_sv2_var_rel"] < 1e-3 and gauss["pred_jac_sv2_var_rel"] == pytest.approx(16, rel=1e-3)
    assert ortho["jac_sv_spread"] < 0.05 < 5 < gauss["jac_sv_spread"]


def test_a_sweep_ranks_orthogonal_against_gaussian_in_points_csv(cli, tmp_path):
    """points.csv carries the jac_* columns (nn/scalars.py): orthogonal's spread beside Gaussian's, per point,
    with the linear network's closed forms predicted (0 and the depth)."""
    path = tmp_path / "s.yaml"
    path.write_text("name: g\nmodel: {depth: 8, width: 64, activation: identity}\ndata: {batch_size: 8}\n"
                    "analysis: {jacobian: {samples: 2}}\nsweep:\n  model.initializer: [orthogonal, lecun_normal]\n")
    assert cli("sweep", path, "--out", tmp_path, "--jobs", "1").exit_code == 0
    (folder,) = (tmp_path / "g").iterdir()
    rows = {r["initializer"]: r for r in csv.DictReader((folder / "points.csv").open())}
    assert float(rows["orthogonal"]["jac_sv2_var_rel"]) < 1e-6 < 2 < float(rows["lecun_normal"]["jac_sv2_var_rel"])
    assert float(rows["orthogonal"]["pred_jac_sv2_var_rel"]) == 0
    assert float(rows["lecun_normal"]["pred_jac_sv2_var_rel"]) == pytest.approx(8, rel=1e-12)
