"""Files that appear whole or not at all: write a temporary file beside the target, then rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from actinit_cli.errors import ActinitError


def umask() -> int:
    """The process's umask (read by setting and restoring it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, data: bytes, option: str = "--output") -> None:
    """Write `data` to `path` whole or not at all (temporary file in the same folder, then rename), with the
    permissions a plain open() would give (mkstemp makes it private)."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.")
    except OSError as exc:
        raise ActinitError(f"{option}: cannot write {str(path)!r} ({exc.strerror}); choose a writable path") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~umask())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ActinitError(f"{option}: cannot write {str(path)!r} ({exc.strerror}); choose a writable path") from None
