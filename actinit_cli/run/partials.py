"""Half-written run directories: a run directory is written into a hidden .partial-<pid>-<random> folder
beside its final place and renamed into it (run/rundir.py); those whose writing process died (SIGKILL,
power loss) are removed by the next writer in the same folder."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from actinit_cli.errors import ActinitError
from actinit_cli.run.files import umask

PARTIAL = ".partial-"  # a run directory being written: .partial-<pid>-<random>


def fresh(folder: Path, root: Path) -> Path:
    """A fresh hidden folder to write a run directory into, after removing those of dead processes."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        remove_stale_partials(folder)
        tmp = Path(tempfile.mkdtemp(prefix=f"{PARTIAL}{os.getpid()}-", dir=folder))
        os.chmod(tmp, 0o777 & ~umask())  # mkdtemp makes it private; a run directory is not
        return tmp
    except OSError as exc:
        raise ActinitError(f"--out: cannot create a run directory under {str(root)!r} ({exc.strerror}); "
                           f"choose a writable --out") from None


def remove_stale_partials(folder: Path) -> list[Path]:
    """Remove the half-written run directories that a killed process (SIGKILL, power loss) left in `folder`:
    those whose writing process no longer exists. Returns what was removed."""
    removed = []
    for path in Path(folder).glob(f"{PARTIAL}*"):
        pid = path.name[len(PARTIAL):].split("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    """Whether process `pid` still runs: a zombie (killed, not yet reaped by a parent that may be gone)
    has finished writing for good."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    try:  # Linux: the state letter after the command name in /proc/<pid>/stat
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True
