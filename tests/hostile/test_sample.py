"""`actinit sample`: bad shapes, seeds, dtypes, formats, --param pairs and --output destinations, each refused
with one line and no file (not even a temporary one beside the destination); plus generated shapes with a
size <= 0 and generated parameter names the initializer does not take."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actinit_cli.nn import initializers
from tests.hostile.harness import fresh_box, generated, ids, refused

BASE = ["sample", "he_normal", "--seed", "0"]

BAD = [
    ("no shape", [], r"--shape"),
    ("shape 0", ["--shape", "0"], r"shape"),
    ("shape -1", ["--shape", "-1"], r"shape"),
    ("shape 9 0", ["--shape", "9", "0"], r"shape"),
    ("shape 3 -3", ["--shape", "3", "-3"], r"shape"),
    ("shape of text", ["--shape", "nine"], r"--shape|nine"),
    ("shape 2.5", ["--shape", "2.5"], r"--shape|2\.5"),
    ("shape 1e3", ["--shape", "1e3"], r"--shape|1e3"),
    ("shape beyond the element limit", ["--shape", "32768", "16384"], r"shape"),
    ("shape beyond int64", ["--shape", str(2**64), "2"], r"shape"),
    ("shape of 40 dimensions of 2", ["--shape", *["2"] * 40], r"shape"),
    ("shape of 100 dimensions of 1", ["--shape", *["1"] * 100], r"shape.*dimensions"),
    ("seed -1", ["--shape", "3", "--seed", "-1"], r"--seed"),
    ("seed text", ["--shape", "3", "--seed", "x"], r"--seed"),
    ("seed 1.5", ["--shape", "3", "--seed", "1.5"], r"--seed"),
    ("dtype float16", ["--shape", "3", "--dtype", "float16"], r"--dtype|float16"),
    ("dtype int32", ["--shape", "3", "--dtype", "int32"], r"--dtype|int32"),
    ("format xml", ["--shape", "3", "--format", "xml"], r"--format|xml"),
    ("npy without --output", ["--shape", "3", "--format", "npy"], r"--format.*--output"),
    ("--param without =", ["--shape", "3", "-p", "distribution"], r"--param.*key=value"),
    ("--param without a key", ["--shape", "3", "-p", "=untruncated_normal"], r"--param.*key=value"),
    ("--param unknown key", ["--shape", "3", "-p", "scale=2"], r"--param.*'scale'"),
    ("--param of a list", ["--shape", "3", "-p", "distribution=[a]"], r"--param distribution"),
    ("unknown initializer", ["--shape", "3"], r"unknown initializer"),
    ("orthogonal of rank 1", ["--shape", "5"], r"orthogonal.*rank"),
    ("identity of rank 3", ["--shape", "2", "3", "4"], r"identity.*rank"),
    ("unknown option", ["--shape", "3", "--out", "x"], r"--out"),
]
NAMES = {"unknown initializer": "he_normall", "orthogonal of rank 1": "orthogonal", "identity of rank 3": "identity"}


@pytest.mark.parametrize("case, args, match", BAD, ids=ids(BAD))
def test_bad_sample(cli, box, case, args, match):
    box.seal()
    base = ["sample", NAMES.get(case, "he_normal"), "--seed", "0"]
    refused(cli(*base, *args), box, match)


def afile(box):
    box.file("afile", "x")
    return "afile/w.npy"


def adir(box):
    (box.root / "adir").mkdir()
    return "adir"


# (id, makes the --output path in the box)
OUTPUTS = [
    ("below a file", afile),
    ("onto a directory", adir),
    ("onto the working directory", lambda box: "."),
    ("empty path", lambda box: ""),
    ("name of 300 characters", lambda box: "w" * 300 + ".npy"),
    ("folder name of 300 characters", lambda box: "d" * 300 + "/w.npy"),
    ("a path through /proc", lambda box: "/proc/version/w.npy"),
]


@pytest.mark.parametrize("fmt", ["npy", "json", "csv", "text"])
@pytest.mark.parametrize("case, make", OUTPUTS, ids=ids(OUTPUTS))
def test_bad_output(cli, box, fmt, case, make):
    path = make(box)
    box.seal()
    refused(cli(*BASE, "--shape", "3", "3", "--format", fmt, "--output", path), box, r"--output")


@generated(40)
@given(st.lists(st.integers(-10**6, 64), min_size=1, max_size=6).filter(lambda s: min(s) <= 0))
def test_generated_shapes_with_a_size_below_one(cli, shape):
    with fresh_box() as box:
        box.seal()
        refused(cli(*BASE, "--shape", *map(str, shape)), box, r"shape")


@generated(30)
@given(st.sampled_from(initializers.REGISTRY.names()),
       st.from_regex(r"[a-z][a-z_]{0,15}", fullmatch=True), st.integers(-5, 5))
def test_generated_unknown_parameters(cli, name, key, value):
    if key in {p.name for p in initializers.REGISTRY.entries[name].params}:
        key += "_x"
    with fresh_box() as box:
        box.seal()
        refused(cli("sample", name, "--shape", "4", "4", "--seed", "0", "-p", f"{key}={value}"), box,
                f"--param: initializer '{name}' has no parameter '{key}'")


@pytest.mark.parametrize("fmt", ["npy", "text"])
def test_missing_folders_of_an_output_are_created(cli, box, fmt):
    """A destination in folders that do not exist yet is fine (like --out): they are made when it is written."""
    r = cli(*BASE, "--shape", "3", "3", "--format", fmt, "--output", "missing/deeper/w.out", "--seed", "0")
    assert r.exit_code == 0, r.stderr
    assert (box.root / "missing" / "deeper" / "w.out").stat().st_size > 0
