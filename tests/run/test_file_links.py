"""Destinations that are symlinks leading nowhere: an --out that is a dangling symlink or a loop (or has one on
its way) is refused by check_out before any work, naming the option (mkdir(parents=True) failed there with
'File exists' once the run had been computed); a file destination that is a loop is refused and the link kept
(realpath gives a loop back unresolved, and the rename replaced the link by a regular file). A dangling symlink
to a file is written through, creating its target, as a shell's > does."""

from pathlib import Path

import pytest

from actinit_cli.errors import ActinitError
from actinit_cli.run.files import check_file, check_out, write_atomic


def _links(folder: Path) -> None:
    (folder / "dangling").symlink_to("nowhere/zz")
    (folder / "loop1").symlink_to("loop2")
    (folder / "loop2").symlink_to("loop1")
    (folder / "adir").mkdir()
    (folder / "to_dir").symlink_to("adir")


OUT_CASES = [  # (--out, refused with, or None: accepted)
    ("dangling", r"^--out: '.*dangling' is a symlink that leads nowhere \(to 'nowhere/zz': No such file"),
    ("loop1", r"^--out: '.*loop1' is a symlink that leads nowhere \(to 'loop2': Too many levels"),
    ("loop1/sub/deeper", r"^--out: '.*loop1' is a symlink that leads nowhere"),
    ("dangling/sub", r"^--out: '.*dangling' is a symlink that leads nowhere"),
    ("to_dir", None),
    ("to_dir/new/deeper", None),
]


@pytest.mark.parametrize("out, refused", OUT_CASES, ids=[c[0] for c in OUT_CASES])
def test_check_out_refuses_links_that_lead_nowhere(tmp_path, out, refused):
    _links(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    if refused is None:
        check_out(tmp_path / out)
    else:
        with pytest.raises(ActinitError, match=refused):
            check_out(tmp_path / out)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing created, nothing left behind


FILE_CASES = [  # (--output, refused with, or None: written through to `lands`)
    ("loop1", r"^--output: '.*loop1' is a symlink that leads nowhere \(to 'loop2': Too many levels"),
    ("dangling", None),
]


@pytest.mark.parametrize("output, refused", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_a_file_destination_that_loops_is_refused_and_kept(tmp_path, output, refused):
    _links(tmp_path)
    path = tmp_path / output
    if refused is None:
        check_file(path, "--output")
        write_atomic(path, b"data")
        assert path.is_symlink() and (tmp_path / "nowhere" / "zz").read_bytes() == b"data"
        return
    for attempt in (lambda: check_file(path, "--output"), lambda: write_atomic(path, b"data")):
        with pytest.raises(ActinitError, match=refused):
            attempt()
        assert path.is_symlink() and str(path.readlink()) == "loop2"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_dangling_file_link_whose_target_cannot_be_written_is_refused_before_the_work(tmp_path):
    (tmp_path / "afile").write_text("x")
    (tmp_path / "report.xml").symlink_to("afile/sub/report.xml")  # written through, it fails with 'Not a directory'
    with pytest.raises(ActinitError, match=r"^--junit: '.*afile' is not a directory"):
        check_file(tmp_path / "report.xml", "--junit")
