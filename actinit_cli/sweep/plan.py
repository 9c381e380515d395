"""A sweep's plan: the product of a spec's `sweep:` lists, every point a validated spec (memory
included) before anything runs."""

from __future__ import annotations

import copy
import hashlib
import itertools
import math
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from actinit_cli import resources
from actinit_cli.errors import ActinitError
from actinit_cli.nn import tasks
from actinit_cli.run import files, runner
from actinit_cli.run import spec as specs
from actinit_cli.run.fields import HARD_MAX_POINTS, MAX_POINTS, canonical
from actinit_cli.sweep.rows import show


@dataclass(frozen=True)
class Point:
    """One point of a sweep: its label, its values by sweep path, its validated spec and, for a torch: model,
    the probe that validated it (run/torchrun.py; it travels with the point, so a worker does not probe again)."""

    label: str
    values: dict[str, Any]
    spec: specs.Spec
    probe: Any = None


@dataclass(frozen=True)
class Plan:
    """A validated sweep: the base spec, its points, the output root, the number of workers, what runs
    them (`local` worker processes or a `dask` cluster) and the command that continues it (`--resume`)."""

    base: specs.Spec
    points: list[Point]
    out: Path
    jobs: int
    executor: str = "local"
    again: str = "actinit sweep SPEC --resume"


LABEL_MAX = 160  # folder names stay well under the 200 a spec name allows (and 255 of the file system)


def _pairs(values: dict[str, Any]) -> list[str]:
    return [f"{path.split('.')[-1]}={show(v)}" for path, v in values.items()]


def describe(values: dict[str, Any]) -> str:
    """A point for people, by every swept value: 'activation=tanh, initializer=glorot_normal, depth=10'."""
    return ", ".join(_pairs(values))


def label(values: dict[str, Any]) -> str:
    """A folder-safe point name: 'activation=tanh,initializer=glorot_normal,depth=10'; a longer one is cut
    and ends in a hash of the whole, so it stays unique."""
    text = re.sub(r"[^A-Za-z0-9_.=,()+-]", "_", ",".join(_pairs(values)))
    if len(text) <= LABEL_MAX:
        return text
    return f"{text[:LABEL_MAX - 9]}-{hashlib.sha1(text.encode()).hexdigest()[:8]}"


def _set(raw: dict, path: str, value: Any) -> None:
    """raw[a][b][c] = value for path 'a.b.c', creating the mappings on the way."""
    node = raw
    for part in path.split(".")[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[path.split(".")[-1]] = copy.deepcopy(value)


def _check_grid(base: specs.Spec, yes: bool) -> dict[str, list]:
    """The sweep's lists: a size that needs --yes (or is refused outright) is found before anything else,
    then values that mean the same network twice."""
    grid = base.resolved.get("sweep")
    if not grid:
        raise ActinitError(f"{base.name}: the spec has no sweep: section; add one, e.g. "
                           f"sweep: {{model.activation: [tanh, relu]}}, or use actinit run")
    total = math.prod(len(values) for values in grid.values())
    if total > HARD_MAX_POINTS:
        raise ActinitError(f"sweep: {total:,} points, more than actinit runs in one sweep ({HARD_MAX_POINTS:,}); "
                           f"split it into several sweeps")
    if total > MAX_POINTS and not yes:
        raise ActinitError(f"sweep: {total:,} points (more than {MAX_POINTS:,}); pass --yes to run them all, "
                           f"or shorten the sweep: lists")
    for path, values in grid.items():
        _refuse_duplicates(path, values)
    return grid


def _refuse_duplicates(path: str, values: list) -> None:
    """Linear time: each value's canonical form (see fields.canonical) is looked up in a dict."""
    seen: dict[str, Any] = {}
    for value in values:
        key = canonical(path, value)
        if key in seen:
            first = seen[key]
            same = "" if show(first) == show(value) else f" (the same as {show(first)!r})"
            raise ActinitError(f"sweep.{path}: {show(value)!r} is listed twice{same}; list each value once")
        seen[key] = value


def _point(base: specs.Spec, values: dict[str, Any], jobs: int, local: bool = True) -> Point:
    name = label(values)
    raw = {k: copy.deepcopy(v) for k, v in (base.raw or {}).items() if k != "sweep"}
    for path, value in values.items():
        _set(raw, path, value)
    raw["name"] = name
    free = resources.available_bytes() if local else None
    try:
        point = specs.from_mapping(raw, source=f"sweep point {name}", folder=specs.folder_of(base))
        budget = math.inf  # not local: validated and estimated only; a cluster checks its workers' own limits
        if local:
            budget = free // max(1, jobs) if free is not None else None
        probe = runner.preflight(point, False, budget)[1]
        if point.resolved.get("train"):  # what training refuses whatever the data (repeats, blocks, lsuv, ...)
            from actinit_cli.train import job

            job.refuse(point)
        if local:  # on a cluster, the workers read the data
            _task_installed(point)
    except resources.NoRoom as exc:
        if free is None or jobs <= 1:
            raise ActinitError(f"sweep point {name}: {exc}") from None
        raise ActinitError(f"sweep point {name}: {exc.what} needs about {resources.gib(exc.need)} GiB, and --jobs "
                           f"{jobs} points at once leave each {resources.gib(exc.free)} of the {resources.gib(free)} "
                           f"GiB free, of which it may plan to use {resources.SHARE:.0%}; lower --jobs or {exc.fix}"
                           ) from None
    except ActinitError as exc:
        raise ActinitError(f"sweep point {name}: {str(exc).replace(f'sweep point {name}: ', '')}") from None
    return Point(name, values, point, probe)


def _task_installed(point: specs.Spec) -> None:
    """A training point's named task reads its data from an installed package (not a file: read in the worker)."""
    task = (point.resolved.get("train") or {}).get("task")
    if task is not None and not (isinstance(task, dict) and ("file" in task or "csv" in task)):
        tasks.installed(task, point.where("train.task"))


def expand(base: specs.Spec, yes: bool = False, jobs: int = 1, local: bool = True) -> list[Point]:
    """Every point of the product, validated, each with this machine's memory for `jobs` points at once
    (not with `local` off: a cluster checks its own workers); an invalid point is an error naming it."""
    grid = _check_grid(base, yes)
    return [_point(base, dict(zip(grid, combo)), jobs, local) for combo in itertools.product(*grid.values())]


def resume_command(spec_path: Path, out: Path | None, yes: bool) -> str:
    """The shell command, quoted, that continues a sweep: the spec as given, its --out (None: the default
    was used) and --yes (without it a large sweep is refused again)."""
    where = ["--out", str(out)] if out is not None else []
    return shlex.join(["actinit", "sweep", str(spec_path), *where, "--resume", *(["--yes"] if yes else [])])


def prepare(spec_path: Path, out: Path, jobs: int = 0, yes: bool = False, local: bool = True,
            out_given: bool = True) -> Plan:
    """Load the spec and validate every point and --out before anything runs (jobs 0: one per core;
    `local` off: memory is left to the cluster's check; `out_given` off: the resume command omits --out)."""
    jobs = jobs or resources.cores()
    base = specs.load(spec_path)
    points = expand(base, yes, jobs, local)
    files.check_out(out)
    return Plan(base, points, Path(out), jobs, again=resume_command(spec_path, out if out_given else None, yes))
