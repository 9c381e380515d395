"""Damaged run directories given to `actinit check DIR` and as `--baseline DIR`: summary.json of the wrong
shape, layers.csv cut, reordered or missing a column, layers_repeats.csv of a repeated run damaged. Each is
refused (exit 2, one line naming the file) before anything runs: with --baseline, the spec is not run.
Generated: layers.csv cut at any byte inside its last row, any column removed, any reordering of rows."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from actinit_cli.cli import app
from tests.hostile import damage
from tests.hostile.harness import CHECKS, SMALL, Box, fresh_box, generated, ids, merged, refused

GOOD = merged(SMALL, {"checks": CHECKS})


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> dict[int, Path]:
    """A run directory of the small spec, with 1 and with 2 repeats, by number of repeats."""
    root = tmp_path_factory.mktemp("saved")
    dirs = {}
    for repeats in (1, 2):
        spec = root / f"r{repeats}.yaml"
        spec.write_text(json.dumps(merged(GOOD, {"repeats": repeats})))
        r = CliRunner().invoke(app, ["run", str(spec), "--out", str(root / f"out{repeats}"), "--quiet", "--no-plots"])
        assert r.exit_code == 0, r.output
        dirs[repeats] = Path(r.stdout.strip())
    return dirs


def damaged_copy(box: Box, source: Path, harm) -> Path:
    """A copy of the run directory in the box, damaged by `harm(folder)`; also the spec a baseline check runs."""
    folder = box.root / "damaged"
    shutil.copytree(source, folder)
    harm(folder)
    box.file("good.yaml", merged(GOOD, {"repeats": 2 if (source / "layers_repeats.csv").exists() else 1}))
    return folder


def check(cli, box: Box, mode: str, folder: Path):
    box.seal()
    if mode == "check DIR":
        return cli("check", folder, "--out", box.out, "--junit", box.root / "r.xml")
    return cli("check", "good.yaml", "--baseline", folder, "--out", box.out, "--no-plots")


MODES = ["check DIR", "--baseline DIR"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case, harm, match", damage.ONE_REPEAT, ids=ids(damage.ONE_REPEAT))
def test_damaged_run_directory(cli, box, saved, mode, case, harm, match):
    folder = damaged_copy(box, saved[1], harm)
    refused(check(cli, box, mode, folder), box, match)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case, harm, match", damage.TWO_REPEATS, ids=ids(damage.TWO_REPEATS))
def test_damaged_repeats(cli, box, saved, mode, case, harm, match):
    folder = damaged_copy(box, saved[2], harm)
    refused(check(cli, box, mode, folder), box, match)


@generated(25)
@given(st.data())
def test_generated_cut_inside_the_last_row(cli, saved, data):
    text = (saved[1] / "layers.csv").read_text()
    last_row = text.rstrip("\n").rfind("\n") + 1
    cut = data.draw(st.integers(last_row, text.rstrip("\n").rfind(",")), label="cut at byte")
    mode = data.draw(st.sampled_from(MODES), label="mode")
    with fresh_box() as box:
        folder = damaged_copy(box, saved[1], lambda f: (f / "layers.csv").write_text(text[:cut]))
        refused(check(cli, box, mode, folder), box, r"layers\.csv")


@generated(25)
@given(st.data())
def test_generated_column_removed(cli, saved, data):
    columns = damage.header(saved[1] / "layers.csv")
    column = data.draw(st.sampled_from(columns), label="column")
    mode = data.draw(st.sampled_from(MODES), label="mode")
    with fresh_box() as box:
        folder = damaged_copy(box, saved[1], lambda f: damage.drop_column(f / "layers.csv", column))
        refused(check(cli, box, mode, folder), box, r"layers\.csv")


@generated(20)
@given(st.permutations(range(4)).filter(lambda p: list(p) != sorted(p)), st.sampled_from(MODES))
def test_generated_rows_reordered(cli, saved, order, mode):
    with fresh_box() as box:
        folder = damaged_copy(box, saved[1], lambda f: damage.reorder(f / "layers.csv", order))
        refused(check(cli, box, mode, folder), box, r"layers\.csv")
