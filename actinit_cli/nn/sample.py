"""One draw of an initializer and what it should look like: the data behind `actinit sample`."""

from __future__ import annotations

import io
import json
import math
from dataclasses import asdict, dataclass
from typing import Any, Mapping

import numpy as np

from actinit_cli.nn import initializers
from actinit_cli import resources
from actinit_cli.errors import ActinitError
from actinit_cli.nn.initializers import Expected
from actinit_cli.nn.shapes import check_dtype, check_shape

@dataclass(frozen=True)
class Draw:
    """Sampled values with the formula's expectation and the sample's own statistics."""

    name: str
    params: Mapping[str, Any]
    shape: tuple[int, ...]
    dtype: str
    seed: int
    values: np.ndarray
    expected: Expected

    def summary(self) -> dict[str, float]:
        """Mean, std, min and max, computed on values scaled by their largest magnitude so that values near
        the float64 limit (U[-1e308, 1e308)) give a finite std instead of overflowing in the squares."""
        v = self.values.astype(np.float64)
        finite = np.abs(v[np.isfinite(v)])
        scale = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
        with np.errstate(all="ignore"):  # inf/nan values give inf/nan statistics, as they should
            u = v / scale
            return {"mean": float(u.mean()) * scale, "std": float(u.std()) * scale, "min": float(v.min()),
                    "max": float(v.max())}


TEXT_VALUES = 1 << 22  # json and csv: at most 4,194,304 values (about 100 MB of text); npy has no such cap
# Peak bytes per value while drawing and writing: float64 draws and their cast (16 + itemsize), plus for text
# the Python floats and the text itself (json builds a list of floats: ~60 bytes a value; csv ~30).
BYTES_PER_VALUE = {"text": 16, "npy": 16, "csv": 46, "json": 76}


def check_request(shape: tuple[int, ...], dtype: str, fmt: str) -> None:
    """Refuse a draw whose output or memory would be too large, before anything is allocated."""
    shape = check_shape(tuple(shape))
    n = math.prod(shape)
    if fmt in ("json", "csv") and n > TEXT_VALUES:
        raise ActinitError(f"--shape: {n:,} values as {fmt} text is more than {TEXT_VALUES:,}; use --format npy "
                           f"--output FILE.npy, or a smaller shape")
    need = n * (BYTES_PER_VALUE[fmt] + check_dtype(dtype).itemsize)
    resources.check_fits(need, f"--shape {' '.join(map(str, shape))} as {fmt}", "use a smaller --shape")


def fresh_seed() -> int:
    """A new seed from the OS entropy pool, small enough to type back in with --seed."""
    return int(np.random.SeedSequence().entropy % 2**32)


def draw(ref: Any, shape: tuple[int, ...], seed: int | None = None, dtype: str = "float32") -> Draw:
    """Sample initializer `ref` (a name or {name: ..., params}) at `shape` with `np.random.default_rng(seed)`."""
    dtype_ = check_dtype(dtype)
    shape = check_shape(tuple(shape))
    entry, params = initializers.REGISTRY.resolve(ref, "--param" if isinstance(ref, dict) else None)
    init = entry.make(**params)
    seed = fresh_seed() if seed is None else seed
    if seed < 0:
        raise ActinitError(f"--seed: must be >= 0, got {seed}")
    values = init(np.random.default_rng(seed), shape, dtype_)
    return Draw(entry.name, params, shape, dtype_.name, seed, values, init.expected(shape))


def as_json(d: Draw) -> str:
    """Everything about a draw, values included, as one JSON document."""
    doc = {"initializer": d.name, "params": dict(d.params), "shape": list(d.shape), "dtype": d.dtype,
           "seed": d.seed, "expected": asdict(d.expected), "sample": d.summary(),
           "values": shortest(d.values)}
    return json.dumps(doc, indent=2)


def shortest(values: np.ndarray) -> Any:
    """Nested lists of the values, each as the shortest decimal that reads back to the same number in
    its dtype (a float32 0.067381 is written so, not as 0.06738100200891495)."""
    flat = [float(np.format_float_positional(v, unique=True, trim="-")) for v in values.reshape(-1)]
    return np.array(flat, dtype=np.float64).reshape(values.shape).tolist()


def as_csv(d: Draw) -> str:
    """Values as CSV: one row per index of the leading axes, shape[-1] columns (rank 0 and 1: one row)."""
    flat = d.values.reshape(-1, d.shape[-1]) if d.values.ndim >= 1 else d.values.reshape(1, 1)
    buf = io.StringIO()
    np.savetxt(buf, flat, delimiter=",", fmt="%.9g")
    return buf.getvalue()


def npy_bytes(values: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, values)
    return buf.getvalue()
