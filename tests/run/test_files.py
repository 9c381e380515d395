"""write_atomic: whole files or nothing, and a one-line error naming the option; a symlink, a device or a pipe
given as the destination is written through, never replaced."""

import os
import threading
from pathlib import Path

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


def test_a_symlink_stays_and_its_file_is_replaced(tmp_path):
    (tmp_path / "real.npy").write_bytes(b"old")
    (tmp_path / "link.npy").symlink_to("real.npy")
    write_atomic(tmp_path / "link.npy", b"new")
    assert (tmp_path / "link.npy").is_symlink() and (tmp_path / "real.npy").read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.npy", "real.npy"]


@pytest.mark.parametrize("through_link", [False, True], ids=["the fifo", "a link to it"])
def test_a_pipe_is_written_to_not_replaced(tmp_path, through_link):
    """A FIFO (and so /dev/stdout or a shell's >(...)) gets the bytes; a rename would have replaced it by a file."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    if through_link:
        (tmp_path / "link").symlink_to(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_atomic(tmp_path / ("link" if through_link else "pipe"), b"data")
    reader.join(10)
    assert got == [b"data"] and fifo.is_fifo()


def test_a_device_is_written_to_not_replaced(monkeypatch):
    """`--output /dev/null` discards the output; it replaced the system's /dev/null by a regular file (the test
    stops any rename, so that a regression cannot do that to the machine running it)."""
    def no_rename(source, target):
        raise AssertionError(f"{target} would be replaced")

    monkeypatch.setattr(os, "replace", no_rename)
    write_atomic(Path("/dev/null"), b"x" * 1000)
    assert Path("/dev/null").is_char_device()
