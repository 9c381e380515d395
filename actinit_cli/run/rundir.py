"""The run directory, written and read in one place: runs/<name>/<UTC time>-<id>/, its file names, how
values are encoded, the format version, atomic creation, and reading back (for `actinit check` and
`--resume`) with refusal of incomplete, damaged or incompatible directories. Reading never imports
the runner.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import secrets
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import yaml

from actinit_cli import signals
from actinit_cli.errors import ActinitError
from actinit_cli.nn import jacobian
from actinit_cli.nn.columns import INTEGER, MEASURED, NAMES
from actinit_cli.nn.registry import shown
from actinit_cli.run import partials
from actinit_cli.torch import rows as module_rows

FORMAT_VERSION = 2  # bump when layers.csv or summary.json change incompatibly
COLUMNS_DIGEST = "b408230873a3b9fe"  # columns.digest() of FORMAT_VERSION's layers.csv (a test ties them)
SPEC, LAYERS, REPEATS, SUMMARY = "spec.yaml", "layers.csv", "layers_repeats.csv", "summary.json"
MODULES, MODULE_REPEATS = "modules.csv", "modules_repeats.csv"  # a torch: model's module rows
SPECTRUM, SINGULAR_VALUES = "spectrum.csv", "singular_values.csv"  # analysis.jacobian
CORE_FILES = (SUMMARY, LAYERS, SPEC)  # a torch run has MODULES where a plain MLP's run has LAYERS


def _nonfinite_text(value: float) -> str:
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def cell(value: Any) -> str:
    """A CSV cell: '' for not applicable, shortest round-trip repr for floats ('nan', 'inf' kept)."""
    if value is None:
        return ""
    if isinstance(value, float):  # np.float64 too, whose repr would be 'np.float64(...)'
        value = float(value)
        return repr(value) if math.isfinite(value) else _nonfinite_text(value)
    return str(value)


def csv_text(rows: list[dict], columns: tuple[str, ...]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(row.get(c)) for c in columns])
    return buf.getvalue()


def json_safe(value: Any) -> Any:
    """JSON has no NaN or inf: write them as strings so every consumer can parse the file."""
    if isinstance(value, float) and not math.isfinite(value):
        return _nonfinite_text(value)
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def json_text(doc: Any) -> str:
    return json.dumps(json_safe(doc), indent=2) + "\n"


# --- writing -------------------------------------------------------------------------------------

def new_run_dir(root: Path, name: str) -> tuple[Path, str, str]:
    """A fresh final path runs/<name>/<time>-<id> (not created) with its id and UTC timestamp."""
    now = datetime.now(timezone.utc)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    for _ in range(100):
        run_id = f"{stamp}-{secrets.token_hex(3)}"
        final = Path(root) / name / run_id
        if not final.exists():
            return final, run_id, now.isoformat(timespec="seconds")
    raise ActinitError(f"--out: could not find a free run directory under {root}/{name}")


def atomic_dir(root: Path, name: str, fill: Callable[[Path, str, str], None]) -> Path:
    """Create root/<name>/<time>-<id>/: `fill(folder, id, created)` writes into a hidden temporary
    folder that is renamed into place at the end (removed on any error or Ctrl-C, with the <name>
    folder if this call created it)."""
    final, run_id, created = new_run_dir(root, name)
    fresh_parent = not final.parent.exists()
    tmp: Path | None = None
    try:
        with signals.deferred():  # a signal while the folder is made arrives once `tmp` is known (cleaned below)
            tmp = partials.fresh(final.parent, root)
        fill(tmp, run_id, created)
        signals.check()  # a Ctrl-C that a library cleared while `fill` ran: nothing is made final
        os.rename(tmp, final)
    except BaseException as exc:
        with signals.deferred():  # a second Ctrl-C must not cut the cleanup in half
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            if fresh_parent:
                with contextlib.suppress(OSError):
                    final.parent.rmdir()  # only if still empty
        if isinstance(exc, OSError):  # a full disk, a vanished folder: nothing was left half-written
            raise ActinitError(f"--out: cannot write the run directory under {str(root)!r} "
                               f"({exc.strerror or exc}); free some space or choose another --out") from None
        raise
    return final


def write_tables(folder: Path, spec: Mapping, rows: list[dict], per_repeat: list[list[dict]], summary: dict) -> None:
    """spec.yaml, layers.csv, layers_repeats.csv (with repeats) and summary.json, in this format version."""
    (folder / SPEC).write_text(yaml.safe_dump(dict(spec), sort_keys=False))
    if rows:  # a torch model that is not a plain MLP has module rows only (write_modules)
        (folder / LAYERS).write_text(csv_text(rows, NAMES))
    if len(per_repeat) > 1:
        flat = [{"repeat": r, **row} for r, rep in enumerate(per_repeat) for row in rep]
        (folder / REPEATS).write_text(csv_text(flat, ("repeat",) + MEASURED))
    (folder / SUMMARY).write_text(json_text({"format_version": FORMAT_VERSION, **summary}))


def write_spectrum(folder: Path, rows: list[dict], values: np.ndarray) -> None:
    """spectrum.csv (per sample: quantiles of the Jacobian's singular values, mean and variance of their squares,
    condition number) and singular_values.csv (every value: sample, rank from 1 = largest, sv)."""
    (folder / SPECTRUM).write_text(csv_text(rows, jacobian.COLUMNS))
    flat = [{"sample": s, "rank": k + 1, "sv": float(v)} for s, sv in enumerate(values) for k, v in enumerate(sv)]
    (folder / SINGULAR_VALUES).write_text(csv_text(flat, ("sample", "rank", "sv")))


def write_modules(folder: Path, rows: list[dict], per_repeat: list[list[dict]]) -> None:
    """modules.csv (a torch model's module rows) and, with repeats, modules_repeats.csv."""
    (folder / MODULES).write_text(csv_text(rows, module_rows.COLUMNS))
    if len(per_repeat) > 1:
        flat = [{"repeat": r, **row} for r, rep in enumerate(per_repeat) for row in rep]
        (folder / MODULE_REPEATS).write_text(csv_text(flat, ("repeat",) + module_rows.COLUMNS))


# --- reading -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Saved:
    """A run directory read back: its spec, layers.csv rows and, with repeats, the rows per repeat."""

    path: Path
    spec: Any
    rows: list[dict]
    per_repeat: list[list[dict]]
    scalars: dict[str, float | None] = field(default_factory=dict)  # summary.json's (beyond the headline)


def _parse_cell(column: str, text: str) -> Any:
    if text == "":
        return None
    if column in module_rows.TEXT:
        return text
    return int(text) if column in INTEGER or column == "repeat" else float(text)


def read_csv(path: Path) -> list[dict]:
    """The rows of a CSV this module wrote; a short, long or unparsable row is a damaged file."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    try:
        if any(None in row or None in row.values() for row in rows):
            raise ValueError("a row has more or fewer cells than the header")
        return [{k: _parse_cell(k, v) for k, v in row.items()} for row in rows]
    except ValueError as exc:
        raise ActinitError(f"{path}: damaged ({exc}); re-run the spec") from None


def is_run_dir(path: Path) -> bool:
    """Whether `path` looks like a directory `actinit run` wrote (its core files are there)."""
    return not _missing(Path(path))


def _missing(path: Path) -> list[str]:
    table = LAYERS if (path / LAYERS).is_file() or not (path / MODULES).is_file() else MODULES
    return [f for f in (SUMMARY, table, SPEC) if not (path / f).is_file()]


def load(path: Path) -> Saved:
    """Read a run directory back, refusing one that is incomplete, damaged or from another format version."""
    from actinit_cli.run import spec as specs

    path = Path(path)
    missing = _missing(path)
    if missing:
        raise ActinitError(f"{path}: not a complete run directory (missing {', '.join(missing)}); "
                           f"pass a spec or a directory written by `actinit run`")
    doc = _read(path / SUMMARY, lambda f: json.loads(f.read_text()))
    if not isinstance(doc, dict):
        raise ActinitError(f"{path}/{SUMMARY}: damaged (not a JSON object); re-run the spec")
    if doc.get("format_version") != FORMAT_VERSION:
        raise ActinitError(f"{path}: written by an incompatible actinit (format {shown(doc.get('format_version'))}, "
                           f"this one reads {FORMAT_VERSION}); re-run its spec")
    if not isinstance(doc.get("spec"), dict):
        raise ActinitError(f"{path}/{SUMMARY}: damaged (no spec mapping in it); re-run the spec")
    try:
        saved_spec = specs.from_mapping(doc["spec"], source=str(path / SUMMARY))
    except ActinitError as exc:
        raise ActinitError(f"{path}/{SUMMARY}: damaged (its spec does not validate: {exc}); re-run the spec") from None
    scalars = _scalars(doc, path)
    if saved_spec.torch:  # checks read the module rows (a plain MLP's layers.csv is a view beside them)
        return _load_modules(path, saved_spec, scalars, doc.get("modules"))
    rows = _read(path / LAYERS, read_csv)
    flat = _read(path / REPEATS, read_csv) if (path / REPEATS).is_file() else None
    _check_rows(rows, saved_spec.sizes, f"{path}/{LAYERS}", NAMES)
    per_repeat = [rows]
    if saved_spec["repeats"] > 1:
        per_repeat = _repeats(flat, saved_spec, path)
    return Saved(path, saved_spec, rows, per_repeat, scalars)


def _scalars(doc: dict, path: Path) -> dict[str, float | None]:
    """summary.json's run-level quantities: a mapping of known names to numbers or null."""
    from actinit_cli.nn import scalars

    value = scalars.parse(doc.get("scalars", {}))
    if value is None:
        raise ActinitError(f"{path}/{SUMMARY}: damaged (scalars is not a mapping of known quantities to numbers); "
                           f"re-run the spec")
    return value


def _read(file: Path, parse: Any) -> Any:
    """parse(file), or a one-line error naming the file (not JSON, not UTF-8, unreadable)."""
    try:
        return parse(file)
    except ActinitError:
        raise
    except (ValueError, OSError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors;
        # RecursionError: JSON nested deeper than Python's recursion limit
        why = " ".join(str(exc).split())[:120]
        raise ActinitError(f"{file}: unreadable run directory file ({why}); re-run the spec") from None


def _load_modules(path: Path, saved_spec: Any, scalars: dict[str, float | None], listed: Any) -> Saved:
    """A torch run's module rows: rows 0..N in order, every column, a count of inf/nan (per repeat too), and the
    modules summary.json `listed` (a modules.csv cut after a whole row would otherwise read as a shorter model)."""
    rows = _read(path / MODULES, read_csv)
    names = [m.get("module") if isinstance(m, dict) else None for m in listed] if isinstance(listed, list) else None
    if names is None:
        raise ActinitError(f"{path}/{SUMMARY}: damaged (no list of modules in it); re-run the spec")
    if names != [r.get("module") for r in rows]:
        raise ActinitError(f"{path}/{MODULES}: damaged (not the {len(names)} module rows summary.json lists); "
                           f"re-run the spec")
    flat = _read(path / MODULE_REPEATS, read_csv) if saved_spec["repeats"] > 1 else None
    tables = [rows] + ([[r for r in flat if r["repeat"] == k] for k in range(saved_spec["repeats"])] if flat else [])
    for table in tables:
        if (not table or any(c not in table[0] for c in module_rows.COLUMNS)
                or [r["layer"] for r in table] != list(range(len(table)))
                or [r["module"] for r in table] != [r["module"] for r in rows]
                or any(r["nonfinite"] is None for r in table)):
            raise ActinitError(f"{path}/{MODULES}: damaged (rows 0..N in order with every column, and per repeat "
                               f"the same modules); re-run the spec")
    return Saved(path, saved_spec, rows, tables[1:] if flat else [rows], scalars)


def _check_rows(rows: list[dict], sizes: list[int], where: str, columns: tuple[str, ...]) -> None:
    """One row per layer 0..depth+1, in order, with the right widths, every column, and a count of inf/nan."""
    damaged = (not rows or any(c not in rows[0] for c in columns)
               or [r["layer"] for r in rows] != list(range(len(sizes)))
               or [r["width"] for r in rows] != list(sizes)
               or any(r["nonfinite"] is None for r in rows))
    if damaged:
        raise ActinitError(f"{where}: damaged (expected {len(sizes)} rows for layers 0..{len(sizes) - 1} with every "
                           f"column); re-run the spec")


def _repeats(flat: list[dict] | None, saved_spec: Any, path: Path) -> list[list[dict]]:
    where = f"{path}/{REPEATS}"
    if flat is None or not flat or "repeat" not in flat[0]:
        raise ActinitError(f"{where}: missing or damaged for a run with {saved_spec['repeats']} repeats; re-run the spec")
    per_repeat = [[r for r in flat if r["repeat"] == k] for k in range(saved_spec["repeats"])]
    for rows in per_repeat:
        _check_rows(rows, saved_spec.sizes, where, MEASURED)
    return per_repeat
