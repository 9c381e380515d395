"""Keep freed memory for reuse: a run allocates and frees the same few-MB arrays in every layer.

glibc returns the top of the heap to the kernel as soon as 2 x its (adaptive) mmap threshold is free,
so two 4 MiB temporaries freed together are unmapped, and mapped and page-faulted again for the next
layer: `1 - y * y` on a 1024 x 1024 float32 array took 3.1 ms instead of 0.27 ms (measured).
Fixing the thresholds keeps such arrays in the heap, and lets the next batch, or the next run of a
sweep worker, reuse the pages of the last one's tape instead of faulting in hundreds of MB again.
A no-op where mallopt does not exist (not glibc).
"""

from __future__ import annotations

import ctypes


M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc <malloc.h>
MMAP_THRESHOLD = 32 * 2**20  # glibc's largest allowed value on 64-bit: arrays up to 32 MiB come from the heap
TRIM_THRESHOLD = 2**30  # keep up to 1 GiB of freed heap: the next layer, batch or run (sweep worker) reuses it
_done = False


def keep_freed_memory() -> bool:
    """Set the thresholds once per process; return whether the C library accepted them."""
    global _done
    if _done:
        return True
    try:
        libc = ctypes.CDLL(None)  # the running program's symbols, libc's included (find_library forks ldconfig)
        _done = bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
            libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    except (OSError, AttributeError):
        _done = False
    return _done
