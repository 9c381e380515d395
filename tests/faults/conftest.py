"""Fixtures of the fault tests: real processes that never outlive their test, and a small tmpfs (a full disk)
that is always unmounted."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.faults.procs import Proc


@pytest.fixture
def spawn():
    """spawn(args, cwd) -> a running Proc; every process of its session is killed at teardown."""
    started: list[Proc] = []

    def start(args: list, cwd: Path) -> Proc:
        started.append(Proc([str(a) for a in args], Path(cwd)))
        return started[-1]

    yield start
    for proc in started:
        proc.finish()


@pytest.fixture
def tmpfs(tmp_path):
    """mount(size) -> a folder on a fresh tmpfs of that size (e.g. '2m'); skipped where mounting is not allowed."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        where = tmp_path / f"disk{len(mounted)}"
        where.mkdir()
        if os.geteuid() != 0:
            pytest.skip("a full disk needs a tmpfs, and mounting one needs root")
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(where)
        return where

    yield mount
    for where in mounted:
        if subprocess.run(["umount", str(where)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(where)], capture_output=True)
