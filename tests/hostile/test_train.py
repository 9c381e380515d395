"""Bad training input through `actinit train` (and a training sweep): a user's data files that are damaged,
oversized or odd, task parameters whose arrays would not fit, and what training refuses whatever the data.
Each must exit 2 with one line naming the field, and write nothing."""

from __future__ import annotations

import io

import numpy as np
import pytest

from tests.hostile.harness import actinit, describe, ids, merged, refused

TRAIN = {"name": "t", "model": {"depth": 2, "width": 4, "activation": "relu", "initializer": "he_normal"},
         "train": {"task": {"name": "spirals", "samples": 64}, "steps": 2, "batch_size": 4}}
X = np.random.default_rng(0).standard_normal((40, 3))
LONG = "x" * 300


def npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


# (id, the spec's change, files beside it, what the single line must match)
FILES = [
    ("labels up to 1e9 with mse", {"loss": "mse"}, {"d.npz": npz(x=X, y=np.array([0, 10**9] * 20))}, None),
    ("labels up to 1e9 with bce", {"loss": "binary_cross_entropy"}, {"d.npz": npz(x=X, y=np.array([0, 10**9] * 20))},
     r"loss: binary_cross_entropy needs class labels, but the task's targets are integers up to 1000000000, and only "
     r"labels below 1,000 are classes"),
    ("float labels up to 1e18", {}, {"d.npz": npz(x=X, y=np.array([0.0, 1e18] * 20))}, None),
    ("labels up to 1e9 as class losses", {"loss": "cross_entropy"}, {"d.npz": npz(x=X, y=np.array([0, 10**9] * 20))},
     r"loss: cross_entropy needs class labels, but the task's targets are integers up to 1000000000"),
    ("a csv cell beyond csv's field limit", {}, {"d.csv": "a,y\n" + "1" * 200_000 + ",0\n2,1\n3,0\n"},
     r"train\.task\.csv: cannot read"),
    ("a file name too long", {}, {LONG + ".npz": None}, r"train\.task\.file: '.*(too long)"),
    ("a csv below a name too long", {}, {f"{LONG}/d.csv": None}, r"train\.task\.csv: '.*(too long)"),
]


def with_task(task: object) -> dict:
    """TRAIN with its task replaced (not merged) and one sample a step."""
    return {**TRAIN, "train": {**TRAIN["train"], "task": task, "batch_size": 1}}


@pytest.mark.parametrize("case, change, files, match", FILES, ids=ids(FILES))
def test_user_data(cli, box, case, change, files, match):
    name = next(iter(files))
    spec = with_task({"csv": name, "target": "y"} if name.endswith(".csv") else {"file": name})
    for name, content in files.items():
        if content is not None:  # None: a path that cannot be made (a name too long)
            box.file(name, content)
    box.file("spec.yaml", merged(spec, change))
    box.seal()
    r = cli("train", "spec.yaml", "--out", box.out, "--no-plots")
    if match is None:  # read as regression: one output, trained
        assert r.exit_code == 0, describe(r)
        return
    refused(r, box, match)


# Task parameters each within its own range whose arrays together would not fit: refused before drawing
# (a real process with a 2 GiB address-space limit, so a regression fails fast instead of eating the machine).
SIZES = [
    ("mixture centres classes x features", {"name": "gaussian_mixture", "samples": 2, "features": 100_000,
                                            "classes": 10_000}, r"train\.task: classes x features"),
    ("teacher weights features x hidden", {"name": "teacher", "samples": 2, "features": 100_000, "hidden": 7000},
     r"train\.task: features x hidden"),
    ("teacher weights hidden x outputs", {"name": "teacher", "samples": 2, "features": 1, "hidden": 7000,
                                          "outputs": 100_000}, r"train\.task: (hidden|samples) x outputs"),
]


@pytest.mark.parametrize("case, task, match", SIZES, ids=ids(SIZES))
def test_task_too_large(box, case, task, match):
    box.file("spec.yaml", with_task(task))
    box.seal()
    refused(actinit(["train", "spec.yaml", "--out", box.out, "--no-plots"], box.root, timeout=30), box, match)


# What training refuses whatever the data: a training sweep refuses it before anything runs, as `actinit train`
# does (not one failed point per value, exit 0).
REFUSED = [
    ("repeats", {"repeats": 2}, r"repeats"),
    ("a residual block", {"model": {"block": {"residual": True}}}, r"model\.block"),
    ("a normalized block", {"model": {"block": {"norm": "layer"}}}, r"model\.block"),
    ("the Jacobian spectrum", {"analysis": {"jacobian": {"samples": 2}}}, r"analysis\.jacobian"),
    ("lsuv", {"model": {"initializer": "lsuv"}}, r"model\.initializer"),
]


@pytest.mark.parametrize("command", ["train", "sweep"])
@pytest.mark.parametrize("case, change, match", REFUSED, ids=ids(REFUSED))
def test_not_trained(cli, box, command, case, change, match):
    sweep = {"sweep": {"seed": [0, 1]}} if command == "sweep" else {}
    box.file("spec.yaml", merged(merged(TRAIN, change), sweep))
    box.seal()
    args = ["sweep", "spec.yaml", "--out", box.out, "--jobs", "1"] if command == "sweep" else \
        ["train", "spec.yaml", "--out", box.out, "--no-plots"]
    refused(cli(*args), box, match)
