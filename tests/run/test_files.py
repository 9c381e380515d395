"""write_atomic: whole files or nothing, and a one-line error naming the option."""

import pytest

from actinit_cli.errors import ActinitError
from actinit_cli.run.files import write_atomic


def test_writes_and_replaces(tmp_path):
    target = tmp_path / "out.txt"
    write_atomic(target, b"one")
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two" and [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_unwritable_names_the_option(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(ActinitError, match=r"^--junit: cannot write .*choose a writable path"):
        write_atomic(tmp_path / "afile" / "r.xml", b"x", "--junit")


def test_missing_folders_are_created(tmp_path):
    write_atomic(tmp_path / "reports" / "ci" / "r.xml", b"x", "--junit")
    assert (tmp_path / "reports" / "ci" / "r.xml").read_bytes() == b"x"


def test_permissions_follow_the_umask(tmp_path):
    from actinit_cli.run.files import umask

    target = tmp_path / "r.xml"
    write_atomic(target, b"x")
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask()
