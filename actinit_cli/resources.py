"""What the machine can hold: free memory, and the refusal of work that would not fit, made before
anything is allocated (every command estimates its peak bytes and calls `check_fits`)."""

from __future__ import annotations

import os

from actinit_cli.errors import ActinitError

SHARE = 0.8  # a job may plan to use 80 % of the memory that is free when it starts


def available_bytes() -> int | None:
    """MemAvailable from /proc/meminfo (Linux), else None (no check)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


class NoRoom(ActinitError):
    """check_fits' refusal, its parts kept: a caller that split the free memory (a sweep's --jobs) can say so."""

    def __init__(self, need: int, free: int, what: str, fix: str):
        super().__init__(f"{what} needs about {gib(need)} GiB but only {gib(free)} GiB is free; {fix}")
        self.need, self.free, self.what, self.fix = need, free, what, fix


def check_fits(need: int, what: str, fix: str, available: int | None = None, share: float = SHARE) -> int:
    """Refuse `need` bytes when they exceed `share` of the free memory (`available`, default: measured now),
    with a message naming what needs it and how to shrink it (NoRoom). Returns `need`."""
    free = available_bytes() if available is None else available
    if free is not None and need > share * free:
        raise NoRoom(need, free, what, fix)
    return need


def cores() -> int:
    """CPU cores this process may use (its affinity mask, not the machine's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def gib(n: int) -> str:
    return f"{n / 2**30:.1f}"
