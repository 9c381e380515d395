"""The CI gate: targets planned and validated before anything runs, sweep specs skipped, --strict."""

import pytest

from actinit_cli.gates import gate
from actinit_cli.run import report, runner, spec
from actinit_cli.errors import ActinitError

GATED = "name: g\nmodel: {depth: 3, width: 16}\ndata: {batch_size: 8}\nchecks: [{quantity: nonfinite, max: 0}]\n"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_nothing_runs_when_any_target_is_bad(tmp_path, monkeypatch):
    def no_compute(*args, **kwargs):
        raise AssertionError("ran before validating every target")

    monkeypatch.setattr(runner, "execute", no_compute)
    good = write(tmp_path, "good.yaml", GATED)
    for bad, message in [("model:\n  depht: 3\n", "did you mean 'depth'"),
                         ("model: {depth: 2, width: 8}\n", "has no checks")]:
        with pytest.raises(ActinitError, match=message):
            gate.gate([good, write(tmp_path, "bad.yaml", bad)], tmp_path / "runs")


def test_sweep_specs_are_skipped_with_a_notice(tmp_path):
    good = write(tmp_path, "good.yaml", GATED)
    sweep = write(tmp_path, "sweep.yaml", GATED + "sweep:\n  model.depth: [2, 3]\n")
    targets, results, skipped = gate.gate([good, sweep], tmp_path / "runs", plots=False)
    assert len(targets) == 1 and results[0].passed and skipped == [f"skipped {sweep}: a sweep spec (run it with "
                                                                      f"actinit sweep)"]


def test_baseline_of_another_shape_is_refused_before_running(tmp_path, monkeypatch):
    base = report.write(runner.execute(spec.parse(GATED)), tmp_path / "runs", plots=False)
    monkeypatch.setattr(runner, "execute", lambda *a, **k: (_ for _ in ()).throw(AssertionError("ran")))
    deeper = write(tmp_path, "deeper.yaml", GATED.replace("depth: 3", "depth: 4"))
    with pytest.raises(ActinitError, match="compare like with like"):
        gate.gate([deeper], tmp_path / "runs", baseline=base)


def test_strict_reports_the_failing_repeat(tmp_path):
    from tests.run.test_checks import rows

    s = spec.parse("name: s\nmodel: {depth: 2, width: 8}\nrepeats: 2\nchecks: [{quantity: act_m2, max: 2}]\n")
    good, bad = rows([1, 1, 1, 1]), rows([1, 1, 3, 1])  # the mean of layer 2 (2.0) meets the bound exactly
    mean = rows([1, 1, 2, 1])
    target = gate.Target("s", tmp_path, s, mean, [good, bad])
    assert gate.evaluate(target)[0].passed
    strict = gate.evaluate(target, strict=True)[0]
    assert not strict.passed and strict.message.startswith("repeat 1: layer 2 is 3, above max 2")
