"""A full disk (a 2 MiB tmpfs, filled to leave a given amount free) under `run`, `phase`, `sample --output` and
a sweep's heatmaps: exit 2 with one line naming the destination, no traceback, nothing half-written (no
`.partial-*`, no hidden temporary file, every file left is whole)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.faults.procs import incomplete_run_dirs, partials
from tests.faults.test_signals import SWEEP_SPEC
from tests.hostile.harness import clean_exit, describe, one_line

PAGE = 4096
SMALL_RUN = "name: f\nmodel: {depth: 4, width: 32, activation: tanh}\ndata: {batch_size: 32}\n"
PNG_END = b"IEND\xaeB`\x82"


def fill(disk: Path, leave: int) -> None:
    """Fill the tmpfs so that about `leave` bytes stay free."""
    st = os.statvfs(disk)
    free = st.f_bavail * st.f_frsize
    with open(disk / "filler", "wb") as f:
        f.write(b"\0" * max(0, free - leave))


def assert_whole(folder: Path) -> None:
    """No hidden temporary file or .partial-* folder; every PNG ends with its IEND chunk, every JSON parses."""
    hidden = [p for p in folder.rglob(".*")]
    assert not hidden, f"left behind: {hidden}"
    for png in folder.rglob("*.png"):
        assert png.read_bytes().endswith(PNG_END), f"{png} is cut short"
    for doc in folder.rglob("*.json"):
        json.loads(doc.read_text())


def assert_refused(r, where: str) -> None:
    """Exit 2, one line naming `where`, no traceback."""
    clean_exit(r)
    assert r.exit_code == 2, describe(r)
    assert where in one_line(r), describe(r)


@pytest.mark.parametrize("leave", [0, 8 * 1024, 64 * 1024, 160 * 1024])
def test_run(cli, tmp_path, tmpfs, leave):
    disk = tmpfs("2m")
    spec = tmp_path / "spec.yaml"
    spec.write_text(SMALL_RUN)
    fill(disk, leave)
    r = cli("run", spec, "--out", disk / "out")
    assert_refused(r, "--out")
    assert partials(disk) == [] and incomplete_run_dirs(disk / "out") == []
    assert_whole(disk)


@pytest.mark.parametrize("leave", [0, 48 * 1024, 120 * 1024])  # nothing fits; the CSV fails; the PNG fails
def test_phase(cli, tmpfs, leave):
    disk = tmpfs("2m")
    fill(disk, leave)
    r = cli("phase", "tanh", "--points", "30", "--out", disk / "out")
    assert_refused(r, "--out")
    assert partials(disk) == []
    assert_whole(disk)


@pytest.mark.parametrize("fmt", ["npy", "csv", "json", "text"])
def test_sample_output(cli, tmpfs, fmt):
    disk = tmpfs("2m")
    fill(disk, 64 * 1024)
    r = cli("sample", "he_normal", "--shape", "300", "300", "--seed", "0", "--format", fmt, "--output", disk / "w")
    if fmt == "text":  # a short summary: it fits, and is written whole
        assert r.exit_code == 0, r.output
    else:
        assert_refused(r, "--output")
        assert not (disk / "w").exists()
    assert_whole(disk)


def pages(folder: Path, skip: tuple[str, ...]) -> int:
    """Bytes a tmpfs needs for every file under folder except those named in `skip` (whole pages each)."""
    return sum(-(-p.stat().st_size // PAGE) * PAGE for p in folder.rglob("*") if p.is_file() and p.name not in skip)


def test_sweep_heatmaps(cli, tmp_path, tmpfs):
    """Room for the points, points.csv and recommendations.md, but not for the heatmaps."""
    (tmp_path / "spec.yaml").write_text(SWEEP_SPEC)
    rehearsal = tmp_path / "rehearsal"
    assert cli("sweep", tmp_path / "spec.yaml", "--out", rehearsal, "--jobs", "2").exit_code == 0
    need = pages(rehearsal, ("heatmap_activations.png", "heatmap_gradients.png", "summary.json"))
    shutil.rmtree(rehearsal)
    disk = tmpfs("2m")
    fill(disk, need + 4 * PAGE)
    r = cli("sweep", tmp_path / "spec.yaml", "--out", disk / "out", "--jobs", "2")
    assert_refused(r, "--out")
    folder = next((disk / "out" / "sw").iterdir())
    assert (folder / "points.csv").is_file(), "the disk filled before the heatmaps: the rehearsal's sizes are off"
    assert not (folder / "summary.json").exists(), "summary.json marks a finished sweep"
    assert_whole(folder)
