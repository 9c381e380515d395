"""How many threads NumPy's BLAS uses, set for a stretch of work (OpenBLAS, what NumPy's wheels ship).

Threaded BLAS pays off on large products only. A training run makes thousands of small ones (width 64,
batch 64), and on a 2-core machine whose other core is busy each threaded product waits for a worker
that is not scheduled: `actinit train configs/train_he_fig3_he.yaml` took 9.5 s instead of 1.2 s with
one thread (measured beside another busy process). OpenBLAS reads OPENBLAS_NUM_THREADS only when it is
loaded, so the count is changed through its own openblas_set_num_threads, found by name in the loaded
library (numpy >= 2: `scipy_openblas_*64_`; numpy 1.x: `openblas_*64_`); elsewhere (MKL, Accelerate, no
/proc) nothing changes.
"""

from __future__ import annotations

import ctypes
from contextlib import contextmanager
from typing import Callable, Iterator

NAMES = [(f"{prefix}openblas_get_num_threads{suffix}", f"{prefix}openblas_set_num_threads{suffix}")
         for prefix in ("scipy_", "") for suffix in ("64_", "")]


def _openblas() -> tuple[Callable[[], int], Callable[[int], None]] | None:
    """(get, set) of the OpenBLAS loaded in this process (numpy imported first), or None."""
    import numpy  # noqa: F401  (loads NumPy's BLAS)

    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower() and ".so" in line}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for get, set_ in NAMES:
            if hasattr(lib, get) and hasattr(lib, set_):
                return getattr(lib, get), getattr(lib, set_)
    return None


def threads() -> int | None:
    """The BLAS's current thread count, or None where it cannot be read."""
    found = _openblas()
    return int(found[0]()) if found else None


@contextmanager
def limited(count: int) -> Iterator[bool]:
    """At most `count` BLAS threads inside the block, restored after; yields whether the limit took effect."""
    found = _openblas()
    if found is None:
        yield False
        return
    get, set_ = found
    before = int(get())
    set_(min(count, before))
    try:
        yield True
    finally:
        set_(before)
