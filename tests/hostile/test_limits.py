"""Inputs that can hang a command or eat the machine's memory: each runs as a real process with a 2 GiB
address-space limit and a deadline (so a regression fails here instead of taking the suite down), all of
them at once to keep the suite fast. Each must be refused cleanly (exit 2, one line, nothing written,
nothing on stdout) well within its deadline, except the documented maximum phase resolution, which may
also succeed."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from tests.hostile.commands import SPEC_COMMANDS, spec_for
from tests.hostile.harness import Box, actinit, clean_exit, describe, ids, refused

# "Billion laughs": nine levels of nine aliases, 9^9 = 387 million strings once expanded.
BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{k}: &{k} [{', '.join(['*' + p] * 9)}]\n" for p, k in zip("abcdefgh", "bcdefghi"))


def spec_file(command: str, content) -> callable:
    def make(box: Box) -> list:
        return SPEC_COMMANDS[command][0](box.file("spec.yaml", content), box)
    return make


def fifo(command: str) -> callable:
    def make(box: Box) -> list:
        os.mkfifo(box.root / "spec.yaml")
        return SPEC_COMMANDS[command][0](box.root / "spec.yaml", box)
    return make


def device(path: str) -> callable:
    return lambda box: SPEC_COMMANDS["run"][0](path, box)


def sample(fmt: str) -> callable:
    return lambda box: ["sample", "he_normal", "--shape", "16384", "16384", "--seed", "0", "--format", fmt]


def huge_sweep(values: int) -> callable:
    def make(box: Box) -> list:
        path = box.file("spec.yaml", yaml.safe_dump(spec_for("sweep", {"sweep": {"seed": list(range(values))}})))
        return SPEC_COMMANDS["sweep"][0](path, box)
    return make


# (id, builds the arguments in the case's Box, deadline in seconds, what the single line must match;
#  None: success is allowed too)
LIMITS = [
    *[(f"anchor bomb {c}", spec_file(c, BOMB), 15, r"spec\.yaml") for c in SPEC_COMMANDS],
    *[(f"fifo {c}", fifo(c), 10, r"spec\.yaml.*(regular|FIFO|fifo|pipe)") for c in SPEC_COMMANDS],
    ("/dev/null as the spec", device("/dev/null"), 10, r"/dev/null.*(regular|device)"),
    ("/dev/zero as the spec", device("/dev/zero"), 10, r"/dev/zero.*(regular|device)"),
    ("/dev/urandom as the spec", device("/dev/urandom"), 10, r"/dev/urandom.*(regular|device)"),
    ("sample 16384x16384 as json", sample("json"), 15, r"--shape|--format|GiB|size"),
    ("sample 16384x16384 as csv", sample("csv"), 15, r"--shape|--format|GiB|size"),
    ("sweep list of 100,000 values", huge_sweep(100_000), 20, r"--yes|values|points"),  # PyYAML parses it in ~6 s
    ("sweep list of 90,000 values", huge_sweep(90_000), 20, r"--yes|values|points"),
    ("phase at the documented maximum resolution",
     lambda box: ["phase", "tanh", "--points", "1000", "--out", box.out], 20, None),
]


def run_case(row: tuple, root: Path) -> tuple:
    box = Box(root)
    args = row[1](box)
    box.seal()
    return actinit(args, cwd=root, timeout=row[2]), box


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """Every case of LIMITS, run concurrently, by id."""
    roots = [tmp_path_factory.mktemp("limit") for _ in LIMITS]
    with ThreadPoolExecutor(max_workers=len(LIMITS)) as pool:
        done = list(pool.map(run_case, LIMITS, roots))
    return dict(zip(ids(LIMITS), done))


@pytest.mark.parametrize("case, make, deadline, match", LIMITS, ids=ids(LIMITS))
def test_refused_within_limits(outcomes, request, case, make, deadline, match):
    r, box = outcomes[request.node.callspec.id]
    assert r.exit_code is not None, f"still running after {deadline} s (hang or runaway memory): {describe(r)}"
    if match is None and r.exit_code == 0:
        clean_exit(r)
        assert r.stderr == "" and (box.out / "phase_tanh").is_dir(), describe(r)
        return
    refused(r, box, match or r".")
    assert r.stdout == "", describe(r)
