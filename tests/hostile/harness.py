"""What every hostile case asserts, in one place: the README's promise for bad input (exit 2, one line on
stderr starting `error: `, no traceback, nothing written) and for overflow (exit 0, inf/nan counted in
layers.csv's `nonfinite`).

`Box` is a case's private folder: inputs are written into it, the command runs with it as the working
directory and every destination (--out, --output, --junit, --baseline) inside it, so "nothing written"
is one comparison of the folder's tree before and after.
"""

from __future__ import annotations

import contextlib
import csv
import math
import os
import re
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# A small valid spec: every case changes one thing in it, so a case that is wrongly accepted runs in milliseconds.
SMALL = {"name": "h", "model": {"depth": 2, "width": 4, "activation": "relu", "initializer": "he_normal"},
         "data": {"batch_size": 4}}
CHECKS = [{"quantity": "nonfinite", "max": 0}]


def tree(root: Path) -> dict[str, tuple[int, int, int]]:
    """Every path under root with its mode, size and modification time (symlinks not followed)."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            st = path.lstat()
            found[str(path.relative_to(root))] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return found


def merged(base: dict, change: dict) -> dict:
    """`base` with `change` laid over it, mappings merged key by key (a non-mapping replaces)."""
    out = dict(base)
    for key, value in change.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def at(path: str, value: Any) -> dict:
    """{'a': {'b': value}} for path 'a.b'."""
    for part in reversed(path.split(".")):
        value = {part: value}
    return value


class Box:
    """A case's folder: write inputs, `seal()`, run, then `written()` lists every path created, changed or
    removed since the seal."""

    def __init__(self, root: Path):
        self.root = root
        self.out = root / "out"
        self._before: dict | None = None

    def file(self, name: str, content: Any) -> Path:
        """Write text or bytes as they are, anything else as YAML."""
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not isinstance(content, (str, bytes)):
            content = yaml.safe_dump(content, sort_keys=False)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        return path

    def seal(self) -> None:
        self._before = tree(self.root)

    def written(self) -> list[str]:
        assert self._before is not None, "seal() the box before running the command"
        after = tree(self.root)
        return sorted(k for k in self._before.keys() | after.keys() if self._before.get(k) != after.get(k))


@dataclass
class Outcome:
    """A finished subprocess, shaped like click's Result (exit_code, stdout, stderr, exception)."""

    exit_code: int | None  # None: it did not finish before its deadline and was killed
    stdout: str
    stderr: str
    exception: BaseException | None = None

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def describe(r: Any) -> str:
    """A short account of what happened, for the failure message: exit code, stderr, an exception's last frame."""
    text = f"exit {r.exit_code}; stderr {r.stderr[-600:]!r}; stdout {r.stdout[:200]!r}"
    exc = getattr(r, "exception", None)
    if exc is not None and not isinstance(exc, SystemExit):
        frames = traceback.extract_tb(getattr(r, "exc_info", (None, None, None))[2] or exc.__traceback__)
        ours = [f for f in frames if "actinit_cli" in f.filename] or frames  # the last frame in our code
        where = f" at {Path(ours[-1].filename).parent.name}/{Path(ours[-1].filename).name}:{ours[-1].lineno}" \
            if ours else ""
        text += f"; raised {type(exc).__name__}: {str(exc)[:200]}{where}"
    return text


def clean_exit(r: Any) -> None:
    """No traceback and no exception escaped the command."""
    exc = getattr(r, "exception", None)
    assert exc is None or isinstance(exc, SystemExit), describe(r)
    assert "Traceback" not in r.stdout + r.stderr, describe(r)


def one_line(r: Any) -> str:
    """The single `error: ...` line on stderr."""
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), describe(r)
    return lines[0]


def refused(r: Any, box: Box, match: str) -> None:
    """Bad input: exit 2, one line on stderr naming what `match` finds, no traceback, nothing written (no file,
    nothing on stdout)."""
    clean_exit(r)
    assert r.exit_code == 2, describe(r)
    line = one_line(r)
    assert re.search(match, line), f"{line!r} does not match {match!r}"
    assert r.stdout == "", f"printed to stdout: {r.stdout[:300]!r}"
    assert box.written() == [], f"wrote {box.written()[:5]}; {describe(r)}"


def quiet(r: Any) -> None:
    """No warning was emitted (in-process runs record them in `warned`; a real process prints them on stderr)."""
    assert not getattr(r, "warned", []), f"warnings reach stderr: {r.warned[:3]}"


def nonfinite(run_dir: Path) -> int:
    """Sum of layers.csv's nonfinite column (every layer present, every count an integer)."""
    rows = list(csv.DictReader((run_dir / "layers.csv").open()))
    assert rows and all(r["nonfinite"] not in ("", None) for r in rows), f"{run_dir}/layers.csv is incomplete"
    return sum(int(r["nonfinite"]) for r in rows)


def run_dirs(out: Path) -> list[Path]:
    """Every run directory under out/<name>/, hidden ones (.partial-*) included."""
    return sorted(p for name in (out.iterdir() if out.is_dir() else []) for p in name.iterdir())


def counted(r: Any, box: Box) -> int:
    """Overflow: exit 0, nothing on stderr (no warnings), one complete run directory; returns its nonfinite sum."""
    clean_exit(r)
    assert r.exit_code == 0 and r.stderr == "", describe(r)
    quiet(r)
    dirs = run_dirs(box.out)
    assert len(dirs) == 1 and not dirs[0].name.startswith("."), dirs
    return nonfinite(dirs[0])


def finite_float(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def actinit(args: list[Any], cwd: Path, timeout: float, memory: int = 2 << 30, stdin: Any = None) -> Outcome:
    """`python -m actinit_cli ARGS` as a real process, with an address-space limit and a deadline (a case
    that hangs or eats memory must fail, not take the suite down). One BLAS thread keeps the limit honest."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-m", "actinit_cli", *map(str, args)], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=stdin or subprocess.DEVNULL,
                            preexec_fn=limit, start_new_session=True, text=True, errors="replace")
    try:
        out, err = proc.communicate(timeout=timeout)
        return Outcome(proc.returncode, out, err)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        out, err = proc.communicate()
        return Outcome(None, out, err + f"\n[killed: still running after {timeout:g} s]")


def ids(table: list[tuple]) -> list[str]:
    """pytest ids from a table's first column, made unique and readable."""
    seen: dict[str, int] = {}
    out = []
    for row in table:
        name = re.sub(r"\s+", "_", str(row[0]))[:60]
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return out


def generated(examples: int):
    """Hypothesis settings of a generated case: `examples` inputs, the same on every run (derandomize: a
    failure reproduces), no example database written into the repository, no deadline."""
    from hypothesis import HealthCheck, settings

    return settings(max_examples=examples, deadline=None, derandomize=True, database=None, print_blob=False,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@contextlib.contextmanager
def fresh_box():
    """A Box in a new temporary folder, the working directory meanwhile (one per Hypothesis example)."""
    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="hostile-") as root:
        os.chdir(root)
        try:
            yield Box(Path(root))
        finally:
            os.chdir(here)
