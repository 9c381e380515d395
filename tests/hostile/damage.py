"""Ways to damage a run directory, as tables of (id, harm(folder), what the message must name)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path


def header(path: Path) -> list[str]:
    return next(csv.reader(path.open()))


def rows(path: Path) -> list[list[str]]:
    return list(csv.reader(path.open()))


def write_rows(path: Path, table: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(table)
    path.write_text(buf.getvalue())


def drop_column(path: Path, column: str) -> None:
    table = rows(path)
    i = table[0].index(column)
    write_rows(path, [r[:i] + r[i + 1:] for r in table])


def reorder(path: Path, order: list[int]) -> None:
    table = rows(path)
    write_rows(path, [table[0]] + [table[1 + k] for k in order] + table[1 + len(order):])


def set_cell(path: Path, row: int, column: str, value: str) -> None:
    table = rows(path)
    table[1 + row][table[0].index(column)] = value
    write_rows(path, table)


def summary(change) -> callable:
    """Replace summary.json by change(the document) (a function) or by a fixed value."""
    def harm(folder: Path) -> None:
        doc = json.loads((folder / "summary.json").read_text())
        new = change(doc) if callable(change) else change
        (folder / "summary.json").write_text(json.dumps(new))
    return harm


def without(key: str) -> callable:
    return summary(lambda doc: {k: v for k, v in doc.items() if k != key})


def spec_with(key: str, value) -> callable:
    return summary(lambda doc: {**doc, "spec": {**doc["spec"], key: value}})


def text(name: str, content) -> callable:
    def harm(folder: Path) -> None:
        (folder / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    return harm


def cut(name: str, keep: float) -> callable:
    """Keep the first `keep` fraction of the file's bytes (not on a row boundary)."""
    def harm(folder: Path) -> None:
        data = (folder / name).read_bytes()
        (folder / name).write_bytes(data[:int(len(data) * keep)])
    return harm


def remove(name: str) -> callable:
    return lambda folder: (folder / name).unlink()


def replace_by_folder(name: str) -> callable:
    def harm(folder: Path) -> None:
        (folder / name).unlink()
        (folder / name).mkdir()
    return harm


def csv_edit(name: str, edit, *args) -> callable:
    return lambda folder: edit(folder / name, *args)


def first_row_only(path: Path) -> None:
    write_rows(path, rows(path)[:2])


def duplicate_row(path: Path) -> None:
    table = rows(path)
    write_rows(path, table[:2] + table[1:])


def header_only(path: Path) -> None:
    write_rows(path, rows(path)[:1])


def extra_row(path: Path) -> None:
    table = rows(path)
    write_rows(path, table + [table[-1]])


SUMMARY = r"summary\.json"
LAYERS = r"layers\.csv"
ONE_REPEAT = [
    ("summary is a list", summary([]), SUMMARY),
    ("summary is null", summary(None), SUMMARY),
    ("summary is a number", summary(3), SUMMARY),
    ("summary is a string", summary("run"), SUMMARY),
    ("summary is empty", text("summary.json", ""), SUMMARY),
    ("summary is not JSON", text("summary.json", "{format_version: 1"), SUMMARY),
    ("summary is not UTF-8", text("summary.json", b"\xff\xfe{}"), SUMMARY),
    ("summary nested too deep", text("summary.json", "[" * 100_000 + "]" * 100_000), SUMMARY),
    ("summary is a folder", replace_by_folder("summary.json"), SUMMARY),
    ("summary missing", remove("summary.json"), SUMMARY),
    ("summary without format_version", without("format_version"), SUMMARY + "|format"),
    ("format_version is text", summary(lambda d: {**d, "format_version": "1"}), SUMMARY + "|format"),
    ("summary without spec", without("spec"), SUMMARY),
    ("spec is null", summary(lambda d: {**d, "spec": None}), SUMMARY),
    ("spec is a list", summary(lambda d: {**d, "spec": [1]}), SUMMARY),
    ("spec is text", summary(lambda d: {**d, "spec": "h.yaml"}), SUMMARY),
    ("spec with a bad depth", summary(lambda d: {**d, "spec": {**d["spec"], "model": {"depth": -1}}}), SUMMARY),
    ("spec with an unknown key", spec_with("modle", {}), SUMMARY),
    ("spec with a bad check", spec_with("checks", [{"quantity": "nope", "max": 1}]), SUMMARY),
    ("spec of another depth", spec_with("model", {"depth": 5, "width": 4}), LAYERS),
    ("layers.csv missing", remove("layers.csv"), LAYERS),
    ("layers.csv empty", text("layers.csv", ""), LAYERS),
    ("layers.csv header only", csv_edit("layers.csv", header_only), LAYERS),
    ("layers.csv cut mid-header", cut("layers.csv", 0.05), LAYERS),
    ("layers.csv cut mid-row", cut("layers.csv", 0.5), LAYERS),
    ("layers.csv cut mid-last-row", cut("layers.csv", 0.9), LAYERS),
    ("layers.csv one row", csv_edit("layers.csv", first_row_only), LAYERS),
    ("layers.csv a row twice", csv_edit("layers.csv", duplicate_row), LAYERS),
    ("layers.csv an extra row", csv_edit("layers.csv", extra_row), LAYERS),
    ("layers.csv rows 1 and 2 swapped", csv_edit("layers.csv", reorder, [0, 2, 1, 3]), LAYERS),
    ("layers.csv without layer", csv_edit("layers.csv", drop_column, "layer"), LAYERS),
    ("layers.csv without width", csv_edit("layers.csv", drop_column, "width"), LAYERS),
    ("layers.csv without nonfinite", csv_edit("layers.csv", drop_column, "nonfinite"), LAYERS),
    ("layers.csv without act_m2", csv_edit("layers.csv", drop_column, "act_m2"), LAYERS),
    ("layers.csv without pred_act_m2", csv_edit("layers.csv", drop_column, "pred_act_m2"), LAYERS),
    ("layers.csv without outside_band", csv_edit("layers.csv", drop_column, "outside_band"), LAYERS),
    ("layers.csv layer 1.5", csv_edit("layers.csv", set_cell, 1, "layer", "1.5"), LAYERS),
    ("layers.csv layer empty", csv_edit("layers.csv", set_cell, 1, "layer", ""), LAYERS),
    ("layers.csv width changed", csv_edit("layers.csv", set_cell, 1, "width", "5"), LAYERS),
    ("layers.csv nonfinite empty", csv_edit("layers.csv", set_cell, 1, "nonfinite", ""), LAYERS),
    ("layers.csv nonfinite text", csv_edit("layers.csv", set_cell, 1, "nonfinite", "many"), LAYERS),
    ("layers.csv act_m2 text", csv_edit("layers.csv", set_cell, 1, "act_m2", "big"), LAYERS),
    ("layers.csv not UTF-8", text("layers.csv", b"layer,width\n\xff\xfe\n"), LAYERS),
    ("layers.csv a NUL byte", text("layers.csv", b"layer,width\n0,\x004\n"), LAYERS),
    ("layers.csv is a folder", replace_by_folder("layers.csv"), LAYERS),
    ("spec.yaml missing", remove("spec.yaml"), r"spec\.yaml"),
]

REPEATS = r"layers_repeats\.csv"
TWO_REPEATS = [
    ("layers_repeats.csv missing", remove("layers_repeats.csv"), REPEATS),
    ("layers_repeats.csv empty", text("layers_repeats.csv", ""), REPEATS),
    ("layers_repeats.csv cut mid-row", cut("layers_repeats.csv", 0.6), REPEATS),
    ("layers_repeats.csv without repeat", csv_edit("layers_repeats.csv", drop_column, "repeat"), REPEATS),
    ("layers_repeats.csv without act_m2", csv_edit("layers_repeats.csv", drop_column, "act_m2"), REPEATS),
    ("layers_repeats.csv one repeat", csv_edit("layers_repeats.csv", lambda p: write_rows(p, rows(p)[:5])), REPEATS),
    ("layers_repeats.csv repeat text", csv_edit("layers_repeats.csv", set_cell, 0, "repeat", "first"), REPEATS),
    ("layers_repeats.csv is a folder", replace_by_folder("layers_repeats.csv"), REPEATS),
]
