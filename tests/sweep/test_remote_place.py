"""A Dask sweep's client writes each point into a hidden folder named as a local run names it
(.partial-<pid>-...), so that one left by a killed client (SIGKILL while writing) is removed by the next writer
there: a folder named '.partial-<random>' was never removed. Simulated: the folder a write stops in is kept as a
SIGKILL would keep it, its pid then declared dead."""


import pytest

from actinit_cli.run import partials
from actinit_cli.sweep import remote


class Killed(BaseException):
    """Stands in for a SIGKILL: nothing after it runs (its cleanup is undone below)."""


@pytest.mark.parametrize("files", [{"summary.json": b"{}"}, {"layers/a.png": b"x", "spec.yaml": b"y"}],
                         ids=["one file", "a sub-folder"])
def test_a_folder_left_by_a_killed_client_is_removed_by_the_next_writer(tmp_path, monkeypatch, files):
    point = type("P", (), {"label": "act=relu"})()
    outcome = remote.Outcome({"status": "ok"}, "20260101T000000Z-abcdef", files)
    monkeypatch.setattr(remote.os, "rename", lambda *_: (_ for _ in ()).throw(Killed()))
    monkeypatch.setattr(remote.shutil, "rmtree", lambda *a, **k: None)  # a SIGKILL runs no cleanup
    with pytest.raises(Killed):
        remote.place(tmp_path, point, outcome)
    monkeypatch.undo()
    left = list((tmp_path / "act=relu").iterdir())
    assert len(left) == 1 and left[0].name.startswith(partials.PARTIAL)
    monkeypatch.setattr(partials, "_alive", lambda pid: False)  # the client is gone
    assert partials.remove_stale_partials(tmp_path / "act=relu") == left and not left[0].exists()


def test_the_client_clears_a_dead_writers_folder_before_writing_a_point(tmp_path, monkeypatch):
    """place() writes through partials.fresh: a hidden folder a dead process left in the point's folder is gone
    once the point is written there."""
    point = type("P", (), {"label": "act=relu"})()
    stale = tmp_path / "act=relu" / f"{partials.PARTIAL}999999999-x"
    stale.mkdir(parents=True)
    monkeypatch.setattr(partials, "_alive", lambda pid: pid != 999999999)
    row = remote.place(tmp_path, point, remote.Outcome({"status": "ok"}, "20260101T000000Z-abcdef",
                                                       {"summary.json": b"{}"}))
    assert sorted(p.name for p in (tmp_path / "act=relu").iterdir()) == ["20260101T000000Z-abcdef"]
    assert row["run_dir"] == str(tmp_path / "act=relu" / "20260101T000000Z-abcdef")
