"""--executor dask on real clusters: a LocalCluster of 2 worker processes, and a separately started
`dask scheduler` + 2 `dask worker` processes on localhost. The files and numbers equal a local --jobs 1
sweep of the same plan; dying workers are retried, then recorded; Ctrl-C keeps finished points and
--resume finishes them; memory is checked against each worker's own limit; nothing is left running."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from actinit_cli import resources
from actinit_cli.cli import app
from actinit_cli.run import spec
from actinit_cli.sweep import cluster, executors, plan, pool
from actinit_cli.sweep import remote as remote_points
from actinit_cli.words import counted
from tests.cases import terminal_signals, need

distributed = need("distributed")  # first: dask_cases imports psutil, which comes with distributed

from tests.sweep import dask_cases  # noqa: E402
from tests.sweep.dask_cases import assert_same_sweep, helpers_left, read_csv  # noqa: E402

SPEC = ("name: g\nmodel: {depth: 3, width: 16}\ndata: {batch_size: 16}\nloss: random_projection\n"
        "sweep:\n  model.activation: [tanh, relu]\n  model.initializer: [glorot_normal, he_normal]\n")


def sweep(out: Path, *args, spec_text: str = SPEC):
    """`actinit sweep` in this process; returns (result, the sweep directory or None)."""
    path = out.parent / f"{out.name}.yaml"
    path.write_text(spec_text)
    r = CliRunner().invoke(app, ["sweep", str(path), "--out", str(out), *map(str, args)])
    folders = sorted(out.glob("*/*")) if out.exists() else []
    return r, (folders[-1] if folders else None)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The local --jobs 1 sweep every Dask sweep must reproduce."""
    r, folder = sweep(tmp_path_factory.mktemp("local") / "runs", "--jobs", "1", "--plots")
    assert r.exit_code == 0, r.output
    return folder


@pytest.fixture(scope="module")
def remote(tmp_path_factory):
    with dask_cases.remote_cluster(tmp_path_factory.mktemp("remote")) as r:
        yield r


@pytest.fixture(autouse=True)
def nothing_left_running():
    yield
    assert helpers_left() == []


def test_local_cluster_gives_the_local_files_and_numbers(reference, tmp_path):
    r, folder = sweep(tmp_path / "runs", "--executor", "dask", "--plots")
    assert r.exit_code == 0, r.output
    assert_same_sweep(reference, folder)
    assert r.stderr.count("dask dashboard: http://") == 1
    workers = resources.cores()  # one single-threaded worker process per core: 2 in CI
    assert "4 points, 0 failed" in r.stdout and f"with {counted(workers, 'worker')}" in r.stdout
    summary = (folder / "summary.json").read_text()
    assert '"executor": "dask"' in summary and f'"jobs": {workers}' in summary
    assert '"executor": "local"' in (reference / "summary.json").read_text()


def test_remote_scheduler_and_workers_give_the_local_numbers(reference, remote, tmp_path):
    """The workers share no folder with the client: each point's files, PNGs included, come back as bytes."""
    r, folder = sweep(tmp_path / "runs", "--executor", "dask", "--scheduler", remote.address, "--plots")
    assert r.exit_code == 0, r.output
    assert_same_sweep(reference, folder)
    assert r.stderr.count("dask dashboard: http://127.0.0.1:") == 1
    assert not list(remote.tmp.glob("actinit-point-*"))  # the workers' temporary run directories are gone


def test_dask_scheduler_address_from_the_environment(reference, remote, tmp_path):
    """Dask's own convention, read when the process starts: a real `actinit` process."""
    path = tmp_path / "s.yaml"
    path.write_text(SPEC)
    env = {**os.environ, "DASK_SCHEDULER_ADDRESS": remote.address}
    r = subprocess.run([sys.executable, "-m", "actinit_cli", "sweep", str(path), "--out", str(tmp_path / "runs"),
                        "--executor", "dask", "--plots"], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert_same_sweep(reference, next((tmp_path / "runs" / "g").iterdir()))


def test_workers_and_their_memory_limits_come_from_the_scheduler(remote):
    client = distributed.Client(remote.address, timeout=10)
    try:
        found = cluster.workers(client, remote.address)
    finally:
        client.close()
    assert sorted((w.nthreads, w.memory_limit) for w in found) == [(1, 2**30), (1, 3 * 2**30)]


def test_workers_forget_each_result_once_the_client_has_written_it(remote, tmp_path):
    """A long sweep must not pile its files up in the workers' memory: by the time the last point is
    received, no worker holds any result."""
    points = plan.expand(spec.parse(SPEC), local=False)
    client = distributed.Client(remote.address, timeout=10)
    try:
        for i, (_, row) in enumerate(remote_points.run(client, {}, points, tmp_path, False)):
            assert row["status"] == "ok"
            if i == len(points) - 1:
                dask_cases._wait(lambda: not any(client.has_what().values()), "the workers to forget", 10)
    finally:
        client.close()


def test_every_worker_must_run_this_actinit(remote, tmp_path, monkeypatch):
    import re

    from actinit_cli import __version__

    monkeypatch.setattr(cluster, "__version__", "9.9.9")  # as if the client were another release
    r, folder = sweep(tmp_path / "runs", "--executor", "dask", "--scheduler", remote.address)
    assert r.exit_code == 2 and folder is None, r.output
    expected = (rf"error: --scheduler: Dask worker tcp://127\.0\.0\.1:\d+ runs actinit {re.escape(__version__)}; "
                rf"install actinit 9\.9\.9 on every worker \(pip install \"actinit\[dask\]\"\)\n")
    assert re.fullmatch(expected, r.stderr), r.stderr


def test_a_point_that_fits_no_worker_is_refused_before_anything_runs(remote, tmp_path):
    big = SPEC.replace("depth: 3, width: 16", "width: 2048").replace("batch_size: 16", "batch_size: 2048")
    big = big.split("sweep:")[0] + "sweep:\n  model.depth: [20, 50]\n"  # 1.1 GiB fits the 3 GiB worker; 2.5 fits none
    r, folder = sweep(tmp_path / "runs", "--executor", "dask", "--scheduler", remote.address, spec_text=big)
    assert r.exit_code == 2 and folder is None, r.output
    assert r.stderr.startswith("error: sweep point depth=50: needs about 2.5 GiB") and "allows 2.4 GiB" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_an_unreachable_scheduler_is_named_before_anything_runs(tmp_path):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.monotonic()
    r, folder = sweep(tmp_path / "runs", "--executor", "dask", "--scheduler", f"tcp://127.0.0.1:{port}")
    assert r.exit_code == 2 and folder is None, r.output
    assert r.stderr == (f"error: --scheduler: cannot reach a Dask scheduler at tcp://127.0.0.1:{port} within "
                        f"{cluster.CONNECT_TIMEOUT} s; start one there with `dask scheduler`, or check the address\n")
    assert time.monotonic() - start < cluster.CONNECT_TIMEOUT + 5


SILENT_STOPS = {"waited out": None, "SIGTERM": signal.SIGTERM, "Ctrl-C": signal.SIGINT}


@pytest.mark.parametrize("stop", SILENT_STOPS)
def test_a_scheduler_that_never_answers_is_named_within_the_timeout(tmp_path, stop):
    """A port that accepts connections and never answers: Dask's connect succeeds and its handshake waited
    forever (found by a user test: still waiting after 400 s, and a SIGTERM then gave a Client.__del__
    traceback 10 s later). Now one line naming the address, exit 2, within CONNECT_TIMEOUT, nothing written;
    and SIGTERM or Ctrl-C meanwhile is the usual one line, at once."""
    path = tmp_path / "s.yaml"
    path.write_text(SPEC)
    with dask_cases.silent_port() as where:
        p = subprocess.Popen([sys.executable, "-m", "actinit_cli", "sweep", str(path), "--out", str(tmp_path / "runs"),
                              "--executor", "dask", "--scheduler", where], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True, preexec_fn=terminal_signals)
        start = time.monotonic()
        if SILENT_STOPS[stop] is not None:
            time.sleep(2)  # well inside the connect (the imports take about 1 s)
            os.killpg(p.pid, SILENT_STOPS[stop])
        try:
            _, err = p.communicate(timeout=cluster.CONNECT_TIMEOUT + 10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            pytest.fail(f"still connecting to {where} after {time.monotonic() - start:.0f} s: {p.communicate()[1]}")
    took = time.monotonic() - start
    assert "Traceback" not in err and "Exception ignored" not in err, err
    unreachable = (f"error: --scheduler: cannot reach a Dask scheduler at {where} within {cluster.CONNECT_TIMEOUT} s; "
                   f"start one there with `dask scheduler`, or check the address\n")
    said = {None: (2, unreachable),
            signal.SIGTERM: (143, "error: terminated (SIGTERM); nothing was left half-written\n"),
            signal.SIGINT: (130, "error: interrupted; nothing was left half-written\n")}[SILENT_STOPS[stop]]
    assert (p.returncode, err) == said
    assert took < (cluster.CONNECT_TIMEOUT + 5 if SILENT_STOPS[stop] is None else 2 + 3), took
    assert not (tmp_path / "runs").exists()


def test_a_client_that_gets_no_answer_is_given_up_at_the_deadline():
    """The Client after the probe is bounded too (a scheduler that answered the probe, then went silent): its
    thread is given up at the deadline, and ends once the peer hangs up."""
    with dask_cases.silent_port() as where:
        start = time.monotonic()
        with pytest.raises(TimeoutError):
            cluster._client(where, start + 2)
        assert time.monotonic() - start < 3


def test_a_dying_worker_is_retried_then_its_point_is_failed(tmp_path):
    """One point's worker is killed once: Dask reruns it on another worker and its numbers are the local ones.
    Another's is killed on every try: after 1 + ALLOWED_FAILURES tries it is recorded as failed, with why.
    (One after the other: a worker killed while it holds a finished result makes Dask recompute that too.)"""
    import cloudpickle

    cloudpickle.register_pickle_by_value(dask_cases)  # the workers need not import the tests
    base = spec.parse(SPEC)
    once, normal, always = plan.expand(base, local=False)[:3]
    sweep_plan = plan.Plan(base, [once, normal, always], tmp_path, 1)
    with executors.session("dask", sweep_plan, None) as session:
        rows = pool.execute([dask_cases.dying(once, 1, tmp_path / "once"), normal], tmp_path / "dask", 0,
                            run=session.runner)
        rows += pool.execute([dask_cases.dying(always, 99, tmp_path / "always")], tmp_path / "dask", 0,
                             run=session.runner)
    assert (tmp_path / "once").read_text() == "xx"
    assert len((tmp_path / "always").read_text()) == 1 + cluster.ALLOWED_FAILURES
    assert [r["status"] for r in rows] == ["ok", "ok", "failed"]
    assert rows[2]["reason"] == (f"its worker died on each of {1 + cluster.ALLOWED_FAILURES} tries (Dask KilledWorker: "
                                 f"killed, or out of memory); rerun with --resume")
    local = pool.execute([once, normal], tmp_path / "local", 1)
    numbers = [c for c in rows[0] if c not in ("run_dir", "seconds")]
    assert [[r[c] for c in numbers] for r in rows[:2]] == [[r[c] for c in numbers] for r in local]


SLOW_POINTS = 24
SLOW = ("name: slow\nmodel: {depth: 12, width: 256}\ndata: {batch_size: 512}\nloss: random_projection\n"
        "sweep:\n  seed: [" + ", ".join(map(str, range(SLOW_POINTS))) + "]\n")


def test_ctrl_c_keeps_finished_points_and_resume_finishes_the_sweep(tmp_path):
    """Ctrl-C at the terminal (SIGINT to the whole process group, workers included): exit 130 within a
    few seconds, one line saying how many points are kept, no process left; --resume completes the sweep
    with the numbers of a local --jobs 1 sweep."""
    path = tmp_path / "slow.yaml"
    path.write_text(SLOW)
    out = tmp_path / "runs"
    p = subprocess.Popen([sys.executable, "-m", "actinit_cli", "sweep", str(path), "--out", str(out), "--executor",
                          "dask"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                         preexec_fn=terminal_signals)
    finished = lambda: any(not d.name.startswith(".") for d in out.glob("slow/*/points/*/*"))  # noqa: E731
    dask_cases._wait(lambda: p.poll() is not None or finished(), "a finished point")
    assert p.poll() is None, p.communicate()
    family = dask_cases.psutil.Process(p.pid).children(recursive=True)
    os.killpg(p.pid, signal.SIGINT)
    start = time.monotonic()
    _, err = p.communicate(timeout=30)
    assert p.returncode == 130 and time.monotonic() - start < 10, err
    dashboard, last = err.strip().splitlines()  # no traceback from any process of the group
    assert dashboard.startswith("dask dashboard: http://"), err
    said = re.match(r"error: interrupted; (\d+) finished points? (is|are) kept in .* --resume$", last)
    assert said, err
    kept = int(said[1])
    assert 1 <= kept < SLOW_POINTS, err  # interrupted mid-way: some points finished, not all
    assert dask_cases.psutil.wait_procs(family, timeout=10)[1] == []
    r, folder = sweep(out, "--executor", "dask", "--resume", spec_text=SLOW)
    assert r.exit_code == 0, r.output
    again, reference = sweep(tmp_path / "local", "--jobs", "1", spec_text=SLOW)
    assert again.exit_code == 0, again.output
    assert_same_sweep(reference, folder)
    assert len(read_csv(folder / "points.csv")) == SLOW_POINTS


STARTING = [0.3, 0.45, 0.6, 0.75, 0.9, 1.05, 1.2, 1.5]  # seconds: Dask's imports, the fork server's, the cluster's start


@pytest.mark.parametrize("delay", STARTING)
def test_ctrl_c_while_the_local_cluster_starts_is_one_line(tmp_path, delay):
    """Ctrl-C at the terminal while the LocalCluster starts reaches the fork server and the workers it forks,
    still importing NumPy and Dask: 3 of 5 such Ctrl-Cs printed their tracebacks, and a cluster cut short
    another one from Dask's exit hook. Now exit 130 and the one line (after the dashboard's, if it came), and
    no process left."""
    path = tmp_path / "s.yaml"
    path.write_text(SPEC)
    p = subprocess.Popen([sys.executable, "-m", "actinit_cli", "sweep", str(path), "--out", str(tmp_path / "runs"),
                          "--executor", "dask"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True, preexec_fn=terminal_signals)
    time.sleep(delay)
    assert p.poll() is None, p.communicate()
    family = dask_cases.psutil.Process(p.pid).children(recursive=True)
    os.killpg(p.pid, signal.SIGINT)
    _, err = p.communicate(timeout=30)
    assert p.returncode == 130, err
    *before, last = err.strip().splitlines()
    assert last.startswith("error: interrupted; ") and all(line.startswith("dask dashboard: ") for line in before), err
    assert dask_cases.psutil.wait_procs(family, timeout=10)[1] == []
    assert list(tmp_path.rglob(".partial-*")) == []
