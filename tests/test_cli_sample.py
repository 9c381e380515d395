"""`actinit sample`, `actinit list`, `--version` and the CLI's error contract, driven with CliRunner."""

import importlib
import json
import math
import pkgutil
import re
import subprocess
import sys

import numpy as np
import pytest

from actinit_cli import __version__, nn
from actinit_cli.app import Kind, spread
from actinit_cli.errors import ActinitError
from actinit_cli.nn.registry import Registry


def values_from_text(stdout: str) -> np.ndarray:
    body = stdout.split("\n\n")[0].split("\n", 1)[1]
    return np.array([float(t) for t in body.replace("[", " ").replace("]", " ").split()])


def test_he_normal_9x1_seed0(cli):
    r = cli("sample", "he_normal", "--shape", 9, 1, "--seed", 0)
    assert r.exit_code == 0, r.output
    values = values_from_text(r.stdout)
    assert values.size == 9 and np.all(np.abs(values) <= 1.0718299)
    assert "0.4714" in r.stdout and "+-1.0718" in r.stdout and "seed: 0" in r.stdout
    again = cli("sample", "he_normal", "--shape", 9, 1, "--seed", 0)
    assert again.stdout == r.stdout


def test_without_seed_prints_the_seed_that_repeats_it(cli):
    r = cli("sample", "he_uniform", "--shape", 4, 3, "--format", "json")
    doc = json.loads(r.stdout)
    again = json.loads(cli("sample", "he_uniform", "--shape", 4, 3, "--format", "json", "--seed", doc["seed"]).stdout)
    assert again["values"] == doc["values"]


def test_npy_output_glorot_normal(cli, tmp_path):
    out = tmp_path / "w.npy"
    r = cli("sample", "glorot_normal", "--shape", 1000, 1000, "--format", "npy", "--output", out, "--seed", 1)
    assert r.exit_code == 0, r.output
    w = np.load(out)
    assert w.dtype == np.float32 and w.shape == (1000, 1000)
    assert w.std() == pytest.approx(0.0316228, rel=0.01)


def test_conv_shape_json(cli):
    r = cli("sample", "he_normal", "--shape", 3, 3, 16, 32, "--format", "json", "--seed", 0, "--dtype", "float64")
    doc = json.loads(r.stdout)
    assert doc["expected"]["fan_in"] == 144 and doc["expected"]["fan_out"] == 288
    assert doc["expected"]["std"] == pytest.approx(math.sqrt(2 / 144))
    assert np.array(doc["values"]).shape == (3, 3, 16, 32)
    assert doc["sample"]["std"] == pytest.approx(math.sqrt(2 / 144), rel=0.05)


def test_csv_and_params(cli):
    r = cli("sample", "variance_scaling", "--shape", 5, 3, "-p", "scale=2", "-p", "distribution=uniform",
            "--format", "csv", "--seed", 0)
    rows = [list(map(float, line.split(","))) for line in r.stdout.strip().splitlines()]
    assert len(rows) == 5 and all(len(row) == 3 for row in rows)
    assert np.max(np.abs(rows)) <= math.sqrt(3 * 2 / 5)


@pytest.mark.parametrize("args, message", [
    (["he_unnormal", "--shape", 9, 1], "did you mean 'he_normal' or 'he_uniform'?"),
    (["he_normal", "--shape", 0, 1], "every size must be a positive integer"),
    (["he_normal", "--shape", -3, 1], "every size must be a positive integer"),
    (["he_normal", "--shape", 9, 1, "--param", "scale=2"], "no parameter 'scale'"),
    (["he_normal", "--shape", 9, 1, "--param", "oops"], "expected key=value"),
    (["variance_scaling", "--shape", 9, 1, "--param", "scale=-1"], "--param scale: must be > 0"),
    (["he_normal", "--shape", 9, 1, "--dtype", "float16"], "--dtype: got 'float16', expected one of float32, float64"),
    (["he_normal", "--shape", "1e3", 4], "error: --shape: expected an integer, got '1e3' (see "),
    (["he_normal", "--shape", 9, 1, "--seed", "1.5"], "--seed: expected an integer, got '1.5'"),
    (["he_normal", "--shape", 9, 1, "--format", "npy"], "add --output"),
    (["he_normal"], "--shape"),
    (["he_normal", "--shape", 9, 1, "--bogus"], "No such option"),
    (["he_normal", "--shape", 100000, 100000], "use a smaller shape"),
    (["he_normal", "--shape", 9, 1, "--output", "/proc/version/w.txt"], "is not a directory"),  # below a file
])
def test_bad_input_is_one_line_exit_2(cli, args, message):
    r = cli("sample", *args)
    assert r.exit_code == 2
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.output


@pytest.mark.parametrize("args, message", [
    (["list", "activation"], "kind: got 'activation', expected one of initializers, activations, tasks, optimizers, "
                             "columns; did you mean 'activations'?"),
    (["sample", "he_normal", "--shape", 9, 1, "-f", "xml"], "--format: got 'xml', expected one of text, json, csv, npy"),
    (["phase", "tanh", "--points", "many"], "--points: expected an integer, got 'many'"),
    (["check", "x.yaml", "--tolerance", "wide"], "--tolerance: expected a number, got 'wide'"),
    (["sweep", "x.yaml", "--executor", "slurm"], "--executor: got 'slurm', expected one of local, dask"),
])
def test_a_value_typer_cannot_convert_is_named_in_our_words(cli, args, message):
    """One line naming the option, quoting the value and saying what is expected; not typer's pydantic wording."""
    r = cli(*args)
    assert r.exit_code == 2 and len(r.stderr.splitlines()) == 1
    assert message in r.stderr and "Value error" not in r.stderr and "Input should" not in r.stderr


def test_list(cli):
    r = cli("list")
    assert r.exit_code == 0
    for name in ("he_normal", "xavier_normal", "standard", "leaky_relu", "softmax", "hard_sigmoid"):
        assert name in r.stdout
    assert "relu'(0) = 0" in cli("list", "activations").stdout
    columns = " ".join(cli("list", "columns").stdout.split())  # cells wrap: compare the words
    assert "second moment E[y^2]" in columns and "E[y^2] - E[y_a y_b]" in columns  # not read as rich markup


def registries() -> list[Registry]:
    """Every name registry of the numeric core, found by walking nn/, so a new one is tested for free."""
    modules = [importlib.import_module(f"actinit_cli.nn.{m.name}") for m in pkgutil.iter_modules(nn.__path__)]
    return list({v.kind: v for m in modules for v in vars(m).values() if isinstance(v, Registry)}.values())


@pytest.mark.parametrize("registry", registries(), ids=lambda r: r.kind)
def test_the_list_an_unknown_name_points_at_exists(cli, registry):
    with pytest.raises(ActinitError) as error:
        registry.entry("no_such_name")
    for kind in re.findall(r"actinit list (\w+)", str(error.value)):
        r = cli("list", kind)
        assert r.exit_code == 0, f"{error.value} -> {r.output}"
        assert all(name in r.stdout for name in registry.names())


def test_list_kinds_are_the_tables_lists_shows():
    from actinit_cli import lists

    assert [k.value for k in Kind] == list(lists.LISTS)


def test_version_and_help(cli):
    assert cli("--version").stdout.strip() == f"actinit {__version__}"
    for cmd in ("sample", "list"):
        r = cli(cmd, "--help")
        assert r.exit_code == 0 and "Usage" in r.stdout


def test_help_does_not_import_heavy_modules():
    """`actinit --help` stays fast because matplotlib (and the numeric core) load only when used."""
    code = ("import sys; sys.argv = ['actinit', '--help']\n"
            "from actinit_cli import cli\n"
            "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('matplotlib', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_python_dash_m_entry_point():
    r = subprocess.run([sys.executable, "-m", "actinit_cli", "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == f"actinit {__version__}"


@pytest.mark.parametrize("args, want", [
    (["sample", "x", "--shape", "9", "1"], ["sample", "x", "--shape", "9", "--shape", "1"]),
    (["sample", "--shape", "3", "3", "16", "32", "x", "--seed", "0"],
     ["sample", "--shape", "3", "--shape", "3", "--shape", "16", "--shape", "32", "x", "--seed", "0"]),
    (["sample", "x", "--shape", "9", "-1"], ["sample", "x", "--shape", "9", "--shape", "-1"]),
    (["sample", "x", "--shape"], ["sample", "x", "--shape"]),
    (["sample", "x", "--shape", "--seed", "1"], ["sample", "x", "--shape", "--seed", "1"]),
    (["run", "spec.yaml", "--seed", "1"], ["run", "spec.yaml", "--seed", "1"]),
    (["sample", "x", "--shape", "9", "--", "1"], ["sample", "x", "--shape", "9", "--", "1"]),
])
def test_shape_takes_every_integer_that_follows(args, want):
    assert spread(args, "--shape") == want


def test_shape_before_the_name_and_repeated_forms_agree(cli):
    """The headline usage, the option before the name, and click's own repeated form give the same draw."""
    a = cli("sample", "he_normal", "--shape", 9, 1, "--seed", 0, "--format", "json")
    b = cli("sample", "--shape", 9, 1, "he_normal", "--seed", 0, "--format", "json")
    c = cli("sample", "he_normal", "--shape", 9, "--shape", 1, "--seed", 0, "--format", "json")
    assert a.exit_code == 0 and a.stdout == b.stdout == c.stdout
    assert json.loads(a.stdout)["shape"] == [9, 1]
