"""Shared by the Dask tests: a real `dask scheduler` + `dask worker` processes on localhost (started and
stopped here, on ports the system picks), a sweep directory compared with another file by file, and
points whose worker process dies."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from actinit_cli.sweep.plan import Point

# Differ between two sweeps of one plan by design: wall-clock times, run ids and paths, and who ran it.
VOLATILE_SWEEP = ("seconds", "jobs", "executor")
VOLATILE_POINT = ("run_id", "created_utc", "timings")
_REMOTE: set[int] = set()  # processes of a remote_cluster still running (not left over: the fixture stops them)


@dataclass(frozen=True)
class Remote:
    """A running scheduler's address, its workers' memory limits, and the temporary folder the workers use."""

    address: str
    limits: tuple[str, ...]
    tmp: Path


def _wait(condition, what: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        time.sleep(0.1)


@contextlib.contextmanager
def remote_cluster(folder: Path, limits: tuple[str, ...] = ("1GiB", "3GiB")):
    """`dask scheduler` and one single-threaded `dask worker` per memory limit, on 127.0.0.1 only; every
    process (nannies' workers included) is gone when the block ends, or this raises."""
    dask_cli = str(Path(sys.executable).with_name("dask"))
    tmp, info = folder / "worker-tmp", folder / "scheduler.json"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}  # where the workers' temporary point folders go
    log = open(folder / "dask.log", "wb")
    procs = [subprocess.Popen([dask_cli, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                               "--scheduler-file", str(info)], stdout=log, stderr=log, env=env)]
    try:
        _wait(lambda: info.is_file() and info.stat().st_size > 0, "the scheduler file")
        address = json.loads(info.read_text())["address"]
        for limit in limits:
            procs.append(subprocess.Popen([dask_cli, "worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                                           "--memory-limit", limit, "--no-dashboard"], stdout=log, stderr=log, env=env))
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(len(limits), timeout=60)
        _REMOTE.update(p.pid for p in family_of(procs))
        yield Remote(address, limits, tmp)
    finally:
        _stop(procs)
        log.close()


@contextlib.contextmanager
def silent_port():
    """tcp://127.0.0.1:PORT of a socket that accepts every connection and never sends a byte (a hung process,
    another service's port): Dask's connect succeeds and its handshake then waits for an answer. The
    connections are closed when the block ends."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):  # the listening socket shut down: done
            while True:
                accepted.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    finally:
        server.shutdown(socket.SHUT_RDWR)  # wakes the accept() above
        thread.join(timeout=5)
        server.close()
        for c in accepted:
            c.close()


def family_of(procs: list[subprocess.Popen]) -> list[psutil.Process]:
    family = [psutil.Process(p.pid) for p in procs if p.poll() is None]
    return family + [c for p in list(family) for c in _children(p)]


def _stop(procs: list[subprocess.Popen]) -> None:
    """SIGTERM the workers, then the scheduler (a worker whose scheduler went first waits 8 s for it);
    wait for every process, the nannies' worker processes included."""
    family = family_of(procs)
    for group in (procs[1:], procs[:1]):
        for p in group:
            p.send_signal(signal.SIGTERM)
        for p in group:
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(timeout=20)
    _, alive = psutil.wait_procs(family, timeout=10)
    for p in alive:
        p.kill()
    _REMOTE.difference_update(p.pid for p in family)
    assert not alive, f"dask processes that ignored SIGTERM: {alive}"


def _children(p: psutil.Process) -> list[psutil.Process]:
    with contextlib.suppress(psutil.Error):
        return p.children(recursive=True)
    return []


def helpers_left() -> list[str]:
    """This process's descendants other than multiprocessing's resource tracker and fork server (its own
    children, which live as long as it does; the workers forked from the server are counted, and share its
    command line): Dask workers that a test left running."""
    me = psutil.Process()
    infra = {k.pid for k in me.children() if any(s in " ".join(_cmdline(k)) for s in ("resource_tracker",
                                                                                       "forkserver import main"))}
    kids = [k for k in me.children(recursive=True) if k.pid not in _REMOTE | infra]
    _, alive = psutil.wait_procs(kids, timeout=10)
    return [" ".join(_cmdline(k)) or str(k.pid) for k in alive]


def _cmdline(p: psutil.Process) -> list[str]:
    with contextlib.suppress(psutil.Error):
        return p.cmdline()
    return []


def read_csv(path: Path, drop: tuple[str, ...] = ()) -> list[dict]:
    with open(path, newline="") as f:
        return [{k: v for k, v in row.items() if k not in drop} for row in csv.DictReader(f)]


def _json(path: Path, drop: tuple[str, ...]) -> dict:
    return {k: v for k, v in json.loads(path.read_text()).items() if k not in drop}


def assert_same_sweep(a: Path, b: Path) -> None:
    """Sweep directories a and b hold the same files with the same numbers: points.csv (but run_dir and
    seconds), both heatmaps byte for byte, recommendations.md, sweep.yaml, summary.json (but wall clock,
    jobs and executor), and every point's files (layers.csv and spec.yaml byte for byte)."""
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir()), (a, b)
    assert read_csv(a / "points.csv", ("run_dir", "seconds")) == read_csv(b / "points.csv", ("run_dir", "seconds"))
    for name in ("heatmap_activations.png", "heatmap_gradients.png", "recommendations.md", "sweep.yaml"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert _json(a / "summary.json", VOLATILE_SWEEP) == _json(b / "summary.json", VOLATILE_SWEEP)
    for label in sorted(p.name for p in (a / "points").iterdir()):
        (run_a,), (run_b,) = [list((x / "points" / label).iterdir()) for x in (a, b)]
        assert sorted(p.name for p in run_a.iterdir()) == sorted(p.name for p in run_b.iterdir()), label
        for name in ("layers.csv", "spec.yaml"):
            assert (run_a / name).read_bytes() == (run_b / name).read_bytes(), (label, name)
        assert _json(run_a / "summary.json", VOLATILE_POINT) == _json(run_b / "summary.json", VOLATILE_POINT)


class Dying(Point):
    """A point whose worker process is killed (SIGKILL, as the kernel's OOM killer does) the first `deaths`
    times a worker starts it (first looks at its spec); each try is counted in the file `tries`."""

    deaths: int = 0
    tries: str = ""
    home: int = 0

    def __getattribute__(self, name):
        seen = object.__getattribute__(self, "__dict__").setdefault("seen", False)
        on_worker = os.getpid() != object.__getattribute__(self, "home")
        if name == "spec" and not seen and on_worker:  # a worker starts this point
            object.__setattr__(self, "seen", True)
            tries = Path(object.__getattribute__(self, "tries"))
            with tries.open("a") as f:
                f.write("x")
            if tries.stat().st_size <= object.__getattribute__(self, "deaths"):
                os.kill(os.getpid(), signal.SIGKILL)
        return super().__getattribute__(name)


def dying(point: Point, deaths: int, tries: Path) -> Dying:
    out = Dying(point.label, point.values, point.spec)
    for k, v in (("deaths", deaths), ("tries", str(tries)), ("home", os.getpid())):
        object.__setattr__(out, k, v)
    return out
