"""The house rules, checked so they cannot rot: imports run one way (from the face down to the ground),
the numeric core never imports the face, files or plots, modules and functions stay small, and the
repository never points outside itself."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cases import REPO

PACKAGE = REPO / "actinit_cli"
# Lower number = closer to the ground; a module may import only its own level or below.
LEVELS = {"errors": 0, "blas": 0, "extras": 0, "resources": 0, "signals": 0, "pipes": 0, "words": 0, "plots": 0, "nn": 1,
          "theory": 2, "torch": 2, "run": 3, "train": 4, "gates": 5, "sweep": 6, "terminal": 7, "lists": 7, "app": 8,
          "cli": 9, "train_command": 9, "entry": 10, "__main__": 11, "__init__": 0}
FACE_ONLY = ("typer", "rich")  # only the face (cli, terminal) imports these
CORE = ("nn", "theory")  # the numeric core: NumPy and the standard library, nothing that writes or draws
MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


def unit(path: Path) -> str:
    """The level key of a module: its sub-package, or its own name at the top."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def imports(path: Path) -> list[str]:
    """Every actinit_cli and third-party module a file imports (lazy imports inside functions included)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            if node.module == "actinit_cli":
                names += [f"actinit_cli.{a.name}" for a in node.names]
    return names


def target_unit(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if parts[0] == "actinit_cli" and len(parts) > 1 else None


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(REPO)))
def test_imports_run_downward(path):
    me = unit(path)
    for name in imports(path):
        other = target_unit(name)
        if other is None or other == "__version__":
            continue
        assert LEVELS[other] <= LEVELS[me], f"{path.name} ({me}) imports {name} ({other}), which sits above it"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(REPO)))
def test_only_the_face_imports_typer_and_rich(path):
    if unit(path) in ("cli", "app", "terminal", "lists", "train_command"):
        return
    bad = [n for n in imports(path) if n.split(".")[0] in FACE_ONLY]
    assert not bad, f"{path.name} imports {bad}: presentation belongs to cli.py / terminal.py"


@pytest.mark.parametrize("path", [p for p in MODULES if unit(p) in CORE], ids=lambda p: str(p.relative_to(REPO)))
def test_numeric_core_never_draws_or_writes(path):
    bad = [n for n in imports(path) if n.split(".")[0] == "matplotlib" or n in ("actinit_cli.plots",)
           or (target_unit(n) or "") in ("run", "gates", "sweep", "terminal", "cli", "plots")]
    assert not bad, f"{path.name} imports {bad}"


def test_only_plots_imports_matplotlib():
    users = [p for p in MODULES if any(n.split(".")[0] == "matplotlib" for n in imports(p))]
    assert users and {unit(p) for p in users} == {"plots"}, [str(p.relative_to(PACKAGE)) for p in users]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(REPO)))
def test_small_modules_and_functions(path):
    text = path.read_text()
    assert text.count("\n") <= 300, f"{path.name}: {text.count(chr(10))} lines; split it by concept"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            assert length <= 40, f"{path.name}:{node.lineno} {node.name} has {length} lines (at most 40)"


def test_nothing_points_outside_the_repository():
    """Whoever clones the project must be able to follow every reference: no ../ paths out of the tree."""
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True).stdout.split()
    if not tracked:
        pytest.fail("git ls-files listed nothing: run the tests from a git checkout")
    # the development machine's folders beside the clone, spelled in pieces so this file does not name them
    outside = tuple("/".join(parts) for parts in ((os.pardir, "shared"), ("shared", "reference"), ("", "work", "")))
    hits = []
    for name in tracked:
        path = REPO / name
        if path.suffix in (".png", ".npz", ".npy") or not path.is_file():
            continue
        text = path.read_text(errors="replace")
        hits += [f"{name}: {word}" for word in outside if word in text]
    assert not hits, hits


def test_saved_run_is_checked_without_the_runner(tmp_path):
    """Re-checking a saved run reads files only: it must not import the runner (or the network code)."""
    code = ("import sys; from actinit_cli.run import rundir; from actinit_cli.gates import gate, verdict; "
            "print(sorted(m for m in sys.modules if m.endswith(('.runner', '.mlp', '.overlay'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
