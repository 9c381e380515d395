"""The example specs: configs/ in a source checkout, the data package actinit_cli.configs once installed
(pyproject.toml maps one onto the other), so `actinit init` works wherever actinit is installed."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from actinit_cli.errors import ActinitError
from actinit_cli.nn.registry import did_you_mean
from actinit_cli.run import files
from actinit_cli.run.files import write_atomic


def folder() -> Path:
    """Where the example specs are: installed package data, else the checkout's configs/."""
    try:
        return Path(str(importlib.resources.files("actinit_cli.configs")))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "configs"


def names() -> list[str]:
    return sorted(p.stem for p in folder().glob("*.yaml"))


def text(name: str) -> str:
    """The YAML of example `name`, comments included."""
    if name not in names():
        raise ActinitError(f"init: no example spec {name!r}{did_you_mean(name, names())} "
                           f"(examples: {', '.join(names())})")
    return (folder() / f"{name}.yaml").read_text()


def summary(name: str) -> str:
    """The start of an example's leading comment (what it shows), cut at a word near 110 characters."""
    lines = []
    for line in text(name).splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# ").strip())
    words = " ".join(lines)
    return words if len(words) <= 110 else words[:words.rfind(" ", 0, 107)] + " ..."


def write(name: str, dest: Path, force: bool = False) -> Path:
    """Copy example `name` to `dest` (a file, or a folder to put <name>.yaml in); never overwrite unless forced."""
    dest = Path(dest)
    body = text(name).encode()  # an unknown name is refused first
    files.check_names(dest, "--output")
    target = dest / f"{name}.yaml" if dest.is_dir() else dest
    if target.is_file() and not force:
        raise ActinitError(f"--output: {str(target)!r} exists; choose another path or pass --force to replace it")
    files.check_file(target, "--output")
    write_atomic(target, body, "--output")
    return target
