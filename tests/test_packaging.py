"""What pip installs: every sub-package, the example configs, the license."""

import re
import tomllib

import pytest

from actinit_cli.errors import ActinitError
from tests.cases import REPO

PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def test_every_sub_package_is_listed():
    listed = set(PROJECT["tool"]["setuptools"]["packages"])
    tree = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "actinit_cli").rglob("__init__.py")}
    assert tree | {"actinit_cli.configs", "actinit_cli.examples"} == listed, \
        "update [tool.setuptools] packages in pyproject.toml"


def test_configs_ship_as_package_data():
    setuptools = PROJECT["tool"]["setuptools"]
    assert setuptools["package-dir"] == {"actinit_cli.configs": "configs", "actinit_cli.examples": "examples"}
    assert setuptools["package-data"] == {"actinit_cli.configs": ["*.yaml"], "actinit_cli.examples": ["*.py"]}


def test_license_is_shipped():
    assert (REPO / "LICENSE").read_text().startswith("MIT License")
    assert PROJECT["project"]["license"] == "MIT" and PROJECT["project"]["license-files"] == ["LICENSE"]


def test_examples_are_found_and_written(tmp_path):
    from actinit_cli.run import examples, spec

    assert "xavier_tanh" in examples.names() and len(examples.names()) == len(list((REPO / "configs").glob("*.yaml")))
    (path,) = examples.write("he_relu", tmp_path)
    assert path == tmp_path / "he_relu.yaml" and spec.load(path).name == "he_relu"
    assert examples.summary("he_relu").startswith("He et al. 2015")


def test_a_torch_example_comes_with_its_model_file(tmp_path):
    """init copies the model file a spec names beside it and points the spec at the copy: the spec then
    validates (and runs) outside the repository, as after a pip install."""
    from actinit_cli.run import examples
    from tests.cases import need

    need("torch")
    from actinit_cli.run import spec

    path, model = examples.write("torch_cnn_he", tmp_path)
    assert model == tmp_path / "torch_models.py" and model.read_text() == (REPO / "examples" / "torch_models.py").read_text()
    assert "factory: torch_models.py:small_cnn" in path.read_text()
    assert spec.load(path).torch is not None
    assert examples.write("torch_resmlp_he", tmp_path) == [tmp_path / "torch_resmlp_he.yaml"]  # shares the copy
    model.write_text("# the user's own edits\n")
    with pytest.raises(ActinitError, match="torch_models.py' exists; choose another path or pass --force"):
        examples.write("torch_plain_tanh", tmp_path)
    assert model.read_text() == "# the user's own edits\n" and not (tmp_path / "torch_plain_tanh.yaml").exists()


def test_floors_are_the_versions_ci_tests():
    """Every `>=` floor in pyproject.toml (dependencies and the test extra) is pinned, exactly, in
    .ci/floors.txt, the constraints .ci/run's second stage runs the suite under (nothing else is), and the
    README's Requirements line states it."""
    stated = PROJECT["project"]["dependencies"] + PROJECT["project"]["optional-dependencies"]["test"]
    bounds = {req: re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9.]+)", req) for req in stated}
    assert all(bounds.values()), f"state each as name>=floor: {[r for r, m in bounds.items() if not m]}"
    floors = dict(m.groups() for m in bounds.values())
    lines = (REPO / ".ci" / "floors.txt").read_text().splitlines()
    pinned = dict(line.split("==") for line in lines if line.strip() and not line.startswith("#"))
    assert pinned == floors, "pyproject.toml's floors and .ci/floors.txt's pins differ: change both"
    readme = (REPO / "README.md").read_text()
    assert [f"{n}>={v}" for n, v in floors.items() if f"`{n}>={v}`" not in readme] == [], "README's Requirements"


def test_every_extra_a_test_may_need_is_declared():
    """tests/cases.need names the extra a skipped test wants; actinit's own message names the same extras."""
    from actinit_cli import extras
    from tests.cases import EXTRA_OF

    declared = set(PROJECT["project"]["optional-dependencies"])
    assert set(EXTRA_OF.values()) <= declared
    assert set(extras.EXTRAS) <= declared
