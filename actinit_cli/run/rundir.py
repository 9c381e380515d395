"""Reading a run directory back (for `actinit check` and `--resume`), refusing incomplete or
incompatible ones."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from actinit_cli.errors import ActinitError
from actinit_cli.run.report import FORMAT_VERSION
from actinit_cli.nn.stats import COLUMNS


@dataclass(frozen=True)
class Saved:
    """A run directory read back: its spec, layers.csv rows and, with repeats, the rows per repeat."""

    path: Path
    spec: Any
    rows: list[dict]
    per_repeat: list[list[dict]]


def _parse_cell(column: str, text: str) -> Any:
    if text == "":
        return None
    return int(text) if column in ("layer", "width", "nonfinite", "repeat") else float(text)


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return [{k: _parse_cell(k, v) for k, v in row.items()} for row in csv.DictReader(f)]


def is_run_dir(path: Path) -> bool:
    """Whether `path` looks like a directory `actinit run` wrote (its three core files are there)."""
    return all((Path(path) / f).is_file() for f in ("summary.json", "layers.csv", "spec.yaml"))


def load(path: Path) -> Saved:
    """Read a run directory back, refusing one that is incomplete, damaged or from another format version."""
    from actinit_cli.run import spec as specs  # spec imports checks, which this module's users import too

    path = Path(path)
    missing = [f for f in ("summary.json", "layers.csv", "spec.yaml") if not (path / f).is_file()]
    if missing:
        raise ActinitError(f"{path}: not a complete run directory (missing {', '.join(missing)}); "
                           f"pass a spec or a directory written by `actinit run`")
    try:
        doc = json.loads((path / "summary.json").read_text())
        rows = read_csv(path / "layers.csv")
        flat = read_csv(path / "layers_repeats.csv") if (path / "layers_repeats.csv").is_file() else None
    except (ValueError, OSError) as exc:
        raise ActinitError(f"{path}: unreadable run directory ({exc}); re-run its spec") from None
    if doc.get("format_version") != FORMAT_VERSION:
        raise ActinitError(f"{path}: written by an incompatible actinit (format {doc.get('format_version')}, "
                           f"this one reads {FORMAT_VERSION}); re-run its spec")
    saved_spec = specs.from_mapping(doc["spec"], source=str(path / "summary.json"))
    _check_rows(rows, saved_spec.sizes, f"{path}/layers.csv")
    per_repeat = [rows]
    if saved_spec["repeats"] > 1:
        per_repeat = _repeats(flat, saved_spec, path)
    return Saved(path, saved_spec, rows, per_repeat)


def _check_rows(rows: list[dict], sizes: list[int], where: str) -> None:
    """One row per layer 0..depth+1, in order, with the right widths, every column, and a count of inf/nan."""
    damaged = (not rows or any(c not in rows[0] for c in COLUMNS)
               or [r["layer"] for r in rows] != list(range(len(sizes)))
               or [r["width"] for r in rows] != list(sizes)
               or any(r["nonfinite"] is None for r in rows))
    if damaged:
        raise ActinitError(f"{where}: damaged (expected {len(sizes)} rows for layers 0..{len(sizes) - 1} with every "
                           f"column); re-run the spec")


def _repeats(flat: list[dict] | None, saved_spec: Any, path: Path) -> list[list[dict]]:
    where = f"{path}/layers_repeats.csv"
    if flat is None or not flat or "repeat" not in flat[0]:
        raise ActinitError(f"{where}: missing or damaged for a run with {saved_spec['repeats']} repeats; re-run the spec")
    per_repeat = [[r for r in flat if r["repeat"] == k] for k in range(saved_spec["repeats"])]
    for rows in per_repeat:
        _check_rows(rows, saved_spec.sizes, where)
    return per_repeat
