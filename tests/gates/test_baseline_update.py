"""--update-baseline on a full disk and through symlinks: a failed copy leaves the old baseline as it was and no
hidden .baseline-* staging folder (it kept a half copy, and the error read '(None)'); a symlink to a baseline
stays and the folder it leads to is replaced (the link was replaced by a folder, the old baseline kept under its
own name); a symlink loop is refused before the run. ENOSPC is simulated, no mount needed."""

import errno
import os
import shutil
from pathlib import Path

import pytest

from actinit_cli.errors import ActinitError
from actinit_cli.gates import baseline
from actinit_cli.gates.gate import refresh_baseline

CORE = ("summary.json", "layers.csv", "spec.yaml")


def run_dir(folder: Path, text: str) -> Path:
    """A folder that counts as a run directory (its core files), each file holding `text`."""
    folder.mkdir(parents=True)
    for name in CORE:
        (folder / name).write_text(text)
    return folder


def _full_copy(src, dst, **_):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), dst)


def _full_rename(real):
    def rename(self, target):
        if Path(self).name == "new":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(self, target)
    return rename


FAILURES = [  # (where the disk fills, how to make it fill there)
    ("copying", lambda mp: mp.setattr(shutil, "copyfile", _full_copy)),
    ("swapping", lambda mp: mp.setattr(Path, "rename", _full_rename(Path.rename))),
]


@pytest.mark.parametrize("old", [None, "old"], ids=["new baseline", "existing baseline"])
@pytest.mark.parametrize("where, fill", FAILURES, ids=[f[0] for f in FAILURES])
def test_a_full_disk_leaves_the_old_baseline_and_nothing_else(tmp_path, monkeypatch, old, where, fill):
    new = run_dir(tmp_path / "run", "new")
    base = tmp_path / "bl" / "base"
    if old:
        run_dir(base, old)
    else:
        base.parent.mkdir()
    fill(monkeypatch)
    with pytest.raises(ActinitError, match=r"^--baseline: cannot write .*\(No space left on device\); free some space"):
        baseline.update(new, base)
    monkeypatch.undo()
    assert [p.name for p in base.parent.iterdir()] == (["base"] if old else [])  # no .baseline-* staging folder
    if old:
        assert all((base / name).read_text() == "old" for name in CORE)


LINKS = [  # (link name, what it leads to, the folder that receives the copy)
    ("to_run", "saved", "saved"),
    ("to_empty", "empty", "empty"),
    ("dangling", "missing", "missing"),
]


@pytest.mark.parametrize("link, to, lands", LINKS, ids=[c[0] for c in LINKS])
def test_a_symlink_stays_and_its_folder_is_replaced(tmp_path, link, to, lands):
    new = run_dir(tmp_path / "run", "new")
    run_dir(tmp_path / "saved", "old")
    (tmp_path / "empty").mkdir()
    (tmp_path / link).symlink_to(to)
    baseline.update(new, tmp_path / link)
    assert (tmp_path / link).is_symlink() and str((tmp_path / link).readlink()) == to
    assert all((tmp_path / lands / name).read_text() == "new" for name in CORE)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_symlink_loop_is_refused_before_the_run(tmp_path):
    (tmp_path / "l1").symlink_to("l2")
    (tmp_path / "l2").symlink_to("l1")
    with pytest.raises(ActinitError, match=r"^--baseline: '.*l1' is a symlink that leads nowhere"):
        refresh_baseline(tmp_path / "never_read.yaml", tmp_path / "l1", tmp_path / "out", False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["l1", "l2"]
