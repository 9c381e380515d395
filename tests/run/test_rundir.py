"""The run directory: CSV cells, JSON safety, the output-root check, the whole-or-nothing directory, and
reading back (the saved rows equal the computed ones; damaged ones are refused)."""

import json
import math
import os

import numpy as np
import pytest

from actinit_cli.nn import columns

from actinit_cli.run import files, report, rundir, runner, spec
from actinit_cli.errors import ActinitError


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    s = spec.parse("name: r\nmodel: {depth: 3, width: 16}\ndata: {batch_size: 16}\nrepeats: 2")
    run = runner.execute(s)
    return run, report.write(run, tmp_path_factory.mktemp("runs"), plots=False)


def cut_lines(path, edit):
    lines = path.read_text().splitlines()
    path.write_text("\n".join(edit(lines)) + "\n")


def edit_summary(path, **changes):
    doc = json.loads((path / "summary.json").read_text())
    (path / "summary.json").write_text(json.dumps({**doc, **changes}))


def test_run_level_quantities_round_trip(tmp_path, saved):
    """summary.json's scalars are read back as numbers (null stays None) and reach a run-level check."""
    import shutil

    from actinit_cli.gates import verdict

    copy = tmp_path / "copy"
    shutil.copytree(saved[1], copy)
    assert rundir.load(copy).scalars == {}  # a plain run: the rows give every run-level quantity
    edit_summary(copy, scalars={"act_m2_slope_log2": 7, "grad_m2_slope_log2": None})
    back = rundir.load(copy)
    assert back.scalars == {"act_m2_slope_log2": 7.0, "grad_m2_slope_log2": None}
    check = {"name": None, "quantity": "act_m2_slope_log2", "relative_to": None, "min": None, "max": 5,
             "slope_log2": None, "layers": "run"}
    r = verdict.evaluate(check, back.rows, back.spec.resolved["model"], "t", back.scalars)
    assert not r.passed and r.value == 7.0 and "above max 5" in r.message


def test_round_trip(saved):
    run, path = saved
    back = rundir.load(path)
    assert back.spec.resolved == run.spec.resolved
    for got, want in zip(back.rows, run.rows):
        for key, value in want.items():
            assert got[key] == (pytest.approx(value, rel=1e-15) if isinstance(value, float) else value), key
    assert len(back.per_repeat) == 2 and back.per_repeat[1][2]["act_m2"] == pytest.approx(run.per_repeat[1][2]["act_m2"])


@pytest.mark.parametrize("damage, message", [
    (lambda p: (p / "layers.csv").unlink(), "missing layers.csv"),
    (lambda p: (p / "summary.json").write_text("{"), "unreadable run directory"),
    (lambda p: (p / "layers.csv").write_text("layer,width\n0,16\n"), "damaged"),
    (lambda p: (p / "summary.json").write_text(json.dumps({"format_version": 0})), "incompatible"),
    (lambda p: cut_lines(p / "layers.csv", lambda lines: lines[:3] + lines[4:]), "damaged"),  # a row removed
    (lambda p: cut_lines(p / "layers.csv", lambda lines: [lines[0], lines[2], lines[1]] + lines[3:]), "damaged"),
    (lambda p: cut_lines(p / "layers.csv", lambda lines: [lines[0]] + [",".join([""] + l.split(",")[1:])
                                                                       for l in lines[1:]]), "damaged"),
    (lambda p: edit_summary(p, scalars=[1, 2]), "scalars is not a mapping"),
    (lambda p: edit_summary(p, scalars={"no_such_quantity": 1.0}), "scalars is not a mapping"),
    (lambda p: edit_summary(p, scalars={"act_m2_slope_log2": "big"}), "scalars is not a mapping"),
    (lambda p: (p / "layers_repeats.csv").unlink(), "layers_repeats.csv: missing or damaged"),
    (lambda p: cut_lines(p / "layers_repeats.csv", lambda lines: [",".join(l.split(",")[1:]) for l in lines]),
     "layers_repeats.csv: missing or damaged"),
])
def test_damaged_directories_are_refused(tmp_path, saved, damage, message):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(saved[1], copy)
    damage(copy)
    with pytest.raises(ActinitError, match=message):
        rundir.load(copy)


@pytest.mark.parametrize("value, text", [
    (None, ""), (0.1, "0.1"), (np.float64(0.25), "0.25"), (float("nan"), "nan"), (float("inf"), "inf"),
    (-float("inf"), "-inf"), (3, "3"), (1e-300, "1e-300"),
])
def test_cells_round_trip(value, text):
    assert rundir.cell(value) == text
    if isinstance(value, float) and math.isfinite(value):
        assert float(text) == value


def test_json_safe_turns_nonfinite_into_strings():
    assert rundir.json_safe({"a": [1.0, float("nan")], "b": (float("-inf"),)}) == {"a": [1.0, "nan"], "b": ["-inf"]}


def test_check_out(tmp_path):
    files.check_out(tmp_path / "new" / "deeper")  # creatable: fine, and nothing is created
    assert not (tmp_path / "new").exists()
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ActinitError, match="is not a directory"):
        files.check_out(blocker / "runs")


def test_atomic_dir_appears_whole_or_not_at_all(tmp_path):
    def fill(folder, run_id, created):
        (folder / "a.txt").write_text(run_id)

    done = rundir.atomic_dir(tmp_path, "x", fill)
    assert (done / "a.txt").read_text() == done.name and not done.name.startswith(".")

    def broken(folder, run_id, created):
        (folder / "a.txt").write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        rundir.atomic_dir(tmp_path, "y", broken)
    assert not (tmp_path / "y").exists()
    with pytest.raises(RuntimeError):
        rundir.atomic_dir(tmp_path, "x", broken)
    assert sorted(os.listdir(tmp_path / "x")) == [done.name]  # the earlier run stays; no partial folder


def test_format_version_follows_the_columns():
    """A new layers.csv column must come with a new FORMAT_VERSION (older run directories are then refused
    as 'incompatible', not misread as 'damaged')."""
    assert columns.digest() == rundir.COLUMNS_DIGEST, (
        f"layers.csv's columns changed: bump rundir.FORMAT_VERSION and set COLUMNS_DIGEST = {columns.digest()!r}")
