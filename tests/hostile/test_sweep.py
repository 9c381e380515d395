"""Bad `sweep:` sections and options of `actinit sweep`: bad paths, lists, duplicate values (also by alias, by a
default parameter, 0 against 0.0), points that are invalid, too many points; each refused before anything
runs. And a valid sweep whose point labels are long must run, not be refused for a `name:` it never wrote."""

from __future__ import annotations

import pytest

from tests.hostile.harness import SMALL, clean_exit, describe, ids, merged, refused, run_dirs

BAD = [
    ("sweep is a list", ["model.depth", [2, 3]], r"sweep: expected a mapping"),
    ("sweep is text", "model.depth", r"sweep: expected a mapping"),
    ("sweep is empty", {}, r"sweep: expected a mapping"),
    ("misspelt path", {"model.depht": [2, 3]}, r"sweep\.model\.depht.*did you mean 'model\.depth'"),
    ("section as a path", {"model": [{"depth": 2}]}, r"sweep\.model"),
    ("name is not sweepable", {"name": ["a", "b"]}, r"sweep\.name"),
    ("checks as a path", {"checks": [[]]}, r"sweep\.checks"),
    ("sweep in a sweep", {"sweep": [{}]}, r"sweep\.sweep"),
    ("nested mapping instead of a path", {"model": {"depth": [2, 3]}}, r"sweep\.model"),
    ("values not a list", {"model.depth": 3}, r"sweep\.model\.depth.*non-empty list"),
    ("values a mapping", {"model.depth": {"a": 2}}, r"sweep\.model\.depth.*non-empty list"),
    ("empty list", {"model.depth": []}, r"sweep\.model\.depth.*non-empty list"),
    ("null list", {"model.depth": None}, r"sweep\.model\.depth"),
    ("a value twice", {"model.depth": [2, 3, 2]}, r"sweep\.model\.depth.*listed twice"),
    ("an activation twice by alias", {"model.activation": ["silu", "swish"]}, r"sweep\.model\.activation.*twice"),
    ("an initializer twice by alias", {"model.initializer": ["glorot_normal", "xavier_normal"]},
     r"sweep\.model\.initializer.*twice"),
    ("twice by a default parameter", {"model.activation": ["leaky_relu", {"name": "leaky_relu",
                                                                           "negative_slope": 0.01}]},
     r"sweep\.model\.activation.*twice"),
    ("twice by a default distribution", {"model.initializer": ["he_normal", {"name": "he_normal",
                                                                             "distribution": "truncated_normal"}]},
     r"sweep\.model\.initializer.*twice"),
    ("0 and 0.0", {"data.input.mean": [0, 0.0]}, r"sweep\.data\.input\.mean.*twice"),
    ("1 and 1.0", {"data.input.std": [1, 1.0]}, r"sweep\.data\.input\.std.*twice"),
    ("the same widths twice", {"model.width": [[4, 4], [4, 4]]}, r"sweep\.model\.width.*twice"),
    ("softmax point", {"model.activation": ["tanh", "softmax"]}, r"sweep point activation=softmax"),
    ("unknown activation point", {"model.activation": ["tanh", "tanhh"]}, r"sweep point activation=tanhh"),
    ("depth 0 point", {"model.depth": [2, 0]}, r"sweep point depth=0"),
    ("widths of the wrong count", {"model.width": [[4, 4, 4]]}, r"sweep point width=4-4-4"),
    ("point beyond memory", {"model.width": [4, 1_000_000], "data.batch_size": [4, 10_000_000]},
     r"sweep point .*GiB"),
    ("unknown loss point", {"loss": ["mse", "hinge"]}, r"sweep point loss=hinge"),
    ("1,331 points without --yes", {"seed": list(range(11)), "repeats": list(range(1, 12)),
                                    "data.batches": list(range(1, 12))}, r"1,331 points.*--yes"),
]
BAD_WITH_YES = [
    ("27,000 points with --yes", {"seed": list(range(30)), "repeats": list(range(1, 31)),
                                  "data.batches": list(range(1, 31))}, r"27,000 points"),
]


def sweep_spec(box, sweep) -> object:
    return box.file("spec.yaml", merged(SMALL, {"sweep": sweep}))


@pytest.mark.parametrize("case, sweep, match", BAD + BAD_WITH_YES, ids=ids(BAD + BAD_WITH_YES))
def test_bad_sweep(cli, box, case, sweep, match):
    path = sweep_spec(box, sweep)
    box.seal()
    yes = ["--yes"] if "--yes" in case and "without" not in case else []
    refused(cli("sweep", path, "--out", box.out, "--jobs", "1", *yes), box, match)


OPTIONS = [
    ("--jobs -1", ["--jobs", "-1"], r"--jobs"),
    ("--jobs text", ["--jobs", "many"], r"--jobs"),
    ("--bound 1", ["--bound", "1"], r"--bound"),
    ("--bound 0.5", ["--bound", "0.5"], r"--bound"),
    ("--bound -100", ["--bound", "-100"], r"--bound"),
    ("--bound nan", ["--bound", "nan"], r"--bound"),
    ("--bound inf", ["--bound", "inf"], r"--bound"),
    ("--bound text", ["--bound", "big"], r"--bound"),
    ("unknown option", ["--plot"], r"--plot"),
    ("--out is a file", ["--out", "afile"], r"--out"),
    ("--out below a file", ["--out", "afile/runs"], r"--out"),
    ("--out name too long", ["--out", "x" * 300], r"--out"),
]


@pytest.mark.parametrize("case, args, match", OPTIONS, ids=ids(OPTIONS))
def test_bad_sweep_options(cli, box, case, args, match):
    path = sweep_spec(box, {"seed": [0, 1]})
    box.file("afile", "")
    box.seal()
    refused(cli("sweep", path, "--jobs", "1", *(args if "--out" in args else ["--out", box.out, *args])), box, match)


def test_spec_without_sweep(cli, box):
    path = box.file("spec.yaml", SMALL)
    box.seal()
    refused(cli("sweep", path, "--out", box.out), box, r"no sweep: section")


def test_long_point_labels_still_run(cli, box):
    """Three swept values whose label is over 200 characters: a valid sweep (the user wrote no name:)."""
    widths = [4] * 100
    path = box.file("spec.yaml", merged(SMALL, {"model": {"depth": 100}, "sweep": {
        "model.width": [widths, [5] * 100], "model.activation": ["relu"], "model.initializer": ["he_normal"]}}))
    r = cli("sweep", path, "--out", box.out, "--jobs", "1")
    clean_exit(r)
    assert r.exit_code == 0, describe(r)
    assert "name" not in r.stderr
    folder = run_dirs(box.out)[0]
    assert len(list((folder / "points").iterdir())) == 2 and (folder / "summary.json").is_file()
