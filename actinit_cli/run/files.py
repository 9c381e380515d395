"""Files that appear whole or not at all (a temporary file beside the target, then a rename), and output
destinations checked before any work is done."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import Callable

from actinit_cli import signals
from actinit_cli.errors import ActinitError


def umask() -> int:
    """The process's umask (read by setting and restoring it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, data: bytes, option: str = "--output") -> None:
    """Write `data` to `path` whole or not at all, with the permissions a plain open() would give."""
    write_with(path, lambda tmp: tmp.write_bytes(data), option)


def write_with(path: Path, write: Callable[[Path], None], option: str = "--output") -> None:
    """Let `write(tmp)` fill a temporary file beside `path` (same suffix, so a plot knows its format), then
    rename it into place: the file appears whole or not at all, also on a full disk (one-line error). A symlink
    stays: the file it points to is replaced. A device or a pipe (/dev/null, /dev/stdout, a FIFO) is written
    to as it is: a rename over it replaced the system's /dev/null with a regular file."""
    path = Path(path)
    if not _regular_or_missing(path):
        return _write_in_place(path, write, option)
    path = destination(path, option)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)  # checked writable beforehand (rundir.check_file)
        fd, name = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.",
                                    suffix=path.suffix)
        os.close(fd)
    except OSError as exc:
        raise ActinitError(f"{option}: cannot write {str(path)!r} ({exc.strerror}); choose a writable path") from None
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~umask())  # mkstemp makes it private
        signals.check()  # a Ctrl-C that a library cleared while `write` ran: the file does not appear
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise ActinitError(f"{option}: cannot write {str(path)!r} ({exc.strerror or exc}); free some space or "
                               f"choose a writable path") from None
        raise


def _regular_or_missing(path: Path) -> bool:
    """Whether `path` (its symlinks followed) is a regular file or nothing yet."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return True


def _write_in_place(path: Path, write: Callable[[Path], None], option: str) -> None:
    signals.check()  # a Ctrl-C that a library cleared while the data was made: nothing is written
    try:
        write(path)
    except OSError as exc:
        raise ActinitError(f"{option}: cannot write {str(path)!r} ({exc.strerror or exc}); choose a writable "
                           f"path") from None


def destination(path: Path, option: str) -> Path:
    """Where writing `path` lands: the path a symlink leads to (the link stays, its target is replaced; a
    dangling link's target is created, as a shell's > does), else `path`. A loop is refused: realpath gives it
    back as it is, and a rename there replaced the link by a file."""
    path = Path(path)
    if not path.is_symlink():
        return path
    refuse_loop(path, option)
    return Path(os.path.realpath(path))


def looks(test: Callable[[Path], bool], path: Path, where: str) -> bool:
    """`test(path)` (Path.is_dir, Path.is_file), with a path the system cannot look up (a name longer than it
    takes) refused in one line naming `where`: pathlib says False only for a missing path and raises the rest."""
    try:
        return test(path)
    except OSError as exc:
        raise ActinitError(f"{where}: {str(path)[:80]!r} cannot be looked up ({exc.strerror}); check the "
                           f"path") from None


def link_error(path: Path) -> OSError | None:
    """What following the symlink `path` fails with (a loop, a missing target), or None: not a symlink, or one
    that leads somewhere."""
    if not os.path.islink(path):
        return None
    try:
        os.stat(path)
    except OSError as exc:
        return exc
    return None


def _broken(path: Path, exc: OSError, option: str) -> ActinitError:
    return ActinitError(f"{option}: {str(path)!r} is a symlink that leads nowhere (to {os.readlink(path)!r}: "
                        f"{exc.strerror}); fix the link or choose another {option}")


def refuse_loop(path: Path, option: str) -> None:
    """Refuse a destination that is a symlink loop (a dangling symlink is fine: writing through it creates its
    target, as a shell's > does)."""
    exc = link_error(path)
    if exc is not None and exc.errno == errno.ELOOP:
        raise _broken(path, exc, option)


NAME_MAX = 255  # bytes in one path component on Linux file systems


def check_names(path: Path, option: str) -> None:
    """Every component of `path` a name the file system takes (at most NAME_MAX bytes)."""
    long = next((p for p in Path(path).parts if len(os.fsencode(p)) > NAME_MAX), None)
    if long is not None:
        raise ActinitError(f"{option}: a path component is {len(os.fsencode(long))} bytes, more than {NAME_MAX}; "
                           f"choose a shorter {option}")


def check_out(root: Path, option: str = "--out") -> None:
    """Refuse an output root that cannot be written before any work is done: every component a legal name,
    and the nearest existing folder one where a file can really be created (os.access says yes to root
    on /proc). Nothing is left behind."""
    root = Path(root)
    check_names(root, option)
    probe = root
    try:
        while not probe.exists() and probe != probe.parent:
            exc = link_error(probe)  # a dangling symlink or a loop: mkdir(parents=True) fails there, after the work
            if exc is not None:
                raise _broken(probe, exc, option)
            probe = probe.parent
        if not probe.is_dir():
            raise ActinitError(f"{option}: {str(probe)!r} is not a directory; choose a writable {option}")
        fd, name = tempfile.mkstemp(dir=probe, prefix=".actinit-probe-")
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise ActinitError(f"{option}: {str(probe)[:80]!r} is not writable ({exc.strerror}); choose a writable "
                           f"{option}") from None


def check_file(path: Path, option: str) -> None:
    """Refuse a file destination that cannot be written (a folder, a name too long, an unwritable place)
    before any work is done, writing nothing into it. Missing folders on the way are fine: they are
    created when it is written."""
    path = Path(path)
    check_names(path, option)
    if not path.name:
        raise ActinitError(f"{option}: no file name; give one such as report.xml")
    landing = destination(path, option)  # a symlink is written through: the folder it leads to must take the file
    if looks(Path.is_dir, path, option):
        raise ActinitError(f"{option}: {str(path)!r} is a directory; give a file name")
    check_out(landing.parent, option)
