"""A training spec's data: the task drawn or read, split into train and test, inputs standardised on the
training split, targets shaped for the loss; and the spec completed from the data (loss, input and output
widths when the spec leaves them out). Every refusal happens here, before the first step.

Standardisation: x <- (x - mean_train) / std_train per feature (a constant feature: std 1); regression
targets likewise, so a loss of 1 is the variance of the targets and a ratio of losses reads the same on
every task.
"""

from __future__ import annotations

import csv
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from actinit_cli.errors import ActinitError
from actinit_cli.nn import tasks
from actinit_cli.nn.tasks import KINDS, Data
from actinit_cli.run import files, spec as specs

MAX_CLASSES = 1000  # integer targets with a value this large or larger read as regression (one output per class)


@dataclass(frozen=True)
class Split:
    """Train and test inputs and loss targets; `labels` (classification) for the accuracy, and the kind."""

    x_train: np.ndarray
    t_train: np.ndarray
    x_test: np.ndarray
    t_test: np.ndarray
    labels_train: np.ndarray | None
    labels_test: np.ndarray | None
    kind: str
    outputs: int


def draw(task: object, rng: np.random.Generator, folder: Path, where: Callable[[str], str] = str) -> Data:
    """The whole data set of a task reference: a named task, {file: x.npz} or {csv: x.csv, target: y};
    `where` labels a field for an error message (a spec's: 'spec.yaml:3: train.task.file')."""
    if isinstance(task, dict) and "file" in task:
        return _npz(folder / task["file"], where("train.task.file"), str(task["file"]))
    if isinstance(task, dict) and "csv" in task:
        return _csv(folder / task["csv"], task["target"], where)
    return tasks.generate(task, rng)


MAX_FILE = 1 << 30  # a user's data file: at most 1 GiB


def _regular(path: Path, where: str) -> None:
    """A regular file of at most MAX_FILE bytes (a FIFO or a device would block or never end)."""
    if not files.looks(Path.is_file, path, where):
        raise ActinitError(f"{where}: {str(path)!r} is not a file; give the path of "
                           f"{'a .csv' if where.endswith('.csv') else 'an .npz archive'} (relative to the spec's folder)")
    if path.stat().st_size > MAX_FILE:
        raise ActinitError(f"{where}: {str(path)!r} is larger than 1 GiB; use a sample of it")


# What np.load raises on a damaged archive: a truncated or foreign file, a bad CRC, a corrupt deflate stream.
UNREADABLE = (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error)


def _npz(path: Path, where: str, given: str) -> Data:
    _regular(path, where)
    if path.suffix.lower() == ".csv":  # NumPy would say "pickled (object) data" of a text file
        raise ActinitError(f"{where}: {str(path)!r} is a CSV file; give it as train.task: {{csv: {given}, "
                           f"target: COLUMN}}, or an .npz archive under file:")
    try:
        loaded = np.load(path, allow_pickle=False)
        arrays = _named(loaded) if hasattr(loaded, "files") else {}  # a .npy: one unnamed array
    except UNREADABLE as exc:
        reason = ' '.join(str(exc).split())[:100] or type(exc).__name__
        raise ActinitError(f"{where}: cannot read {str(path)!r} as .npz ({reason}); give an archive written by "
                           f"numpy.savez(path, x=..., y=...)") from None
    if set(arrays) != {"x", "y"}:
        raise ActinitError(f"{where}: {str(path)!r} needs arrays named x (samples, features) and y (targets)")
    x, y = arrays["x"], arrays["y"]
    if x.ndim != 2 or y.ndim not in (1, 2) or len(y) != len(x) or not (_real(x) and _real(y)):
        raise ActinitError(f"{where}: x must be real numbers (samples, features) and y real numbers with as many "
                           f"rows; got x {x.shape} {x.dtype}, y {y.shape} {y.dtype}")
    return infer(x.astype(np.float64), y, where)


def _named(archive: np.lib.npyio.NpzFile) -> dict[str, np.ndarray]:
    """Arrays x and y of an archive, those that are there (read here: a damaged member raises as it is read)."""
    with archive as f:
        return {k: f[k] for k in ("x", "y") if k in f.files}


def _real(a: np.ndarray) -> bool:
    return np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)


def _csv(path: Path, target: str, where: Callable[[str], str]) -> Data:
    field = where("train.task.csv")
    _regular(path, field)
    try:
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:  # csv.Error: a cell beyond csv's field size limit
        raise ActinitError(f"{field}: cannot read {str(path)!r} ({getattr(exc, 'strerror', None) or exc})") from None
    header, body = [h.strip() for h in rows[0]] if rows else [], [r for r in rows[1:] if r]
    if len(body) < 2:
        raise ActinitError(f"{field}: {str(path)!r} needs a header row and at least two data rows")
    if target not in header:
        raise ActinitError(f"{where('train.task.target')}: no column {target!r} in {str(path)!r} (columns: "
                           f"{', '.join(header)[:120]})")
    ragged = next((i for i, r in enumerate(body, start=2) if len(r) != len(header)), None)
    if ragged is not None:
        raise ActinitError(f"{field}: {str(path)!r} row {ragged} has {len(body[ragged - 2])} cells, its "
                           f"header {len(header)}; give every row one cell per column")
    try:
        values = np.array([[float(c) for c in r] for r in body], dtype=np.float64)
    except ValueError as exc:
        raise ActinitError(f"{field}: {str(path)!r} has a value that is not a number ({exc})") from None
    col = header.index(target)
    return infer(np.delete(values, col, axis=1), values[:, col], where("train.task"))


def infer(x: np.ndarray, y: np.ndarray, where: str) -> Data:
    """A user's data: integer targets 0/1 are binary, other non-negative integers below MAX_CLASSES multi-class
    labels (one output each: a label of 1e9 would be a billion outputs), anything else regression (a spec's
    loss overrides this, see `fit`)."""
    if len(x) < 2 or x.shape[1] < 1:
        raise ActinitError(f"{where}: the data has {len(x)} rows of {x.shape[1]} features; a training run needs at "
                           f"least 2 rows (train and test) and 1 feature")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ActinitError(f"{where}: the data has nan or inf values")
    with np.errstate(over="ignore", invalid="ignore"):  # standardising needs each column's std
        spread = [a.astype(np.float64).std(axis=0) for a in (x, y)]
    if not all(np.all(np.isfinite(s)) for s in spread):
        raise ActinitError(f"{where}: values too large to standardise (their squares overflow float64); rescale "
                           f"the data")
    if y.ndim == 1 and _whole(y) and y.max() < MAX_CLASSES:
        labels = y.astype(np.int64)
        kind = "binary" if labels.max() <= 1 else "multiclass"
        return Data(x, labels, kind, int(labels.max()) + 1 if kind == "multiclass" else 2)
    return Data(x, y.astype(np.float64).reshape(len(y), -1), "regression")


def _whole(y: np.ndarray) -> bool:
    """Whether every target is a non-negative integer (a class label, if below MAX_CLASSES)."""
    return bool(y.size) and bool(np.all(y == np.round(y))) and y.min() >= 0


def _not_labels(y: np.ndarray) -> str:
    """What regression targets are, in words: integers read as regression for their size (see `infer`), or reals."""
    flat = y.reshape(-1)
    if _whole(flat) and flat.max() >= MAX_CLASSES:
        return f"integers up to {flat.max():.0f}, and only labels below {MAX_CLASSES:,} are classes (one output each)"
    return "real numbers (regression)"


def targets(d: Data, loss: str, field: str = "loss") -> tuple[np.ndarray, int]:
    """Loss targets for the data (all rows) and the output width they need; refuses labels that do not fit,
    naming `field` (the spec's `loss`, with its file and line)."""
    if loss == "random_projection":
        raise ActinitError(f"{field}: random_projection is not a training loss; use mse, cross_entropy or "
                           "binary_cross_entropy, or leave loss out for the task's own")
    if d.kind == "regression":
        if loss != "mse":
            raise ActinitError(f"{field}: {loss} needs class labels, but the task's targets are {_not_labels(d.y)}; "
                               f"use loss: mse or leave loss out")
        return d.y, d.y.shape[1]
    if loss == "cross_entropy":
        return d.y, d.classes
    outputs = 1 if d.kind == "binary" else d.classes
    onehot = d.y[:, None].astype(np.float64) if outputs == 1 else np.eye(outputs)[d.y]
    return onehot, outputs


def split(d: Data, loss: str, test_fraction: float, rng: np.random.Generator, dtype: np.dtype) -> Split:
    """Shuffle, hold out round(test_fraction n) samples (at least one each side), standardise, shape targets."""
    n = len(d.x)
    n_test = min(max(1, round(test_fraction * n)), n - 1)  # n >= 2: a task's samples field, `infer` for files
    order = rng.permutation(n)
    test, train = order[:n_test], order[n_test:]
    t, outputs = targets(d, loss)
    x = _standard(d.x, train)
    if d.kind == "regression":
        t = _standard(t, train)
    labels = d.y if d.kind != "regression" else None
    cast = (lambda a: a) if loss == "cross_entropy" else (lambda a: a.astype(dtype))
    return Split(x[train].astype(dtype), cast(t[train]), x[test].astype(dtype), cast(t[test]),
                 None if labels is None else labels[train], None if labels is None else labels[test], d.kind, outputs)


def _standard(a: np.ndarray, train: np.ndarray) -> np.ndarray:
    mean, std = a[train].mean(axis=0), a[train].std(axis=0)
    return (a - mean) / np.where(std > 0, std, 1.0)


def complete(spec: specs.Spec, d: Data) -> specs.Spec:
    """The spec with what the data decides filled in (loss from the task's kind, model.input_dim from its
    features, model.output_dim from its targets), re-validated; a width the spec states must match."""
    raw = dict(spec.raw)
    model = dict(raw.get("model") or {})
    loss = raw.get("loss") or KINDS[d.kind]
    _, outputs = targets(d, loss, spec.where("loss"))
    for key, need in (("input_dim", d.x.shape[1]), ("output_dim", outputs)):
        given = model.get(key)
        if given is not None and given != need:
            raise ActinitError(f"{spec.where(f'model.{key}')}: {given}, but the task's data needs {need}; "
                               f"set it to {need} or leave it out")
        model[key] = need
    raw.update(model=model, loss=loss)
    return specs.validate(raw, spec.lines, spec.name)


def accuracy(y: np.ndarray, labels: np.ndarray | None) -> float | None:
    """Share of samples whose predicted class is the label: argmax over outputs, or y >= 0.5 with one output."""
    if labels is None:
        return None
    pred = (y[:, 0] >= 0.5).astype(np.int64) if y.shape[1] == 1 else np.argmax(y, axis=1)
    return float(np.mean(pred == labels))
