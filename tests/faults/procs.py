"""Real `actinit` processes for the fault tests: started in a session of their own (so every worker they
spawn can be found and, at the end, killed), polled with deadlines instead of fixed sleeps, and checked
for what they leave behind: processes, `.partial-*` folders, incomplete run directories."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from actinit_cli.run import rundir
from tests.cases import terminal_signals

POLL = 0.002  # seconds between looks at the process table or the file system
TERM_CODES = (143,)  # README's exit codes: 143 terminated (SIGTERM), handled like Ctrl-C


# What a user runs: the `actinit` console script beside the interpreter (its own entry point), else the module.
_SCRIPT = Path(sys.executable).with_name("actinit")
ENTRY = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "actinit_cli"]


def stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, session id) of a process, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[1]), int(fields[3])


def alive(pid: int) -> bool:
    """Running or sleeping: not gone and not a zombie (an orphan's zombie waits for its reaper, it runs nothing)."""
    s = stat(pid)
    return s is not None and s[0] not in ("Z", "X")


def session(sid: int) -> list[int]:
    """Every live process of a session."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            s = stat(int(entry.name))
            if s is not None and s[2] == sid and s[0] not in ("Z", "X"):
                pids.append(int(entry.name))
    return pids


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return b""


def until(condition: Callable[[], object], deadline: float, what: str) -> object:
    """Poll `condition` until it is true (returned) or `deadline` seconds pass (AssertionError naming `what`)."""
    end = time.monotonic() + deadline
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"{what}: not within {deadline:g} s")
        time.sleep(POLL)


@dataclass
class Proc:
    """One `python -m actinit_cli ...` process; stdout and stderr go to files (a pipe could fill and block it)."""

    args: list[str]
    cwd: Path
    popen: subprocess.Popen = field(init=False)

    def __post_init__(self) -> None:
        self.out_file, self.err_file = self.cwd / ".stdout", self.cwd / ".stderr"
        with open(self.out_file, "w") as out, open(self.err_file, "w") as err:
            self.popen = subprocess.Popen([*ENTRY, *map(str, self.args)], cwd=self.cwd,
                                          stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True,
                                          preexec_fn=terminal_signals)
        self.pid = self.popen.pid

    def wait(self, deadline: float) -> int:
        try:
            return self.popen.wait(timeout=deadline)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"actinit {' '.join(map(str, self.args[:2]))} still running {deadline:g} s "
                                 f"after the signal; stderr: {self.stderr[-300:]!r}") from None

    def send(self, sig: int, group: bool = False) -> None:
        """Signal the process (group: its whole session, as a terminal's Ctrl-C reaches every process)."""
        try:
            os.killpg(self.pid, sig) if group else os.kill(self.pid, sig)
        except ProcessLookupError:
            pass

    def mapped(self) -> str:
        """The files mapped into the process (/proc/PID/maps): which extension modules it has imported."""
        try:
            return Path(f"/proc/{self.pid}/maps").read_text()
        except (FileNotFoundError, ProcessLookupError):
            return ""

    def workers(self) -> list[int]:
        """The multiprocessing workers it spawned (their command line runs multiprocessing's spawn_main)."""
        return [p for p in session(self.pid) if p != self.pid and b"spawn_main" in cmdline(p)]

    def finish(self) -> None:
        """Kill whatever is left of the session and reap the process (test teardown)."""
        for pid in session(self.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait()

    @property
    def stdout(self) -> str:
        return self.out_file.read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return self.err_file.read_text(errors="replace")


def partials(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob(".partial-*"))


def incomplete_run_dirs(root: Path) -> list[Path]:
    """Run directories under root/<name>/ (or a sweep's points/<label>/) that cannot be read back whole."""
    bad = []
    for folder in root.glob("*/*") if root.is_dir() else []:
        if folder.name.startswith(".") or not folder.is_dir() or (folder / "sweep.yaml").exists():
            continue
        try:
            rundir.load(folder)
        except Exception as exc:  # noqa: BLE001 - anything that stops a read-back is "incomplete" here
            bad.append(f"{folder}: {exc}")
    return bad


def assert_interrupted(proc: Proc, code: int, codes: tuple[int, ...]) -> None:
    """Exit `codes`, no traceback, one line on stderr."""
    err = proc.stderr
    assert code in codes, f"exit {code} (expected {codes}); stderr {err[-500:]!r}"
    assert "Traceback" not in err, err[-1500:]
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"{len(lines)} lines on stderr: {err[-800:]!r}"
