"""Reading a run directory back (for `actinit check` and `--resume`), refusing incomplete or
incompatible ones."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from actinit_cli.errors import ActinitError
from actinit_cli.report import FORMAT_VERSION
from actinit_cli.stats import COLUMNS


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


def load(path: Path) -> Saved:
    """Read a run directory back, refusing one that is incomplete or from another format version."""
    from actinit_cli import spec as specs

    path = Path(path)
    missing = [f for f in ("summary.json", "layers.csv", "spec.yaml") if not (path / f).is_file()]
    if missing:
        raise ActinitError(f"{path}: not a complete run directory (missing {', '.join(missing)}); "
                           f"pass a spec or a directory written by `actinit run`")
    try:
        doc = json.loads((path / "summary.json").read_text())
        rows = read_csv(path / "layers.csv")
    except (ValueError, OSError) as exc:
        raise ActinitError(f"{path}: unreadable run directory ({exc}); re-run its spec") from None
    if doc.get("format_version") != FORMAT_VERSION:
        raise ActinitError(f"{path}: written by an incompatible actinit (format {doc.get('format_version')}, "
                           f"this one reads {FORMAT_VERSION}); re-run its spec")
    if not rows or any(c not in rows[0] for c in COLUMNS):
        raise ActinitError(f"{path}/layers.csv: columns missing; the run directory is damaged, re-run its spec")
    saved_spec = specs.from_mapping(doc["spec"], source=str(path / "summary.json"))
    per_repeat = [rows]
    if (path / "layers_repeats.csv").is_file():
        flat = read_csv(path / "layers_repeats.csv")
        per_repeat = [[r for r in flat if r["repeat"] == k] for k in sorted({r["repeat"] for r in flat})]
    return Saved(path, saved_spec, rows, per_repeat)
