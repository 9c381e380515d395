"""Report files: CSV cells, JSON safety, titles, the output-root check and the whole-or-nothing directory."""

import math
import os

import numpy as np
import pytest

from actinit_cli.nn import activations, initializers
from actinit_cli.run import report
from actinit_cli.errors import ActinitError


@pytest.mark.parametrize("value, text", [
    (None, ""), (0.1, "0.1"), (np.float64(0.25), "0.25"), (float("nan"), "nan"), (float("inf"), "inf"),
    (-float("inf"), "-inf"), (3, "3"), (1e-300, "1e-300"),
])
def test_cells_round_trip(value, text):
    assert report.cell(value) == text
    if isinstance(value, float) and math.isfinite(value):
        assert float(text) == value


def test_json_safe_turns_nonfinite_into_strings():
    assert report.json_safe({"a": [1.0, float("nan")], "b": (float("-inf"),)}) == {"a": [1.0, "nan"], "b": ["-inf"]}


def test_short_names_keep_only_changed_parameters():
    assert report.short_name({"name": "leaky_relu", "negative_slope": 0.01}, activations.REGISTRY) == "leaky_relu"
    assert report.short_name({"name": "leaky_relu", "negative_slope": 0.2}, activations.REGISTRY) == \
        "leaky_relu(negative_slope=0.2)"
    assert report.short_name({"name": "identity", "gain": 2.0}, initializers.REGISTRY) == "identity(gain=2.0)"


def test_check_out(tmp_path):
    report.check_out(tmp_path / "new" / "deeper")  # creatable: fine, and nothing is created
    assert not (tmp_path / "new").exists()
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ActinitError, match="is not a directory"):
        report.check_out(blocker / "runs")


def test_atomic_dir_appears_whole_or_not_at_all(tmp_path):
    def fill(folder, run_id, created):
        (folder / "a.txt").write_text(run_id)

    done = report.atomic_dir(tmp_path, "x", fill)
    assert (done / "a.txt").read_text() == done.name and not done.name.startswith(".")

    def broken(folder, run_id, created):
        (folder / "a.txt").write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        report.atomic_dir(tmp_path, "y", broken)
    assert not (tmp_path / "y").exists()
    with pytest.raises(RuntimeError):
        report.atomic_dir(tmp_path, "x", broken)
    assert sorted(os.listdir(tmp_path / "x")) == [done.name]  # the earlier run stays; no partial folder
