"""Baselines: compare a run layer by layer with a saved one, and refresh a saved one.

A quantity regresses where |log2(new / old)| exceeds the tolerance (default 1.0: a doubling or a
halving) at any layer; non-finite values that the baseline did not have fail too.
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
from pathlib import Path

from actinit_cli.nn.columns import SCALE
from actinit_cli.gates.verdict import Result
from actinit_cli.errors import ActinitError
from actinit_cli.run import files
from actinit_cli.words import counted


def log2_ratio(new: float | None, old: float | None) -> float | None:
    """log2(new / old): 0 when both are 0 or the same inf/nan (not new: README), inf when only one is 0, None when
    either is missing or only the new one, or another one, is not finite."""
    if new is None or old is None:
        return None
    if not (math.isfinite(new) and math.isfinite(old)):
        return 0.0 if new == old or (math.isnan(new) and math.isnan(old)) else None
    if new == 0 and old == 0:
        return 0.0
    if new <= 0 or old <= 0:
        return math.inf
    return math.log2(new / old)


def check_tolerance(tolerance: float) -> float:
    if not (math.isfinite(tolerance) and tolerance > 0):
        raise ActinitError(f"--tolerance: must be a finite number of doublings > 0, got {tolerance!r}")
    return tolerance


def check_same_sizes(new: list[int], old: list[int], where: str) -> None:
    """Layer sizes (input, hidden..., output) must match the baseline's."""
    if list(new) != list(old):
        raise ActinitError(f"--baseline {where}: the baseline has {len(old) - 2} hidden layers of widths "
                           f"{sorted(set(old[1:-1]))}, this network {len(new) - 2} of {sorted(set(new[1:-1]))} "
                           f"(sizes {old} vs {new}); compare like with like or refresh it with --update-baseline")


def compare(new: list[dict], old: list[dict], tolerance: float, target: str = "", where: str = "") -> list[Result]:
    """One result per quantity that either run has (a plain MLP has no branch_share: no row that could not fail):
    the worst layer's log2(new/old) against +-tolerance."""
    check_same_sizes([r["width"] for r in new], [r["width"] for r in old], where)
    results = [_quantity(q, new, old, tolerance, target) for q in SCALE]
    return [r for r in results if r is not None] + [_nonfinite(new, old, target)]


def _quantity(q: str, new: list[dict], old: list[dict], tolerance: float, target: str) -> Result | None:
    name, bound = f"baseline {q}", f"|log2(new/old)| <= {tolerance:g}"
    pairs = [(r["layer"], r.get(q), o.get(q)) for r, o in zip(new, old) if not (r.get(q) is None and o.get(q) is None)]
    if not pairs:
        return None
    ratios = {layer: log2_ratio(n, o) for layer, n, o in pairs}
    broken = [layer for layer, r in ratios.items() if r is None]
    if broken:
        layer = broken[0]
        n, o = next((n, o) for lay, n, o in pairs if lay == layer)
        if n is None or o is None:  # measured by one run only: a change of what is measured (or of the network)
            which = "the baseline, not this run" if n is None else "this run, not the baseline"
            return Result(target, name, False, layer, n, bound, f"layer {layer}: {q} is measured in {which}: cannot "
                          f"compare; if that is expected, refresh the baseline with --update-baseline")
        return Result(target, name, False, layer, n, bound, f"layer {layer}: new {n}, baseline {o}: cannot compare")
    worst = max(ratios, key=lambda layer: abs(ratios[layer]))
    ok = abs(ratios[worst]) <= tolerance
    outside = [layer for layer, r in ratios.items() if abs(r) > tolerance]
    message = (f"every layer within {tolerance:g} doublings of the baseline" if ok else
               f"layer {outside[0]} moved {ratios[outside[0]]:+.3g} doublings ({counted(len(outside), 'layer')} outside "
               f"+-{tolerance:g}; worst layer {worst}: {ratios[worst]:+.3g})")
    return Result(target, name, ok, worst, ratios[worst], bound, message)


def _nonfinite(new: list[dict], old: list[dict], target: str) -> Result:
    grew = [(r["layer"], r["nonfinite"], o["nonfinite"]) for r, o in zip(new, old) if r["nonfinite"] > o["nonfinite"]]
    if not grew:
        return Result(target, "baseline nonfinite", True, None, 0, "no new inf/nan", "no new inf/nan")
    layer, n, o = grew[0]
    return Result(target, "baseline nonfinite", False, layer, n, "no new inf/nan",
                  f"layer {layer} has {counted(n, 'inf/nan value')}, the baseline {o}")


def check_replaceable(baseline: Path) -> None:
    """Only a run directory (or nothing, or an empty folder) may be replaced by --update-baseline."""
    from actinit_cli.run.rundir import is_run_dir

    baseline = files.destination(baseline, "--baseline")  # a symlink: the folder it leads to (the link stays)
    if baseline.exists() and not (is_run_dir(baseline) or (baseline.is_dir() and not any(baseline.iterdir()))):
        raise ActinitError(f"--baseline: {str(baseline)!r} exists and is not a run directory; --update-baseline "
                           f"only replaces a saved run (give a new path, e.g. baselines/<name>)")


def update(run_dir: Path, baseline: Path) -> None:
    """Make `baseline` a copy of `run_dir`, replacing it whole (copy beside it, then swap by renames). On any
    failure (a full disk) the old baseline stays as it was and no staging folder is left behind."""
    check_replaceable(baseline)
    baseline = files.destination(baseline, "--baseline")
    staging: Path | None = None
    try:
        baseline.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".baseline-", dir=baseline.parent))
        shutil.copytree(run_dir, staging / "new")
        _swap(staging, baseline)
    except OSError as exc:
        raise ActinitError(f"--baseline: cannot write {str(baseline)!r} ({_why(exc)}); free some space or choose a "
                           f"writable path") from None
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


def _swap(staging: Path, baseline: Path) -> None:
    """Move the old baseline aside into `staging` and the new copy into its place (the old one back on failure)."""
    old = staging / "old"
    if baseline.exists():
        baseline.rename(old)
    try:
        (staging / "new").rename(baseline)
    except BaseException:
        if old.exists():
            old.rename(baseline)
        raise


def _why(exc: OSError) -> str:
    """The reason in one short phrase: copytree gathers its errors into a shutil.Error without a strerror."""
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list) and exc.args[0]:
        why = str(exc.args[0][0][-1])
        found = re.search(r"\[Errno \d+\] ([^:]+)", why)
        return found.group(1) if found else why[:120]
    return exc.strerror or str(exc)
