"""One experiment from the command line's point of view: a spec validated (and its memory and output
root checked) before anything runs, then run and written as a run directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from actinit_cli.errors import ActinitError
from actinit_cli.run import files
from actinit_cli.run import spec as specs


@dataclass(frozen=True)
class Job:
    """A validated spec with where it goes; `steps` counts the progress units of its run."""

    spec: specs.Spec
    out: Path
    save_arrays: bool = False
    probe: Any = None  # a torch: model's probe (run/torchrun.py), found when the job was prepared

    @property
    def steps(self) -> int:
        from actinit_cli.run import runner

        return runner.total_steps(self.spec)


def refuse_sweep(spec: specs.Spec, command: str) -> None:
    """A spec with a sweep: section is many runs: only `actinit sweep` runs it."""
    if spec.resolved.get("sweep"):
        raise ActinitError(f"{spec.name}: the spec has a sweep: section; run it with actinit sweep "
                           f"(or remove sweep: to {command} the base spec)")


def prepare(path: Path, out: Path, save_arrays: bool = False, need_checks: bool = False) -> Job:
    """Everything a run can be refused for, found before it starts: the spec, checks, --out, memory."""
    from actinit_cli.run import runner

    spec = specs.load(path)
    refuse_sweep(spec, "run")
    if need_checks and not spec["checks"]:
        raise ActinitError(f"--check: {path} has no checks; add a checks: section (see the README)")
    files.check_out(out)
    return Job(spec, Path(out), save_arrays, runner.preflight(spec, save_arrays)[1])


def execute(job: Job, plots: bool = True, progress: Callable[[int], None] | None = None):
    """Run the job and write its run directory; returns (the Run, the directory). With plots, matplotlib is
    imported in a thread while the network computes (the import alone takes about as long as drawing)."""
    from actinit_cli.run import report, runner

    from actinit_cli import plots as drawing

    with drawing.imported_meanwhile(plots):
        result = runner.execute(job.spec, job.save_arrays, progress, job.probe)
    return result, report.write(result, job.out, plots=plots)
