"""Files that appear whole or not at all: write a temporary file beside the target, then rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

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
    rename it into place: the file appears whole or not at all, also on a full disk (one-line error)."""
    path = Path(path)
    try:
        fd, name = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.",
                                    suffix=path.suffix)
        os.close(fd)
    except OSError as exc:
        raise ActinitError(f"{option}: cannot write {str(path)!r} ({exc.strerror}); choose a writable path") from None
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~umask())  # mkstemp makes it private
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise ActinitError(f"{option}: cannot write {str(path)!r} ({exc.strerror or exc}); free some space or "
                               f"choose a writable path") from None
        raise
