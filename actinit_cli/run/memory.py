"""Keep freed memory for reuse: a run allocates and frees the same few-MB arrays in every layer.

glibc returns the top of the heap to the kernel as soon as 2 x its (adaptive) mmap threshold is free,
so two 4 MiB temporaries freed together are unmapped, and mapped and page-faulted again for the next
layer: `1 - y * y` on a 1024 x 1024 float32 array took 3.1 ms instead of 0.27 ms (measured).
Fixing the thresholds keeps such arrays in the heap, and lets the next batch, or the next run of a
sweep worker, reuse the pages of the last one's tape instead of faulting in hundreds of MB again.
A no-op where mallopt does not exist (not glibc).

It also stops NumPy asking for transparent huge pages (madvise(MADV_HUGEPAGE) on every array of 4 MiB or
more): where the kernel cannot hand out a huge page at once (THP `defrag=madvise`, fragmented or ballooned
guest memory) each fault stalls in compaction. Touching 400 MB of fresh arrays took 1.71 s with it and
0.14 s without on the 2-core reference VM (no huge page was granted either way: AnonHugePages stayed 0),
and a run's first pass faults in its whole tape. NUMPY_MADVISE_HUGEPAGE=1 in the environment keeps NumPy's
default.
"""

from __future__ import annotations

import ctypes
import os


M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc <malloc.h>
MMAP_THRESHOLD = 32 * 2**20  # glibc's largest allowed value on 64-bit: arrays up to 32 MiB come from the heap
TRIM_THRESHOLD = 2**30  # keep up to 1 GiB of freed heap: the next layer, batch or run (sweep worker) reuses it
_done = False


def keep_freed_memory() -> bool:
    """Set the thresholds once per process (and NumPy's huge-page advice off); return whether the C library
    accepted the thresholds."""
    global _done
    if _done:
        return True
    small_pages()
    try:
        libc = ctypes.CDLL(None)  # the running program's symbols, libc's included (find_library forks ldconfig)
        _done = bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
            libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    except (OSError, AttributeError):
        _done = False
    return _done


def small_pages() -> bool:
    """NumPy's huge-page advice off, unless NUMPY_MADVISE_HUGEPAGE is set; whether it is now off."""
    if os.environ.get("NUMPY_MADVISE_HUGEPAGE") is not None:
        return os.environ["NUMPY_MADVISE_HUGEPAGE"] == "0"
    os.environ["NUMPY_MADVISE_HUGEPAGE"] = "0"  # the processes this one starts (sweep workers) read it at import
    import numpy as np

    core = getattr(np, "_core", None) or np.core  # numpy >= 2 / 1.x: the setter behind that variable
    setter = getattr(core.multiarray, "_set_madvise_hugepage", None)
    if setter is None:
        return False
    setter(False)
    return True
