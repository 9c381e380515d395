"""--executor dask without a cluster: addresses, which workers a point's memory fits, and bad input that is
one line on stderr, exit 2, with nothing written (the real clusters are in test_dask.py)."""

import math
import sys

import pytest

from actinit_cli.errors import ActinitError
from actinit_cli.run import runner, spec
from actinit_cli.sweep import cluster, executors, plan
from tests.cases import need

SPEC = ("name: g\nmodel: {depth: 3, width: 16}\ndata: {batch_size: 16}\nloss: random_projection\n"
        "sweep:\n  model.activation: [tanh, relu]\n")


@pytest.mark.parametrize("text, expected", [
    ("tcp://10.0.0.5:8786", "tcp://10.0.0.5:8786"),
    ("127.0.0.1:8786", "tcp://127.0.0.1:8786"),  # Dask's default scheme
    (" tls://scheduler.lab.example:8786 ", "tls://scheduler.lab.example:8786"),
    ("tcp://[::1]:8786", "tcp://[::1]:8786"),
    ("tcp://host:08786", "tcp://host:8786"),
])
def test_scheduler_addresses(text, expected):
    assert cluster.address(text) == expected


@pytest.mark.parametrize("text", ["nonsense", "tcp://host", "tcp://host:0", "tcp://host:65536", "http://host:8786",
                                  "tcp://:8786", "tcp://host:port", ""])
def test_bad_scheduler_addresses(text):
    with pytest.raises(ActinitError, match=r"^--scheduler: .* is not a Dask scheduler address; expected "
                                           r"tcp://HOST:PORT"):
        cluster.address(text)


GIB = 2**30


def point(depth, width, batch):
    base = spec.parse(f"name: m\nmodel: {{width: {width}}}\ndata: {{batch_size: {batch}}}\nsweep:\n"
                      f"  model.depth: [{depth}]\n")
    return plan.expand(base, local=False)[0]


SMALL, LARGE = point(20, 2048, 2048), point(50, 2048, 2048)  # about 1.13 and 2.53 GiB (runner's estimate)


@pytest.mark.parametrize("workers, expected", [
    ([cluster.Worker("a", 1, 3 * GIB), cluster.Worker("b", 1, 3 * GIB)], None),  # fits all: any worker, also later ones
    ([cluster.Worker("a", 1, 1 * GIB), cluster.Worker("b", 1, 3 * GIB)], ["b"]),  # 0.8 GiB budget on a
    ([cluster.Worker("a", 4, 3 * GIB), cluster.Worker("b", 1, 2 * GIB)], ["b"]),  # a's 4 threads share 3 GiB
    ([cluster.Worker("a", 1, 0), cluster.Worker("b", 1, 1 * GIB)], ["a"]),  # 0: no limit
])
def test_a_point_goes_only_to_workers_it_fits(workers, expected):
    need_bytes = runner.preflight(SMALL.spec, False, math.inf)[0]
    assert 1.1 * GIB < need_bytes < 1.2 * GIB  # the estimate these cases are built around
    assert cluster.places([SMALL], workers) == {SMALL.label: expected}


def test_a_point_that_fits_no_worker_is_refused():
    workers = [cluster.Worker("a", 1, 1 * GIB), cluster.Worker("b", 3, 3 * GIB), cluster.Worker("c", 1, 3 * GIB)]
    assert cluster.places([SMALL], workers)[SMALL.label] == ["c"]
    with pytest.raises(ActinitError, match=r"^sweep point depth=50: needs about 2\.5 GiB \(depth 50, widest layer "
                                           r"2048, batch 2048\) but the largest Dask worker allows 2\.4 GiB per point "
                                           r"\(80% of its 3\.0 GiB memory limit, shared by its 1 thread\(s\)\)"):
        cluster.places([SMALL, LARGE], workers)


def test_every_executor_has_a_cli_choice():
    from actinit_cli.app import Executor

    assert [e.value for e in Executor] == list(executors.EXECUTORS)


@pytest.mark.parametrize("args, message", [
    (["--executor", "ray"], "--executor: got 'ray', expected one of local, dask"),
    (["--executor", "dask", "--jobs", "2"], "Invalid value for --jobs: is for --executor local"),
    (["--scheduler", "tcp://127.0.0.1:8786"], "Invalid value for --scheduler: needs --executor dask"),
    (["--executor", "dask", "--scheduler", "nonsense"], "--scheduler: 'nonsense' is not a Dask scheduler address"),
    (["--executor", "dask", "--scheduler", "tcp://127.0.0.1:99999"], "is not a Dask scheduler address"),
])
def test_bad_input_is_one_line_and_writes_nothing(cli, tmp_path, args, message):
    need("distributed")
    path = tmp_path / "s.yaml"
    path.write_text(SPEC)
    r = cli("sweep", path, "--out", tmp_path / "runs", *args)
    assert r.exit_code == 2 and message in r.stderr, r.output
    assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / "runs").exists()


def test_dask_config_address_is_checked_too(cli, tmp_path):
    """DASK_SCHEDULER_ADDRESS reaches actinit through Dask's config, where a bad one is named as such."""
    dask = need("dask")
    path = tmp_path / "s.yaml"
    path.write_text(SPEC)
    with dask.config.set({"scheduler-address": "foo"}):
        r = cli("sweep", path, "--out", tmp_path / "runs", "--executor", "dask")
    assert r.exit_code == 2 and r.stderr.startswith("error: DASK_SCHEDULER_ADDRESS: 'foo' is not a Dask scheduler")
    assert not (tmp_path / "runs").exists()


def test_without_the_extra_the_message_says_how_to_install_it(cli, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # what `import distributed` meets when it is not installed
    path = tmp_path / "s.yaml"
    path.write_text(SPEC)
    r = cli("sweep", path, "--out", tmp_path / "runs", "--executor", "dask")
    assert r.exit_code == 2, r.output
    assert r.stderr == ('error: --executor dask needs Dask distributed (distributed is not installed); install it '
                        'with: pip install "actinit[dask]"\n')
    assert not (tmp_path / "runs").exists()
