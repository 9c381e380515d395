"""Reading run directories back: the saved rows equal the computed ones; damaged ones are refused."""

import json

import pytest

from actinit_cli.run import report, rundir, runner, spec
from actinit_cli.errors import ActinitError


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    s = spec.parse("name: r\nmodel: {depth: 3, width: 16}\ndata: {batch_size: 16}\nrepeats: 2")
    run = runner.execute(s)
    return run, report.write(run, tmp_path_factory.mktemp("runs"), plots=False)


def cut_lines(path, edit):
    lines = path.read_text().splitlines()
    path.write_text("\n".join(edit(lines)) + "\n")


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
