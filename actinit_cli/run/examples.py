"""The example specs: configs/ in a source checkout, the data package actinit_cli.configs once installed
(pyproject.toml maps one onto the other, and examples/ onto actinit_cli.examples), so `actinit init` works
wherever actinit is installed. A spec that names a model file in ../examples/ gets a copy of that file
beside it, and its reference points at the copy."""

from __future__ import annotations

import importlib.resources
import re

from pathlib import Path
from typing import Any

from actinit_cli.errors import ActinitError
from actinit_cli.nn.registry import did_you_mean
from actinit_cli.run import files
from actinit_cli.run.files import write_atomic


EXAMPLES_REF = "../examples/"  # how configs name the model files of examples/ (from the configs/ folder)


def folder(package: str = "configs") -> Any:
    """Where the example specs (or the example model files) are: installed package data (a namespace
    package, so a Traversable rather than a plain path), else the checkout's configs/ (examples/)."""
    try:
        return importlib.resources.files(f"actinit_cli.{package}")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / package


def names() -> list[str]:
    return sorted(p.name[:-len(".yaml")] for p in folder().iterdir() if p.name.endswith(".yaml"))


def text(name: str) -> str:
    """The YAML of example `name`, comments included."""
    if name not in names():
        raise ActinitError(f"init: no example spec {name!r}{did_you_mean(name, names())} "
                           f"(examples: {', '.join(names())})")
    return folder().joinpath(f"{name}.yaml").read_text()


def _model_files(body: str) -> list[str]:
    """The example model files a spec names (`../examples/torch_models.py:small_cnn` -> torch_models.py)."""
    refs = re.findall(re.escape(EXAMPLES_REF) + r"([A-Za-z0-9_]+\.py)", body)
    return sorted(set(refs))


def summary(name: str) -> str:
    """The start of an example's leading comment (what it shows), cut at a word near 110 characters."""
    lines = []
    for line in text(name).splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# ").strip())
    words = " ".join(lines)
    return words if len(words) <= 110 else words[:words.rfind(" ", 0, 107)] + " ..."


def write(name: str, dest: Path, force: bool = False) -> list[Path]:
    """Copy example `name` to `dest` (a file, or a folder to put <name>.yaml in) and the model files it names
    beside it; never overwrite unless forced (a model file already there with the same bytes is kept: two
    torch examples share one). Returns the spec's path, then the model files written."""
    dest = Path(dest)
    body = text(name)  # an unknown name is refused first
    files.check_names(dest, "--output")
    target = dest / f"{name}.yaml" if dest.is_dir() else dest
    helpers = {target.parent / m: folder("examples").joinpath(m).read_bytes() for m in _model_files(body)}
    helpers = {path: data for path, data in helpers.items() if not (path.is_file() and path.read_bytes() == data)}
    for path in [target, *helpers]:
        if path.is_file() and not force:
            raise ActinitError(f"--output: {str(path)!r} exists; choose another path or pass --force to replace it")
        files.check_file(path, "--output")
    created = [files.destination(path, "--output") for path in helpers if not path.exists()]  # not a user's link
    try:
        for path, data in helpers.items():
            write_atomic(path, data, "--output")
        write_atomic(target, body.replace(EXAMPLES_REF, "").encode(), "--output")
    except BaseException:  # a full disk at the spec: no model file without the spec that names it
        for path in created:
            path.unlink(missing_ok=True)
        raise
    return [target, *helpers]
