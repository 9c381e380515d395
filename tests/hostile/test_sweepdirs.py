"""Damaged sweep directories given to `actinit sweep SPEC --resume`. A damaged plan (sweep.yaml) or a points/ that
is not a folder is refused before any point runs (exit 2, one line naming the file). A damaged point (its newest
run directory unreadable) runs again into a new run directory, the damaged one left in place and named in one
`note:` line, and the sweep completes; so does a damaged summary.json of the sweep itself.
Generated: sweep.yaml cut at any byte."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actinit_cli.run import rundir
from tests.hostile import damage
from tests.hostile.harness import SMALL, Box, clean_exit, describe, fresh_box, generated, ids, merged, refused

SWEEP = merged(SMALL, {"sweep": {"model.depth": [2, 3]}})


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """An unfinished sweep of two points (both run, summary.json not yet written, as after a late Ctrl-C)."""
    from typer.testing import CliRunner

    from actinit_cli.cli import app

    root = tmp_path_factory.mktemp("sweep")
    (root / "spec.yaml").write_text(json.dumps(SWEEP))
    r = CliRunner().invoke(app, ["sweep", str(root / "spec.yaml"), "--out", str(root / "out"), "--jobs", "1"])
    assert r.exit_code == 0, r.output
    folder = next((root / "out" / "h").iterdir())
    (folder / "summary.json").unlink()
    return folder


def damaged_copy(box: Box, source: Path, harm) -> Path:
    """A copy of the sweep under the box's --out, damaged by `harm(sweep folder)`, and the spec beside it."""
    folder = box.out / "h" / source.name
    shutil.copytree(source, folder)
    harm(folder)
    box.file("spec.yaml", SWEEP)
    return folder


def resume(cli, box: Box):
    return cli("sweep", "spec.yaml", "--out", box.out, "--jobs", "1", "--resume")


def resume_refused(cli, box: Box, match: str) -> None:
    """Refused, with nothing written: the --out probe (run/files.check_out) creates and removes one file in --out,
    which changes nothing but the folder's modification time, so that is put back before comparing."""
    box.seal()
    before = box.out.stat()
    r = resume(cli, box)
    os.utime(box.out, ns=(before.st_atime_ns, before.st_mtime_ns))
    refused(r, box, match)


def point(harm, label: str = "depth=2"):
    """Apply `harm` to the run directory of one point instead of the sweep folder."""
    return lambda folder: harm(next((folder / "points" / label).iterdir()))


def points_a_file(folder: Path) -> None:
    shutil.rmtree(folder / "points")
    (folder / "points").write_text("")


def point_a_file(folder: Path) -> None:
    shutil.rmtree(folder / "points" / "depth=3")
    (folder / "points" / "depth=3").write_text("")


PLAN = r"sweep\.yaml"
REFUSED = [
    ("sweep.yaml not YAML", damage.text("sweep.yaml", "garbage: ["), PLAN),
    ("sweep.yaml an unclosed quote", damage.text("sweep.yaml", "base: {name: 'h\n"), PLAN),
    ("sweep.yaml a tab", damage.text("sweep.yaml", "base:\n\t- 1\n"), PLAN),
    ("sweep.yaml not UTF-8", damage.text("sweep.yaml", b"\xff\xfe\x00\x01binary"), PLAN),
    ("sweep.yaml a NUL byte", damage.text("sweep.yaml", b"base: \x00\n"), PLAN),
    ("sweep.yaml cut short", damage.cut("sweep.yaml", 0.3), PLAN),
    ("sweep.yaml empty mapping", damage.text("sweep.yaml", "{}"), PLAN),
    ("sweep.yaml a list", damage.text("sweep.yaml", "[1, 2]"), PLAN),
    ("sweep.yaml empty", damage.text("sweep.yaml", ""), PLAN),
    ("sweep.yaml a folder", damage.replace_by_folder("sweep.yaml"), PLAN),
    ("sweep.yaml nested too deep", damage.text("sweep.yaml", "[" * 5000 + "]" * 5000), PLAN),
    ("points is a file", points_a_file, r"/points is not a folder"),
    ("a point's folder is a file", point_a_file, r"points/depth=3 is not a folder"),
]


@pytest.mark.parametrize("case, harm, match", REFUSED, ids=ids(REFUSED))
def test_damaged_sweep_directory(cli, box, saved, case, harm, match):
    damaged_copy(box, saved, harm)
    resume_refused(cli, box, match)


@generated(15)
@given(st.data())
def test_generated_plan_cut_at_any_byte(cli, saved, data):
    text = (saved / "sweep.yaml").read_bytes()
    cut = data.draw(st.integers(0, len(text.rstrip()) - 1), label="cut at byte")
    with fresh_box() as box:
        damaged_copy(box, saved, lambda f: (f / "sweep.yaml").write_bytes(text[:cut]))
        resume_refused(cli, box, PLAN)


SUMMARY = "summary.json"
RESUMED = [  # (id, harm, whether a point is run again)
    ("a point's summary.json empty", point(damage.text(SUMMARY, "")), True),
    ("a point's summary.json not JSON", point(damage.text(SUMMARY, "{garbage")), True),
    ("a point's summary.json a list", point(damage.summary([])), True),
    ("a point's summary.json nested too deep", point(damage.text(SUMMARY, "[" * 100_000 + "]" * 100_000)), True),
    ("a point's summary.json without timings", point(damage.without("timings")), True),
    ("a point's summary.json missing", point(damage.remove(SUMMARY)), True),
    ("a point's layers.csv cut", point(damage.cut("layers.csv", 0.5)), True),
    ("a point's layers.csv a folder", point(damage.replace_by_folder("layers.csv")), True),
    ("the sweep's summary.json empty", damage.text(SUMMARY, ""), False),
    ("the sweep's summary.json a list", damage.text(SUMMARY, "[1]"), False),
    ("the sweep's summary.json not UTF-8", damage.text(SUMMARY, b"\xff\xfe"), False),
]


@pytest.mark.parametrize("case, harm, again", RESUMED, ids=ids(RESUMED))
def test_resume_runs_a_damaged_point_again(cli, box, saved, case, harm, again):
    folder = damaged_copy(box, saved, harm)
    before = sorted((folder / "points" / "depth=2").iterdir())
    r = resume(cli, box)
    clean_exit(r)
    assert r.exit_code == 0, describe(r)
    after = sorted((folder / "points" / "depth=2").iterdir())
    assert after[:len(before)] == before  # the damaged run directory is left in place
    assert len(after) == len(before) + again and rundir.is_run_dir(after[-1])
    notes = r.stderr.splitlines()
    assert len(notes) == again, describe(r)
    if again:
        assert notes[0].startswith("note: ") and str(before[0]) in notes[0] and "depth=2" in notes[0], notes
    assert len(list((folder / "points" / "depth=3").iterdir())) == 1  # the intact point is not run again
    doc = json.loads((folder / SUMMARY).read_text())
    assert doc["points"] == 2 and doc["failed"] == 0
    assert str(after[-1]) in (folder / "points.csv").read_text()


def test_resume_with_json_keeps_the_note_off_stdout(cli, box, saved):
    """--json: stdout is the sweep's summary.json alone, the note about the damaged point is on stderr."""
    folder = damaged_copy(box, saved, point(damage.text(SUMMARY, "")))
    r = cli("sweep", "spec.yaml", "--out", box.out, "--jobs", "1", "--resume", "--json")
    clean_exit(r)
    assert r.exit_code == 0, describe(r)
    assert json.loads(r.stdout) == json.loads((folder / SUMMARY).read_text())
    assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith("note: "), describe(r)


def test_resume_leaves_a_users_own_folder_in_a_point_alone(cli, box, saved):
    """Only folders named as run directories are runs: a user's 'backup' beside a point's run (sorting after it)
    was taken for its newest, damaged run, and the point ran again at every --resume (a review)."""
    def harm(folder: Path) -> None:
        (folder / "points" / "depth=2" / "backup").mkdir()
        (folder / SUMMARY).write_text("")  # unfinished, so --resume goes on

    folder = damaged_copy(box, saved, harm)
    before = sorted((folder / "points" / "depth=2").iterdir())
    r = resume(cli, box)
    clean_exit(r)
    assert r.exit_code == 0 and r.stderr == "", describe(r)
    assert sorted((folder / "points" / "depth=2").iterdir()) == before  # nothing run again
