"""Recommendations drawn from a sweep's measured numbers, set beside the textbook rules.

A pair (activation, initializer) is within bounds when, at every swept depth, the measured end-to-end
ratios stay within a factor `bound` both ways: activations (last / first hidden second moment) and
gradients (first / last hidden), with nothing non-finite. Pairs are ranked by how flat they are at the
deepest swept depth (the hardest case): score = max(|activation slope|, |gradient slope|), the fitted
log2 change per layer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from actinit_cli.nn import activations, initializers
from actinit_cli.nn.headline import max_known

BOUND = 100.0  # default: end-to-end change within a factor of 100 either way
ACT, INIT, DEPTH = "activation", "initializer", "depth"  # columns every points.csv row has
TEXTBOOK = {"glorot": "Xavier/Glorot", "he": "He", "lecun": "LeCun"}


@dataclass(frozen=True)
class Pair:
    """One initializer for one activation: its flatness at the deepest depth and per-depth slopes."""

    initializer: str
    score: float  # max |slope| at the deepest swept depth; inf when unmeasurable (collapse to 0, inf, failure)
    within: bool
    slopes: dict[int, tuple[float | None, float | None]]  # depth -> (activation slope, gradient slope)
    sigma_w2: float | None  # fan_in Var(W) for a square hidden layer
    dead: float | None
    saturated: float | None


@dataclass(frozen=True)
class Advice:
    """Ranked pairs for one activation and what that says about the textbook rule."""

    activation: str
    pairs: list[Pair]
    verdict: str
    notes: list[str] = field(default_factory=list)


def _row_score(r: dict) -> float:
    a, g = r.get("act_m2_slope_log2"), r.get("grad_m2_slope_log2")
    return max(abs(a), abs(g)) if r.get("status") == "ok" and None not in (a, g) else math.inf


def _row_within(r: dict, bound: float) -> bool:
    ratios = (r.get("act_m2_last_over_first"), r.get("grad_m2_first_over_last"))
    return (r.get("status") == "ok" and not r.get("nonfinite")
            and all(x is not None and 1 / bound <= x <= bound for x in ratios))


def _pair(init: str, rows: list[dict], bound: float) -> Pair:
    by_depth: dict[int, dict] = {}
    for r in rows:  # several rows per depth (other swept paths): keep the worst
        d = int(r[DEPTH])
        if d not in by_depth or _row_score(r) > _row_score(by_depth[d]):
            by_depth[d] = r
    slopes = {d: (r.get("act_m2_slope_log2"), r.get("grad_m2_slope_log2")) for d, r in by_depth.items()}
    within = all(_row_within(r, bound) for r in rows)
    alive = [r for r in rows if r.get("act_m2_last_over_first")]  # collapsed to exactly 0 is underflow, not death
    return Pair(init, _row_score(by_depth[max(by_depth)]), within, slopes, rows[0].get("sigma_w2"),
                max_known(r.get("max_dead_frac") for r in alive), max_known(r.get("max_saturated_frac") for r in rows))


def advise(rows: list[dict], bound: float = BOUND) -> list[Advice]:
    """Advice per swept activation from points.csv rows (values as shown: names, depths)."""
    advice = []
    for act in dict.fromkeys(r[ACT] for r in rows):
        mine = [r for r in rows if r[ACT] == act]
        pairs = [_pair(init, [r for r in mine if r[INIT] == init], bound) for init in dict.fromkeys(r[INIT] for r in mine)]
        pairs.sort(key=lambda p: (not p.within, p.score))
        width = int(mine[0]["width"])
        advice.append(Advice(act, pairs, _verdict(act, pairs, width, bound) + _by_chance(pairs, bound),
                             _notes(act, pairs)))
    return advice


def _by_chance(pairs: list[Pair], bound: float) -> str:
    """A warning when the flattest pair within bounds has a twin of the same variance that is not: the draw of
    the weights, not the initializer, decided (finite-width sensitive, e.g. gelu with He at depth 50)."""
    top = next((p for p in pairs if p.within), None)
    twins = [p.initializer for p in pairs if top and not p.within and _same(p.sigma_w2, top.sigma_w2)]
    if not twins:
        return ""
    return (f"; only indicative: {', '.join(twins)}, with the same variance, {'does' if len(twins) == 1 else 'do'} "
            f"not stay within {bound:g}x, so the draw of the weights decided (raise repeats or width to settle it)")


def _family(act: str) -> str | None:
    name = act.split("(")[0]
    return activations.get(name).family if name in activations.REGISTRY.entries else None


def _same(a: float | None, b: float | None) -> bool:
    return a is not None and b is not None and abs(a - b) <= 0.01 * b


def _verdict(act: str, pairs: list[Pair], width: int, bound: float) -> str:
    family = _family(act)
    if family is None:
        return "no textbook rule for this activation"
    textbook = TEXTBOOK[family]
    target = width * initializers.get(f"{family}_normal").expected((width, width)).std ** 2
    within = [p for p in pairs if p.within]
    if len(pairs) == 1:
        state = "stays" if within else "does not stay"
        return f"only {pairs[0].initializer} was swept; it {state} within a factor {bound:g}: nothing to compare"
    if not within:
        return f"no initializer kept {act} within a factor {bound:g} at every swept depth; the notes pair it with {textbook}"
    top, ours = within[0], [p for p in pairs if _same(p.sigma_w2, target)]
    if _same(top.sigma_w2, target):
        alias = "" if top.initializer.startswith(family) else f" ({top.initializer} has {textbook}'s variance)"
        return f"agrees with the notes ({textbook} for {act}): the flattest pair is {top.initializer}{alias}"
    if not ours:
        return (f"the notes pair {act} with {textbook}, which this sweep did not include; the flattest measured "
                f"pair is {top.initializer}")
    best = ours[0]
    if best.within:
        return (f"disagrees with the notes ({textbook} for {act}): measured, {top.initializer} is flatter (score "
                f"{top.score:.3g}) than {best.initializer} (score {best.score:.3g})")
    return (f"disagrees with the notes ({textbook} for {act}): measured, {top.initializer} stays within "
            f"{bound:g}x at every swept depth and {best.initializer} does not ("
            + f"{_slope_compared(best.score, top.score)})")


def _slope_compared(ours: float, theirs: float) -> str:
    """How the textbook pair's fitted slope compares with the flattest pair's: 'although' only where it would
    have favoured the textbook pair."""
    said = f"its fitted slope, {ours:.3g} doublings per layer,"
    return (f"although {said} is flatter" if ours < theirs else f"{said} is the same" if ours == theirs
            else f"{said} is steeper too")


def _notes(act: str, pairs: list[Pair]) -> list[str]:
    notes = []
    for what, key in (("of units dead for the whole batch", "dead"), ("of activations saturated", "saturated")):
        hit = [p for p in pairs if (getattr(p, key) or 0) > 0.1]
        if hit:
            worst = max(getattr(p, key) for p in hit)
            notes.append(f"up to {worst:.0%} {what} (with {', '.join(p.initializer for p in hit)})")
    return notes


def ranking(advice: list[Advice]) -> list[tuple[str, float, str, bool]]:
    """Activations by their best pair's score at the deepest depth: (activation, score, initializer, within)."""
    best = [(a.activation, a.pairs[0].score, a.pairs[0].initializer, a.pairs[0].within) for a in advice if a.pairs]
    return sorted(best, key=lambda t: (not t[3], t[1]))


def rules(advice: list[Advice], bound: float = BOUND) -> list[str]:
    """The notes' hidden-layer rules, each with the numbers that support or contradict it."""
    ranked = ranking(advice)
    place = {act.split("(")[0]: i for i, (act, *_rest) in enumerate(ranked, 1)}
    by = {a.activation.split("(")[0]: a for a in advice}
    out = []
    if "relu" in by:
        dead = max_known(p.dead for p in by["relu"].pairs)
        out.append(f"prefer relu: relu ranks {place['relu']} of {len(ranked)} by its flattest initializer "
                   f"({by['relu'].pairs[0].initializer})")
        out.append(f"beware dead relu: up to {0 if dead is None else dead:.0%} of relu units are dead for a whole batch")
    if "leaky_relu" in by:
        dead = max_known(p.dead for p in by["leaky_relu"].pairs)
        dead_units = "dead units not measured" if dead is None else "no dead units" if dead == 0 else \
            f"up to {dead:.1%} of its units dead"
        out.append(f"try leaky relu: it ranks {place['leaky_relu']} of {len(ranked)}, with {dead_units}")
    for name, rule in (("sigmoid", "avoid sigmoid"), ("tanh", "tanh is acceptable")):
        if name in by:
            best = by[name].pairs[0]
            state = "stays" if best.within else "does not stay"
            out.append(f"{rule}: its flattest pair ({best.initializer}, score {_num(best.score)}) {state} within "
                       f"{bound:g}x; rank {place[name]} of {len(ranked)}")
    return out


def markdown(advice: list[Advice], depths: list[int], bound: float = BOUND) -> str:
    """recommendations.md."""
    lines = ["# Recommendations from measured data", "",
             f"Within bounds: at every swept depth ({', '.join(map(str, depths))}), the measured activation (last/first "
             f"hidden) and gradient (first/last hidden) second-moment ratios stay within {bound:g}x either way. Score: "
             f"max(|activation slope|, |gradient slope|) in doublings per layer at depth {max(depths)}; lower is "
             "flatter. n/a: the quantity reached exactly 0 (vanished) or became non-finite at some layer, so no "
             "log2 slope exists (score inf).", "", "## The notes' rules, measured", ""]
    measured = rules(advice, bound) or [f"none: they are about relu, leaky_relu, sigmoid and tanh, and this sweep has "
                                        f"{', '.join(a.activation for a in advice) or 'no finished point'}"]
    lines += [f"- {line}" for line in measured] + ["", "## Activations ranked by their flattest initializer", ""]
    lines += [f"{i}. {act}: {init}, score {_num(score)}{'' if ok else ' (not within bounds)'}"
              for i, (act, score, init, ok) in enumerate(ranking(advice), 1)]
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
