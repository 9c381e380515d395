"""The CI gate: resolve targets (a spec is run first; a run directory is read back), evaluate their
checks and, optionally, compare them with a baseline run."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from actinit_cli.errors import ActinitError
from actinit_cli.gates import baseline as baselines
from actinit_cli.gates import verdict
from actinit_cli.gates.verdict import Result
from actinit_cli.run import files, rundir
from actinit_cli.run import spec as specs


@dataclass(frozen=True)
class Target:
    """What a check looks at: the run directory, its spec's checks and its rows."""

    label: str
    run_dir: Path
    spec: specs.Spec
    rows: list[dict]
    per_repeat: list[list[dict]]
    seconds: float = 0.0  # the run's wall time (0 for a saved run read back)
    ran: bool = False  # a spec run now (True) or a saved run directory (False)
    scalars: dict = field(default_factory=dict)  # run-level quantities the rows do not give (nn/scalars.py)

    @classmethod
    def of_run(cls, label: str, run_dir: Path, run: Any) -> "Target":
        """The target of a run just made (a runner.Run and its directory)."""
        return cls(label, run_dir, run.spec, run.rows, run.per_repeat, run.seconds, True, run.scalars)


@dataclass(frozen=True)
class Planned:
    """A target validated before anything runs: a saved run, or a spec still to run; `skip` says why a
    target is left out (a sweep spec among a glob of configs)."""

    path: Path
    saved: rundir.Saved | None = None
    spec: specs.Spec | None = None
    skip: str = ""
    job: Any = None  # a spec with train: (train/job.py), its data read and its network drawn
    probe: Any = None  # a torch: model's probe (run/torchrun.py), reused when it runs

    @property
    def sizes(self) -> list[int] | None:
        """Layer sizes of actinit's own MLP (None for a torch model: its rows are known once it runs)."""
        s = self.saved.spec if self.saved else self.spec
        return None if s.torch else s.sizes

    @property
    def checks(self) -> list[dict]:
        return (self.saved.spec if self.saved else self.spec)["checks"]

    @property
    def steps(self) -> int:
        """Progress units of running it (a spec: one per layer, forward and backward; a saved run: 0)."""
        if self.spec is None:
            return 0
        if self.job is not None:
            return self.job.steps
        from actinit_cli.run import runner  # a spec about to run: the runner loads anyway

        return runner.total_steps(self.spec)


def plan(path: Path, out: Path = Path("runs")) -> Planned:
    """Load a run directory, or validate a spec (memory included), without running anything; a spec with
    train: is prepared for training (its data read and checked)."""
    path = Path(path)
    if files.looks(Path.is_dir, path, "check"):
        return Planned(path, saved=rundir.load(path))
    from actinit_cli.run import runner  # specs only: re-checking a saved run never loads the network code

    spec = specs.load(path)
    if spec.resolved.get("sweep"):
        return Planned(path, skip=f"skipped {path}: a sweep spec (run it with actinit sweep)")
    if spec.resolved.get("train"):
        from actinit_cli.train import job

        prepared = job.prepare(spec, out)
        return Planned(path, spec=prepared.spec, job=prepared)
    return Planned(path, spec=spec, probe=runner.preflight(spec, False)[1])


def resolve(p: Planned, out: Path, plots: bool, progress: Callable[[int], None] | None = None) -> Target:
    """A run directory as saved; a spec is run and written first."""
    if p.saved is not None:
        return Target(str(p.path), p.path, p.saved.spec, p.saved.rows, p.saved.per_repeat,
                      scalars=p.saved.scalars)
    if p.job is not None:
        from actinit_cli.train import job

        tick = progress or (lambda n: None)
        run, run_dir = job.execute(p.job, plots, lambda n, loss: tick(n))
        return Target.of_run(str(p.path), run_dir, run)
    from actinit_cli.run import experiment

    run, run_dir = experiment.execute(experiment.Job(p.spec, out, probe=p.probe), plots, progress)
    return Target.of_run(str(p.path), run_dir, run)


def evaluate(target: Target, strict: bool = False) -> list[Result]:
    """Every check of the target's spec; with `strict`, a check must also hold for every repeat."""
    results = []
    model = target.spec.resolved["model"]
    for check in target.spec["checks"]:
        result = verdict.evaluate(check, target.rows, model, target.label, target.scalars)
        if strict and result.passed and len(target.per_repeat) > 1:
            failing = [(k, r) for k, rows in enumerate(target.per_repeat)
                       if not (r := verdict.evaluate(check, rows, model, target.label, target.scalars)).passed]
            if failing:
                k, r = failing[0]
                result = Result(r.target, r.name, False, r.layer, r.value, r.bound,
                                f"repeat {k}: {r.message} (--strict; the mean over repeats passes)")
        results.append(result)
    return results


def _planned(paths: list[Path], saved: rundir.Saved | None, baseline: Path | None, out: Path) -> list[Planned]:
    """Every target validated (with the baseline's shape); sweep specs are left out with a notice."""
    planned = [plan(p, out) for p in paths]
    todo = [p for p in planned if not p.skip]
    if not todo:
        raise ActinitError("check: every target is a sweep spec (run those with actinit sweep); give a spec "
                           "without sweep: or a run directory")
    for p in todo:
        if not p.checks and saved is None:
            raise ActinitError(f"{p.path}: has no checks; add a checks: section to its spec or pass --baseline")
        if saved is not None and p.sizes is not None and not saved.spec.torch:  # torch rows: compared after the run
            baselines.check_same_sizes(p.sizes, saved.spec.sizes, str(baseline))
    return planned


@dataclass(frozen=True)
class Gate:
    """Every target validated, with what the gate compares against and where it writes."""

    planned: list[Planned]
    out: Path
    strict: bool
    baseline: rundir.Saved | None
    tolerance: float
    junit: Path | None

    @property
    def steps(self) -> int:
        return sum(p.steps for p in self.planned if not p.skip)

    @property
    def skipped(self) -> list[str]:
        return [p.skip for p in self.planned if p.skip]


def prepare(paths: list[Path], out: Path, strict: bool = False, baseline: Path | None = None,
            tolerance: float = 1.0, junit: Path | None = None) -> Gate:
    """Everything a check can be refused for, before anything runs: the targets, the baseline and its
    shape, --out and --junit."""
    baselines.check_tolerance(tolerance)
    files.check_out(out)
    if junit is not None:
        files.check_file(junit, "--junit")
    if baseline is not None:
        files.check_names(Path(baseline), "--baseline")
    saved = rundir.load(baseline) if baseline is not None else None
    planned = _planned(paths, saved, baseline, Path(out))  # a target that is not one is named first
    if junit is not None:
        _not_an_input(Path(junit), [*paths, *([baseline] if baseline is not None else [])])
    return Gate(planned, Path(out), strict, saved, tolerance, junit)


def _not_an_input(junit: Path, inputs: list[Path]) -> None:
    """The JUnit file must not overwrite what the check reads: a target spec (`check --junit a.yaml b.yaml` made
    a.yaml the report and replaced it with XML), a file in a target run directory or in the baseline."""
    dest = Path(os.path.realpath(junit))
    for given in inputs:
        real = Path(os.path.realpath(given))
        if dest == real or real in dest.parents:
            raise ActinitError(f"--junit: {str(junit)!r} would overwrite {'' if dest == real else 'a file in '}"
                               f"{str(given)!r}, which the check reads; give the report its own name such as "
                               f"report.xml")
    _not_foreign(junit)


def _not_foreign(junit: Path) -> None:
    """An existing --junit file is replaced only if it is empty or XML: `check --junit configs/*.yaml` made the
    first spec the report (not a target, so the check above misses it) and replaced it with XML."""
    if not os.path.isfile(junit):  # nothing there yet, or a device or a pipe: written through, never read
        return
    try:
        with open(junit, "rb") as f:
            start = f.read(64).lstrip()
    except OSError:
        return  # unreadable: writing it says why
    if start and not start.startswith(b"<"):
        raise ActinitError(f"--junit: {str(junit)!r} exists and is not an XML report; give the report its own name "
                           f"such as report.xml, or remove the file")


def run(g: Gate, plots: bool = True, progress: Callable[[int], None] | None = None
        ) -> tuple[list[Target], list[Result]]:
    """Run the specs (reading saved runs as they are), evaluate every check and the baseline comparison,
    and write the JUnit file when asked."""
    results: list[Result] = []
    targets = [resolve(p, g.out, plots, progress) for p in g.planned if not p.skip]
    for t in targets:
        results += evaluate(t, g.strict)
        if g.baseline is not None:
            results += baselines.compare(t.rows, g.baseline.rows, g.tolerance, t.label, str(g.baseline.path))
    if g.junit is not None:
        from actinit_cli.gates import junit as junit_xml
        from actinit_cli.run.files import write_atomic

        write_atomic(g.junit, junit_xml.xml(results, {t.label: t.seconds for t in targets}).encode(), "--junit")
    return targets, results


def gate(paths: list[Path], out: Path, strict: bool = False, baseline: Path | None = None,
         tolerance: float = 1.0, plots: bool = True, junit: Path | None = None,
         progress: Callable[[int], None] | None = None) -> tuple[list[Target], list[Result], list[str]]:
    """prepare + run: (the targets, the results, the notices of skipped targets)."""
    g = prepare(paths, out, strict, baseline, tolerance, junit)
    targets, results = run(g, plots, progress)
    return targets, results, g.skipped


def refresh_baseline(path: Path, baseline: Path, out: Path, plots: bool) -> Path:
    """Run (or read) one target and make `baseline` a copy of its run directory; checked before running."""
    files.check_names(Path(baseline), "--baseline")
    baselines.check_replaceable(baseline)
    files.check_out(files.destination(baseline, "--baseline").parent, "--baseline")  # a symlink: where it leads
    files.check_out(out)
    p = plan(path, out)
    if p.skip:
        raise ActinitError(p.skip.replace("skipped", "cannot use", 1))
    target = resolve(p, out, plots)
    baselines.update(target.run_dir, baseline)
    return target.run_dir
