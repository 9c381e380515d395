"""Theory beside measurement: the mean-field prediction of a spec's network, as layers.csv columns,
band flags and a summary (phase, chi_1, q*, depth scales) for summary.json and the terminal.

The prediction uses each layer's actual fans and the initializer's weight variance (forward fan_in,
backward fan_out), the bias variance, and the input's second moment and cross-sample correlation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from actinit_cli.nn import activations, initializers
from actinit_cli.theory import blocks as block_theory, phase, profile as theory
from actinit_cli.errors import ActinitError
from actinit_cli.nn.columns import THEORY
from actinit_cli.run import structure
from actinit_cli.run.spec import Spec

SENSITIVE = 2.0  # docs/reference-numbers.md section W: when ln q's sensitivity exceeds 2 the curve is only indicative


@dataclass(frozen=True)
class Prediction:
    """A profile when mean-field theory describes the network, else the reason it does not."""

    profile: theory.Profile | None
    reason: str = ""
    summary: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _variance(w_init: Any, b_init: Any, fan_in: int, fan_out: int) -> tuple[float, float]:
    """Var(W) and Var(b) of one layer from the initializers' formulas, or ActinitError with the reason."""
    w, b = w_init.expected((fan_in, fan_out)), b_init.expected((fan_out,))
    if w.family == initializers.DATA_FAMILY:
        raise ActinitError(f"the weights ({w_init.name}) are scaled on the data, layer by layer: the prediction "
                           f"would need the fitted scales")
    if w.family == "deterministic" or w.mean != 0:
        raise ActinitError(f"the weights ({w_init.name}) are not zero-mean random: mean-field theory assumes "
                           f"iid zero-mean weights")
    if b.mean != 0:
        raise ActinitError(f"the biases ({b_init.name}) have mean {b.mean:g}: mean-field theory assumes "
                           f"zero-mean biases")
    var_w, var_b = w.std * w.std, b.std * b.std  # a product overflows to inf; ** would raise OverflowError
    if not (math.isfinite(var_w) and math.isfinite(var_b)):
        raise ActinitError(f"the weight or bias variance overflows float64 ({w_init.name} std {w.std:g}, "
                           f"{b_init.name} std {b.std:g}): mean-field theory needs finite variances")
    return var_w, var_b


def _variances(spec: Spec) -> tuple[list[float], list[float]]:
    """Var(W^l) and Var(b^l) per layer (each layer's own initializers), or ActinitError with the reason."""
    m = spec.resolved["model"]
    inits, biases = structure.initializers_of(m, "initializer"), structure.initializers_of(m, "bias_initializer")
    pairs = [_variance(w, b, fan_in, fan_out)
             for w, b, fan_in, fan_out in zip(inits, biases, spec.sizes[:-1], spec.sizes[1:])]
    return [w for w, _ in pairs], [b for _, b in pairs]


def predict(spec: Spec) -> Prediction:
    """The mean-field profile of `spec`'s network, or why there is none (never a wrong curve)."""
    m = spec.resolved["model"]
    if not structure.of(m).plain:
        return _predict_blocks(spec)
    try:
        var_w, var_b = _variances(spec)
        fwd, bwd = theory.sigma_w2(var_w, spec.sizes)
        mean, std = spec["data.input.mean"], spec["data.input.std"]
        q0 = mean * mean + std * std
        acts = structure.per_layer(m, "activation") if m["layers"] else m["activation"]
        prof = theory.profile(acts, fwd, bwd, var_b, q0, mean * mean / q0 if q0 else 0.0, spec.sizes,
                              m["output_activation"], input_mean=mean)
    except ActinitError as exc:
        return Prediction(None, str(exc))
    hidden = fwd[1:-1] if len(fwd) > 2 else fwd[:1]
    sw2, sb2, phase_act, start = float(np.median(hidden)), float(np.median(var_b)), m["activation"], 1
    notes = [] if prof.output_predicted else [f"output layer: {prof.output_note}"]
    if isinstance(acts, list) and any(a != m["activation"] for a in acts):  # the regime the signal ends in
        sw2, sb2, phase_act, start = float(hidden[-1]), float(var_b[-2]), acts[-1], len(acts)
        notes.append(f"the activation varies over the hidden layers; the phase is that of the last one "
                     f"({activations.REGISTRY.short_name(phase_act)}, sigma_w^2 {sw2:.3g})")
    elif np.ptp(hidden) > 0.01 * sw2:
        notes.append(f"sigma_w^2 varies over the hidden layers ({hidden.min():.3g}..{hidden.max():.3g}); "
                     f"the phase is for their median")
    sens = float(np.nanmax(np.abs(prof.sensitivity)))
    if sens > SENSITIVE:
        notes.append(f"finite-width sensitive (prod s = {sens:.3g} > {SENSITIVE:g}): the curve is only indicative")
    return Prediction(prof, "", _summary(phase_act, sw2, sb2, prof, sens, start), notes)


def _block_network(spec: Spec) -> block_theory.Network:
    """The theory's view of a network of blocks: each block's activation and dense layers' variances."""
    m, sizes = spec.resolved["model"], spec.sizes
    arch = structure.of(m)
    inits, biases = structure.initializers_of(m, "initializer"), structure.initializers_of(m, "bias_initializer")
    params = []
    for l, phi in enumerate(structure.hidden_activations(m), start=1):
        shapes = [(sizes[l - 1], sizes[l])] + [(sizes[l], sizes[l])] * (arch.branch.count("dense") - 1)
        params.append(block_theory.BlockParams(phi, tuple(_dense(inits[l - 1], biases[l - 1], *s) for s in shapes),
                                               sizes[l]))
    std = spec["data.input.std"]
    return block_theory.Network(arch, params, _dense(inits[-1], biases[-1], sizes[-2], sizes[-1]),
                                activations.get(m["output_activation"]), sizes, spec["data.input.mean"], std,
                                spec["data.input.distribution"] == "normal" or std == 0)


def _dense(w_init: Any, b_init: Any, fan_in: int, fan_out: int) -> block_theory.Dense:
    var_w, var_b = _variance(w_init, b_init, fan_in, fan_out)
    return block_theory.Dense(fan_in * var_w, fan_out * var_w, var_b)


def _predict_blocks(spec: Spec) -> Prediction:
    """The profile of a network of blocks (theory/blocks.py), or why there is none, also as a note."""
    m = spec.resolved["model"]
    try:
        prof = block_theory.profile(_block_network(spec))
    except ActinitError as exc:
        return Prediction(None, str(exc), notes=[f"no mean-field prediction: {exc}"])
    q, g = prof.act_m2, prof.grad_act_m2
    summary = {"network": structure.describe(m), "stream_m2_last_over_first": _clean(q[-2] / q[1]),
               "stream_grad_first_over_last": _clean(g[1] / g[-2]),
               "band": {"definition": "measured within [pred / band, pred * band]: exp(2 sd) of ln E[h^2] and ln "
                                      "E[y^2] for one net on one input (theory/streams.py, after docs/reference-"
                                      "numbers.md section W)",
                        "preact": [_clean(b) for b in prof.band_hi], "act": [_clean(b) for b in prof.act_band_hi]}}
    return Prediction(prof, "", summary, [] if prof.output_predicted else [f"output layer: {prof.output_note}"])


def _summary(act: Any, sw2: float, sb2: float, prof: theory.Profile, sensitivity: float,
             start: int = 1) -> dict[str, Any]:
    """The phase, fixed point and depth scales of `act` at sigma_w^2, sigma_b^2, from layer `start`'s q."""
    q_start = float(np.clip(prof.preact_m2[start], phase.Q_MIN, phase.Q_MAX))
    s = phase.summary(act, sw2, sb2, q_start)
    return {"sigma_w2": sw2, "sigma_b2": sb2, "phase": s.phase, "chi_1": s.chi1, "q_star": s.q_star,
            "c_star": s.c_star, "xi_q": s.xi_q, "xi_c": s.xi_c, "sensitivity": sensitivity,
            "band": {"definition": "measured within [pred / band, pred * band]: exp(2 sd) of ln E[h^2] and "
                                   "ln E[y^2] for one net on one input (docs/reference-numbers.md section W, plus 2/n)",
                     "preact": [_clean(b) for b in prof.band_hi], "act": [_clean(b) for b in prof.act_band_hi]}}


def _clean(x: float | None) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def annotate(rows: list[dict], pred: Prediction, batch: int) -> list[dict]:
    """rows with the theory columns added (empty when theory does not apply). pred_grad_preact_m2 is anchored
    at the measured output layer: G_l times the output's measured second moment. pred_act_unit_var is what
    act_unit_var, each batch's variance across its `batch` samples (divided by the batch), has for expected
    value: (batch - 1) / batch times the mean-field E[y^2] - E[y_a y_b], for any exchangeable samples. pred_preact_band and
    pred_act_band are the finite-width factors exp(2 sd of ln E[h^2]) and exp(2 sd of ln E[y^2]);
    outside_band is 1 where the measured preact_m2 or act_m2 leaves [pred / band, pred * band]."""
    out = [dict(r, **{c: None for c in THEORY}) for r in rows]
    p = pred.profile
    if p is None:
        return out
    anchor = rows[-1]["grad_preact_m2"]
    within = (batch - 1) / batch
    for layer, row in enumerate(out):
        row.update(pred_preact_m2=_clean(p.preact_m2[layer]), pred_act_m2=_clean(p.act_m2[layer]),
                   pred_act_var=_clean(p.act_var[layer]), pred_act_unit_var=_clean(within * p.act_unit_var[layer]),
                   pred_preact_band=_clean(p.band_hi[layer]), pred_act_band=_clean(p.act_band_hi[layer]))
        if anchor is not None and math.isfinite(anchor):
            row["pred_grad_preact_m2"] = _clean(p.grad_preact_m2[layer] * anchor) if layer > 0 else None
            row["pred_grad_act_m2"] = _clean(p.grad_act_m2[layer] * anchor) if p.grad_act_m2 is not None else None
        for column in ("branch_share", "norm_in_m2"):
            values = getattr(p, column)
            row[f"pred_{column}"] = _clean(values[layer]) if values is not None else None
        if layer > 0:
            row["outside_band"] = int(_outside(row["preact_m2"], row["pred_preact_m2"], row["pred_preact_band"]) or
                                      _outside(row["act_m2"], row["pred_act_m2"], row["pred_act_band"]))
    return out


def _outside(measured: float | None, predicted: float | None, band: float | None) -> bool:
    if predicted is None or band is None:
        return False
    if measured is None or not math.isfinite(measured):
        return True
    return not predicted / band <= measured <= predicted * band
