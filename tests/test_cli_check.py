"""`actinit check` and `actinit run --check`: exit codes 0/1/2, JUnit XML, JSON, re-checking a run
directory without recomputing, baselines and --strict."""

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from actinit_cli.run import runner

# Gates sized for a 12 x 256 net: its He slope wanders ~0.05 per layer (finite width), Xavier's is -1.
GATES = """checks:
  - {quantity: act_m2, relative_to: input, min: 0.1, max: 10}
  - {quantity: act_m2, slope_log2: {min: -0.25, max: 0.25}}
  - {quantity: nonfinite, max: 0}
"""


def spec_file(tmp_path, name, init, extra="", depth=12):
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"name: {name}\nmodel: {{depth: {depth}, width: 256, activation: relu, initializer: {init}}}\n"
                    f"data: {{batch_size: 256}}\nloss: random_projection\n{extra}{GATES}")
    return path


@pytest.fixture
def specs(tmp_path):
    return spec_file(tmp_path, "good", "he_normal"), spec_file(tmp_path, "bad", "glorot_normal")


def test_pass_fail_and_junit(cli, tmp_path, specs):
    good, bad = specs
    out = tmp_path / "runs"
    assert cli("check", good, "--out", out, "--no-plots").exit_code == 0
    report = tmp_path / "report.xml"
    r = cli("check", good, bad, "--out", out, "--no-plots", "--junit", report)
    assert r.exit_code == 1
    assert "FAIL" in r.stdout and "layer 4 is" in r.stdout  # 2^-4 < 0.1: the first layer outside the bound
    written = [line.split("run directory ")[1] for line in r.stdout.splitlines() if ": run directory " in line]
    assert len(written) == 2 and all((Path(d) / "summary.json").is_file() for d in written)
    root = ET.parse(report).getroot()
    cases = root.findall(".//testcase")
    suite_times = [float(s.get("time")) for s in root.findall("testsuite")]
    assert all(t > 0 for t in suite_times) and float(root.get("time")) == pytest.approx(sum(suite_times), abs=2e-3)
    assert len(cases) == 6 and root.get("failures") == "2"
    failed = [c for c in cases if c.find("failure") is not None]
    assert {c.get("classname") for c in failed} == {str(bad)}
    assert "below min 0.1" in failed[0].find("failure").get("message")


def test_json_results(cli, tmp_path, specs):
    doc = json.loads(cli("check", specs[1], "--out", tmp_path, "--no-plots", "--json").stdout)
    assert doc["passed"] is False
    assert [r["passed"] for r in doc["results"]] == [False, False, True]
    # The worst layer: the last hidden one (12) or the identity output (13), whose Xavier weights (sigma_w^2 = 1)
    # carry E[y^2] of layer 12 over unchanged in expectation; which of the two is lower is up to the draw.
    assert doc["results"][0]["layer"] in (12, 13)
    assert doc["results"][1]["value"] == pytest.approx(-1, abs=0.25)  # He et al.: -1, plus finite-width drift
    (target,) = doc["targets"]  # where the spec's run was written, and that it was run now
    assert target["target"] == str(specs[1]) and target["ran"] is True and target["seconds"] > 0
    assert (Path(target["run_dir"]) / "layers.csv").is_file() and Path(target["run_dir"]).parent.parent == tmp_path


def test_recheck_a_run_directory_without_recomputing(cli, tmp_path, specs, monkeypatch):
    out = tmp_path / "runs"
    run_dir = cli("run", specs[0], "--out", out, "--quiet", "--no-plots").stdout.strip()

    def no_compute(*args, **kwargs):
        raise AssertionError("a run directory must not be recomputed")

    monkeypatch.setattr(runner, "execute", no_compute)
    r = cli("check", run_dir)
    assert r.exit_code == 0, r.output


def test_run_with_check(cli, tmp_path, specs):
    assert cli("run", specs[0], "--out", tmp_path, "--no-plots", "--check").exit_code == 0
    r = cli("run", specs[1], "--out", tmp_path, "--no-plots", "--check")
    assert r.exit_code == 1 and "FAIL" in r.stdout


def test_baseline_compare_and_update(cli, tmp_path, specs):
    good, _ = specs
    base = tmp_path / "baseline"
    r = cli("check", good, "--out", tmp_path / "runs", "--no-plots", "--baseline", base, "--update-baseline")
    assert r.exit_code == 0 and (base / "layers.csv").is_file()
    assert cli("check", good, "--out", tmp_path / "runs", "--no-plots", "--baseline", base).exit_code == 0
    twice = spec_file(tmp_path, "good", "{name: variance_scaling, scale: 4.0}")  # doubles every layer's m2
    r = cli("check", twice, "--out", tmp_path / "runs", "--no-plots", "--baseline", base, "--tolerance", "1.0")
    assert r.exit_code == 1 and "baseline act_m2" in r.stdout
    deeper = spec_file(tmp_path, "deeper", "he_normal", depth=13)
    r = cli("check", deeper, "--out", tmp_path / "runs", "--no-plots", "--baseline", base)
    assert r.exit_code == 2 and "compare like with like" in r.stderr


def test_strict_needs_every_repeat(cli, tmp_path):
    """A bound between the worst layer of the mean over repeats and the worst layer of the worst repeat: the
    mean passes, --strict fails and names the repeat. The bound is read off a first run of the same seed."""
    import csv

    def spec(bound):
        path = tmp_path / "rep.yaml"
        path.write_text("name: rep\nmodel: {depth: 4, width: 8, activation: relu, initializer: he_normal}\n"
                        f"data: {{batch_size: 4}}\nrepeats: 4\nchecks:\n  - {{quantity: dead_frac, max: {bound}}}\n")
        return path

    first = Path(cli("run", spec(1.0), "--out", tmp_path / "a", "--quiet", "--no-plots").stdout.strip())
    mean_worst = max(float(r["dead_frac"]) for r in csv.DictReader(open(first / "layers.csv")) if r["dead_frac"])
    reps = [r for r in csv.DictReader(open(first / "layers_repeats.csv")) if r["dead_frac"]]
    repeat_worst = max(float(r["dead_frac"]) for r in reps)
    assert repeat_worst > mean_worst  # narrow nets: the repeats differ, the mean smooths them
    run_dir = cli("run", spec((mean_worst + repeat_worst) / 2), "--out", tmp_path / "b", "--quiet", "--no-plots")
    mean = cli("check", run_dir.stdout.strip(), "--json")
    strict = cli("check", run_dir.stdout.strip(), "--json", "--strict")
    assert mean.exit_code == 0 and json.loads(mean.stdout)["passed"] is True
    assert strict.exit_code == 1 and "repeat" in json.loads(strict.stdout)["results"][0]["message"]


@pytest.mark.parametrize("setup, message", [
    (lambda p: p.write_text("model: {depth: 2, width: 8}\n"), "has no checks"),
    (lambda p: p.write_text("checks: [{quantity: act_m3, max: 1}]\n"), "did you mean 'act_m2'"),
    (lambda p: p.write_text("checks: [{quantity: dead_frac, relative_to: input, max: 1}]\n"), "makes no sense"),
    (lambda p: p.write_text("checks: [{quantity: act_m2, min: 3, max: 1}]\n"), "swap them"),
])
def test_bad_input_exits_2(cli, tmp_path, setup, message):
    path = tmp_path / "s.yaml"
    setup(path)
    r = cli("check", path, "--out", tmp_path / "runs", "--no-plots")
    assert r.exit_code == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_incomplete_or_incompatible_run_directory(cli, tmp_path, specs):
    empty = tmp_path / "empty"
    empty.mkdir()
    r = cli("check", empty)
    assert r.exit_code == 2 and "not a complete run directory" in r.stderr
    run_dir = Path(cli("run", specs[0], "--out", tmp_path / "runs", "--quiet", "--no-plots").stdout.strip())
    doc = json.loads((run_dir / "summary.json").read_text())
    doc["format_version"] = 999
    (run_dir / "summary.json").write_text(json.dumps(doc))
    r = cli("check", run_dir)
    assert r.exit_code == 2 and "incompatible" in r.stderr
