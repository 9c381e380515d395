"""Where a sweep's points run, one entry per `--executor`: `local` worker processes (sweep/pool.py), or a
`dask` cluster (sweep/cluster.py, imported only when chosen, so the extra costs nothing otherwise)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Callable, ContextManager, Iterator

from actinit_cli.sweep.plan import Plan
from actinit_cli.sweep.pool import Runner


@dataclass(frozen=True)
class Session:
    """A sweep ready to run: its plan (jobs = the workers' threads), the runner that sends points to the
    workers (None: the local pool), and the cluster's dashboard link and scheduler address, if any."""

    plan: Plan
    runner: Runner | None = None
    dashboard: str | None = None
    address: str | None = None


@contextlib.contextmanager
def _local(plan: Plan, scheduler: str | None) -> Iterator[Session]:
    yield Session(plan)


def _dask(plan: Plan, scheduler: str | None) -> ContextManager[Session]:
    from actinit_cli.sweep import cluster

    return cluster.session(plan, scheduler)


EXECUTORS: dict[str, Callable[[Plan, str | None], ContextManager[Session]]] = {"local": _local, "dask": _dask}


def session(executor: str, plan: Plan, scheduler: str | None = None) -> ContextManager[Session]:
    """`with session("dask", plan, address) as s:` connects (exit 2 if it cannot), checks every point
    against the workers, and closes the cluster on the way out."""
    return EXECUTORS[executor](plan, scheduler)
