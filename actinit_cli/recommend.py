"""Recommendations drawn from a sweep's measured numbers, set beside the textbook rules.

A pair (activation, initializer) is within bounds when, at every swept depth, the second moments of
activations and of back-propagated gradients change by at most a factor BOUND end to end:
|slope| * (depth - 1) <= log2(BOUND), with slope the fitted log2 change per hidden layer (forward and
backward), and nothing non-finite. Pairs are ranked by how flat they are at the deepest swept depth
(the hardest case): score = max(|activation slope|, |gradient slope|) there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from actinit_cli import activations, initializers

BOUND = 100.0  # default: end-to-end change within a factor of 100 either way
ACT, INIT, DEPTH = "activation", "initializer", "depth"  # columns every points.csv row has


@dataclass(frozen=True)
class Pair:
    """One initializer for one activation: its flatness at the deepest depth and per-depth slopes."""

    initializer: str
    score: float  # max |slope| at the deepest swept depth; inf when unmeasurable (collapse to 0, inf, failure)
    within: bool
    slopes: dict[int, tuple[float | None, float | None]]  # depth -> (activation slope, gradient slope)
    dead: float | None
    saturated: float | None


@dataclass(frozen=True)
class Advice:
    """Ranked pairs for one activation and what that says about the textbook rule."""

    activation: str
    pairs: list[Pair]
    verdict: str
    notes: list[str] = field(default_factory=list)


def _slope_ok(slope: float | None, depth: int, bound: float) -> bool:
    return slope is not None and math.isfinite(slope) and abs(slope) * max(depth - 1, 1) <= math.log2(bound)


def _row_score(r: dict) -> float:
    a, g = r.get("act_m2_slope_log2"), r.get("grad_m2_slope_log2")
    return max(abs(a), abs(g)) if r.get("status") == "ok" and None not in (a, g) else math.inf


def _pair(init: str, rows: list[dict], bound: float) -> Pair:
    by_depth: dict[int, dict] = {}
    for r in rows:  # several rows per depth (other swept paths): keep the worst
        d = int(r[DEPTH])
        if d not in by_depth or _row_score(r) > _row_score(by_depth[d]):
            by_depth[d] = r
    deepest = by_depth[max(by_depth)]
    slopes = {d: (r.get("act_m2_slope_log2"), r.get("grad_m2_slope_log2")) for d, r in by_depth.items()}
    ok = all(r.get("status") == "ok" and not r.get("nonfinite") and _slope_ok(a, d, bound) and _slope_ok(g, d, bound)
             for (d, r), (a, g) in zip(by_depth.items(), slopes.values()))
    return Pair(init, _row_score(deepest), ok, slopes, _most(rows, "max_dead_frac"), _most(rows, "max_saturated_frac"))


def _most(rows: list[dict], key: str) -> float | None:
    values = [r[key] for r in rows if r.get(key) not in (None, "")]
    return max(values) if values else None


def advise(rows: list[dict], width: int, bound: float = BOUND) -> list[Advice]:
    """Advice per swept activation from points.csv rows (values as shown: names, depths)."""
    advice = []
    for act in dict.fromkeys(r[ACT] for r in rows):
        mine = [r for r in rows if r[ACT] == act]
        pairs = [_pair(init, [r for r in mine if r[INIT] == init], bound) for init in dict.fromkeys(r[INIT] for r in mine)]
        pairs.sort(key=lambda p: (not p.within, p.score))
        advice.append(Advice(act, pairs, _verdict(act, pairs, width), _notes(act, pairs)))
    return advice


def _sigma_w2(init: str, width: int) -> float | None:
    """fan_in Var(W) of a square width x width layer (None for names the registry cannot build)."""
    try:
        e = initializers.get(init.split("(")[0]).expected((width, width))
    except Exception:
        return None
    return width * e.std**2


def _verdict(act: str, pairs: list[Pair], width: int) -> str:
    try:
        family = activations.get(act.split("(")[0]).family
    except Exception:
        return "no textbook rule for this activation"
    textbook = {"glorot": "Xavier/Glorot", "he": "He", "lecun": "LeCun"}[family]
    best = [p for p in pairs if p.within]
    if not best:
        return (f"no initializer kept {act} within a factor {BOUND:g} at every swept depth; the notes pair it "
                f"with {textbook}")
    top = best[0]
    want, got = _sigma_w2(f"{family}_normal", width), _sigma_w2(top.initializer, width)
    same = want is not None and got is not None and abs(got - want) <= 0.01 * want
    if top.initializer.startswith(family) or same:
        alias = "" if top.initializer.startswith(family) else f" ({top.initializer} has {textbook}'s variance " \
                                                                   f"for square layers)"
        return f"agrees with the notes ({textbook} for {act}): the flattest pair is {top.initializer}{alias}"
    return (f"disagrees with the notes ({textbook} for {act}): measured, {top.initializer} is flatter "
            f"(score {top.score:.3g}) than any {textbook} initializer")


def _notes(act: str, pairs: list[Pair]) -> list[str]:
    notes = []
    for p in pairs:
        if p.dead is not None and p.dead > 0.1:
            notes.append(f"{p.initializer}: up to {p.dead:.0%} of units dead for the whole batch")
        if p.saturated is not None and p.saturated > 0.1:
            notes.append(f"{p.initializer}: up to {p.saturated:.0%} of activations saturated")
    return notes


def ranking(advice: list[Advice]) -> list[tuple[str, float, str]]:
    """Activations by their best pair's score at the deepest depth: (activation, score, initializer)."""
    best = [(a.activation, a.pairs[0].score if a.pairs else math.inf, a.pairs[0].initializer if a.pairs else "")
            for a in advice]
    return sorted(best, key=lambda t: t[1])


def markdown(advice: list[Advice], depths: list[int], bound: float = BOUND) -> str:
    """recommendations.md."""
    lines = ["# Recommendations from measured data", "",
             f"Within bounds: at every swept depth ({', '.join(map(str, depths))}), activation and gradient second "
             f"moments change by at most {bound:g}x end to end (|slope| x (depth - 1) <= log2 {bound:g}). Score: "
             f"max(|activation slope|, |gradient slope|) in doublings per layer at depth {max(depths)}; lower is "
             "flatter. n/a: the quantity reached exactly 0 (vanished) or became non-finite at some layer, so no "
             "log2 slope exists (score inf).", "", "## Activations ranked by their flattest initializer", ""]
    lines += [f"{i}. {act}: {init}, score {_num(score)}" for i, (act, score, init) in enumerate(ranking(advice), 1)]
    for a in advice:
        lines += ["", f"## {a.activation}", "", a.verdict, "",
                  "| initializer | within | score | " + " | ".join(f"slopes @ {d} (act, grad)" for d in depths)
                  + " | max dead | max saturated |", "|" + "---|" * (5 + len(depths))]
        for p in a.pairs:
            cells = [f"{_num(p.slopes.get(d, (None, None))[0])}, {_num(p.slopes.get(d, (None, None))[1])}"
                     for d in depths]
            lines.append(f"| {p.initializer} | {'yes' if p.within else 'no'} | {_num(p.score)} | "
                         + " | ".join(cells) + f" | {_num(p.dead)} | {_num(p.saturated)} |")
        lines += [""] + [f"- {n}" for n in a.notes] if a.notes else []
    return "\n".join(lines) + "\n"


def _num(v: Any) -> str:
    if v is None or v == "":
        return "n/a"
    return "inf" if isinstance(v, float) and math.isinf(v) else f"{v:.3g}"
