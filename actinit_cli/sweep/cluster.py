"""`actinit sweep --executor dask`: the sweep's points on a Dask cluster, found and checked before
anything runs.

Without an address (`--scheduler`, else Dask's own DASK_SCHEDULER_ADDRESS) a LocalCluster starts with
one single-threaded worker process per core; with one, the scheduler must answer within
CONNECT_TIMEOUT seconds and have workers that run this actinit. Each point's memory estimate is
checked against every worker's own memory limit (from the scheduler); a point goes only to workers it
fits, and a point that fits none is refused. Dask reruns a point whose worker died on another worker,
up to the scheduler's `distributed.scheduler.allowed-failures` (ALLOWED_FAILURES for the LocalCluster).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import math
import re
import threading
import time
import warnings
from dataclasses import dataclass
from typing import Any, Iterator

from actinit_cli import __version__, extras, resources, signals
from actinit_cli.errors import ActinitError
from actinit_cli.run import runner
from actinit_cli.sweep import pool, remote
from actinit_cli.sweep.executors import Session
from actinit_cli.sweep.plan import Plan, Point

CONNECT_TIMEOUT = 5  # seconds to reach a scheduler: long enough for another continent, short for a typo
WORKER_TIMEOUT = 30  # seconds to wait for a first worker when the scheduler has none yet
ALLOWED_FAILURES = 3  # LocalCluster: a point is retried on 3 more workers after its worker dies (Dask's default)
MEMORY_SHARE = 0.8  # as for a local run: a point may use 80 % of its share of the worker's memory limit
# The LocalCluster's workers' environment: one BLAS thread, and the hash seed Dask's nanny gives every worker when
# none is set (6640, distributed/nanny.py: the same str hashes on every worker), also for the fork server they
# come from, which starts before any nanny (`_forkserver`)
WORKER_ENVIRON = {**pool.ONE_THREAD, "PYTHONHASHSEED": "6640"}
# The LocalCluster's settings: Dask's retries, and less bookkeeping beside long NumPy tasks on as many workers
# as cores (its defaults cost 18-25 % more CPU than the local pool, these 3-9 %: benchmarks/bench_dask.py)
LOCAL_CONFIG = {
    "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
    "distributed.worker.profile.enabled": False,  # sampling every thread's stack every 10 ms
    "distributed.admin.tick.interval": "1s",  # event-loop health checks, 20 ms by default
    "distributed.admin.system-monitor.interval": "1s",  # the dashboard's CPU/memory/network samples, 500 ms
    "distributed.scheduler.worker-saturation": 1.0,  # a worker holds only the point it runs; the rest queue
    # one BLAS thread per worker, as in the local pool, whatever the user's Dask config says (set before the
    # worker processes start, so NumPy reads it), and Dask's own hash seed (see WORKER_ENVIRON)
    "distributed.nanny.pre-spawn-environ": WORKER_ENVIRON,
    # workers fork from one server process that has imported Dask and NumPy once (with that environment),
    # instead of each spawning a fresh interpreter: 1-2 s less to start and stop
    "distributed.worker.multiprocessing-method": "forkserver",
}
_ADDRESS = re.compile(r"(?:(tcp|tls|ws|wss)://)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})")


@dataclass(frozen=True)
class Worker:
    """One Dask worker as the scheduler reports it: its address, threads and memory limit (0: none)."""

    address: str
    nthreads: int
    memory_limit: int

    @property
    def budget(self) -> float | None:
        """Bytes one point may use on this worker (its threads share the limit), or None: no limit."""
        return MEMORY_SHARE * self.memory_limit / max(1, self.nthreads) if self.memory_limit else None


def address(text: str, option: str = "--scheduler") -> str:
    """A scheduler address as Dask writes it ('tcp://host:port'); the scheme defaults to tcp."""
    m = _ADDRESS.fullmatch(text.strip())
    if m is None or not 0 < int(m[3]) < 65536:
        raise ActinitError(f"{option}: {text!r} is not a Dask scheduler address; expected tcp://HOST:PORT, "
                           f"e.g. tcp://10.0.0.5:8786")
    return f"{m[1] or 'tcp'}://{m[2]}:{int(m[3])}"


def _target(scheduler: str | None) -> tuple[str | None, str]:
    """(address, where it came from): --scheduler, else Dask's own setting (DASK_SCHEDULER_ADDRESS or its
    config files), else None: a LocalCluster."""
    import dask

    if scheduler:
        return address(scheduler), "--scheduler"
    configured = dask.config.get("scheduler-address", None)
    return (address(str(configured), "DASK_SCHEDULER_ADDRESS"), "DASK_SCHEDULER_ADDRESS") if configured else \
        (None, "--executor dask")


def _local() -> tuple[Any, Any]:
    """A LocalCluster of one single-threaded worker process per core, each with one BLAS thread and the
    settings of LOCAL_CONFIG, and a client of it. Ctrl-C and SIGTERM wait until both have started (about a
    second, `signals.deferred`) and then stop them: a LocalCluster cut short was left to Dask's exit hook,
    which trips on a worker not yet started (an AssertionError traceback, once in 30 Ctrl-Cs)."""
    _forkserver()
    import dask
    from distributed import Client, LocalCluster

    client = cluster = None
    try:
        with dask.config.set(LOCAL_CONFIG), warnings.catch_warnings(), signals.deferred():
            warnings.simplefilter("ignore")  # "port 8787 is in use, using another": the printed link says which
            cluster = LocalCluster(n_workers=resources.cores(), threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address="127.0.0.1:8787",  # this machine only
                                   silence_logs=logging.CRITICAL, preload=[remote.__name__])
            client = Client(cluster, set_as_default=False)
    except BaseException:
        if cluster is not None:
            _close(client, cluster)
        raise
    return client, cluster


def _forkserver() -> None:
    """Start the process the LocalCluster's workers fork from now, with one BLAS thread and NumPy, Dask and
    actinit's worker side imported: it boots on another core while this process imports Dask and starts the
    scheduler and its dashboard, instead of after them (0.2-0.5 s less; benchmarks/bench_dask.py). Dask's own
    later preload setting leaves a running server as it is. A terminal's Ctrl-C reaches the whole process group:
    the server is started inside `signals.deferred()`, so it is born with SIGINT blocked, and so is every worker
    it forks (a mask is inherited), where a Ctrl-C while importing was a traceback; this process acts on it
    once the server is started. multiprocessing's resource tracker is started first, as starting it unblocks
    SIGINT in this thread (multiprocessing/resource_tracker.py), which would let the server be born without."""
    import multiprocessing
    from multiprocessing import forkserver, resource_tracker

    multiprocessing.get_context("forkserver").set_forkserver_preload(["distributed", "numpy", remote.__name__])
    resource_tracker.ensure_running()  # it blocks SIGINT for itself and ignores it
    with pool.environ(WORKER_ENVIRON), signals.deferred():
        forkserver.ensure_running()


def _remote(where: str, source: str) -> Any:
    """A client of the scheduler at `where`, connected within CONNECT_TIMEOUT whatever the peer does. Dask's own
    timeout bounds the TCP connect but not the handshake read after it (distributed 2026.8, comm/core.py
    `connect`): a port that accepts and never answers would hold its Client forever. So a probe on a loop of
    our own, cancelled at the deadline, comes first, and the Client is made in a thread waited on until then."""
    deadline = time.monotonic() + CONNECT_TIMEOUT
    try:
        _handshake(where, CONNECT_TIMEOUT)
        return _client(where, deadline)
    except (OSError, TimeoutError):
        raise ActinitError(f"{source}: cannot reach a Dask scheduler at {where} within {CONNECT_TIMEOUT} s; "
                           f"start one there with `dask scheduler`, or check the address") from None


def _handshake(where: str, seconds: float) -> None:
    """Connect to `where` and complete Dask's handshake within `seconds`, then hang up; OSError if not (also
    for a peer that answers something other than Dask)."""
    import asyncio

    from distributed.comm import connect

    async def hello() -> None:
        comm = await asyncio.wait_for(connect(where, timeout=seconds), seconds)
        await comm.close()

    with _quiet():  # a connection cut short mid-handshake is logged as a "dangling stream" when it is collected
        try:
            asyncio.run(hello())
        except Exception as exc:  # asyncio's TimeoutError (not yet the builtin on 3.10), a closed comm, garbage
            raise OSError(f"no Dask handshake from {where}") from exc


def _client(where: str, deadline: float) -> Any:
    """Dask's Client of `where`, made in a thread of its own and waited for until `deadline` (TimeoutError
    then): Ctrl-C meanwhile is ours at once, and never cuts a Client in half (whose __del__ would wait 10 s
    and print a traceback). A client that arrives after we stopped waiting is closed by that thread."""
    from distributed import Client

    lock, state = threading.Lock(), {"waiting": True}

    def make() -> None:
        try:
            got = (Client(where, timeout=max(0.1, deadline - time.monotonic()), set_as_default=False), None)
        except Exception as exc:
            got = (None, exc)
        with lock:
            state["got"] = got
            late = not state["waiting"]
        if late and got[0] is not None:
            _close(got[0], None)

    thread = threading.Thread(target=make, name="actinit-dask-connect", daemon=True)
    thread.start()
    interrupted = True
    try:
        thread.join(max(0.0, deadline - time.monotonic()))
        interrupted = False
    finally:
        with lock:
            state["waiting"] = False
            client, error = state.get("got", (None, TimeoutError(f"{where} did not answer")))
        if client is not None and interrupted:  # Ctrl-C just as it arrived
            _close(client, None)
    if error is not None:
        raise error
    return client


def workers(client: Any, where: str, source: str = "--scheduler") -> list[Worker]:
    """The scheduler's workers (waiting up to WORKER_TIMEOUT for a first one), each checked to run this
    actinit."""
    try:
        client.wait_for_workers(1, timeout=WORKER_TIMEOUT)
    except TimeoutError:
        raise ActinitError(f"{source}: the Dask scheduler at {where} has no workers (none joined within "
                           f"{WORKER_TIMEOUT} s); start some with: dask worker {where} --nthreads 1") from None
    for addr, got in sorted(client.run(remote.versions, on_error="return").items()):
        if got != __version__:
            why = f"runs actinit {got}" if isinstance(got, str) else f"cannot load actinit ({type(got).__name__})"
            raise ActinitError(f"{source}: Dask worker {addr} {why}; install actinit {__version__} on every "
                               f"worker (pip install \"actinit[dask]\")")
    info = client.scheduler_info(n_workers=-1)["workers"]
    return [Worker(a, int(w["nthreads"]), int(w.get("memory_limit") or 0)) for a, w in sorted(info.items())]


def places(points: list[Point], found: list[Worker]) -> dict[str, list[str] | None]:
    """For each point, the workers whose memory limit it fits (None: every worker, so workers that join
    later may take it too); a point that fits no worker is refused, naming it and the largest limit."""
    out: dict[str, list[str] | None] = {}
    for p in points:
        need = runner.preflight(p.spec, False, math.inf, p.probe)[0]  # the estimate, checked here against each worker
        fits = [w.address for w in found if w.budget is None or need <= w.budget]
        if not fits:
            best = max(found, key=lambda w: w.budget or 0)
            raise ActinitError(
                f"sweep point {p.label}: needs about {need / 2**30:.1f} GiB (depth {p.spec['model.depth']}, widest "
                f"layer {max(p.spec.sizes)}, batch {p.spec['data.batch_size']}) but the largest Dask worker allows "
                f"{best.budget / 2**30:.1f} GiB per point ({MEMORY_SHARE:.0%} of its "
                f"{best.memory_limit / 2**30:.1f} GiB memory limit, shared by its {best.nthreads} thread(s)); reduce "
                f"data.batch_size, model.width or model.depth, or start workers with a larger --memory-limit")
        out[p.label] = None if len(fits) == len(found) else fits
    return out


@contextlib.contextmanager
def session(plan: Plan, scheduler: str | None) -> Iterator[Session]:
    """Connect (or start a LocalCluster), check every point against the workers, yield the session, and
    close the client (and the LocalCluster) on the way out, also on Ctrl-C or an error."""
    extras.need("distributed", "dask", "--executor dask")
    where, source = _target(scheduler)
    with pool.environ(WORKER_ENVIRON if where is None else {}):  # the nannies set it in ours: restored at the end
        client, cluster = _local() if where is None else (_remote(where, source), None)
        where = where or client.scheduler.address
        try:
            found = workers(client, where, source)
            fit = places(plan.points, found)
            ready = dataclasses.replace(plan, jobs=sum(w.nthreads for w in found), executor="dask")
            yield Session(ready, functools.partial(remote.run, client, fit), client.dashboard_link, where)
        finally:
            _close(client, cluster)


def _close(client: Any, cluster: Any) -> None:
    """Close the client and the LocalCluster, quietly: workers that were stopped mid-point log their
    lost connections, which is expected here."""
    with _quiet():
        with contextlib.suppress(Exception):
            client.close()
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Dask's log (stderr) silenced inside the block but for critical messages."""
    log = logging.getLogger("distributed")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(level)
