"""The spec's `analysis:` section: the input-output Jacobian spectrum of a run (nn/jacobian.py) beside its
prediction (theory/isometry.py), checked against the network before anything runs, and turned into the
run-level scalars (nn/scalars.py) that summary.json, checks, the terminal and points.csv read."""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from actinit_cli.errors import ActinitError
from actinit_cli.nn.jacobian import Spectrum
from actinit_cli.run import structure
from actinit_cli.theory import isometry

Where = Callable[[str], str]
FIELD = "analysis.jacobian.samples"


def samples(resolved: Mapping[str, Any]) -> int:
    """How many inputs of the first batch get their Jacobian spectrum (0: the analysis is off)."""
    return resolved.get("analysis", {}).get("jacobian", {}).get("samples", 0)


def validate(resolved: Mapping[str, Any], where: Where) -> None:
    """Cross-field rules: the Jacobian is built for actinit's plain MLP, from inputs of the first batch."""
    n = samples(resolved)
    if not n:
        return
    m = resolved["model"]
    if m.get("torch"):
        raise ActinitError(f"{where(FIELD)}: the Jacobian spectrum is computed for actinit's own MLP, not a torch "
                           f"model; remove analysis.jacobian")
    if m["block"]["norm"] == "batch":
        raise ActinitError(f"{where(FIELD)}: the Jacobian spectrum is computed per input, and BatchNorm couples the "
                           f"inputs of a batch; remove analysis.jacobian or use norm: layer or rms")
    if n > resolved["data"]["batch_size"]:
        raise ActinitError(f"{where(FIELD)}: {n} samples but data.batch_size is {resolved['data']['batch_size']}; "
                           f"the samples are inputs of the first batch")


def extra_bytes(resolved: Mapping[str, Any], sizes: list[int]) -> int:
    """Peak memory of the spectrum, at 8 bytes a value: the Jacobians twice while a product is formed, and the
    samples' pre-activations."""
    n = samples(resolved)
    return n * (2 * sizes[0] * max(sizes[1:-1]) + sum(sizes[1:-1])) * 8


def predict(resolved: Mapping[str, Any], sizes: list[int], profile: Any) -> tuple[isometry.Isometry | None, str]:
    """The wide-limit prediction of the spectrum's mean and variance, or why there is none."""
    if not structure.of(resolved["model"]).plain:
        return None, "the prediction is for plain MLPs; networks of blocks are measured only"
    if profile is None:
        return None, "no mean-field profile"
    if len(set(sizes[:-1])) != 1:
        return None, "the theory is for square weight matrices (input_dim and every width equal)"
    m = resolved["model"]
    inits = structure.initializers_of(m, "initializer")[:-1]
    acts = structure.hidden_activations(m)
    families = [w.expected((a, b)).family for w, a, b in zip(inits, sizes[:-2], sizes[1:-1])]
    var_w = [w.expected((a, b)).std ** 2 for w, a, b in zip(inits, sizes[:-2], sizes[1:-1])]
    sw2 = [a * v for a, v in zip(sizes[:-2], var_w)]
    q = [float(v) for v in profile.preact_m2[1:-1]]
    try:
        return isometry.predict(acts, q, sw2, [isometry.s1(f) for f in families]), ""
    except ActinitError as exc:
        return None, str(exc)


def results(resolved: Mapping[str, Any], sizes: list[int], spectrum: Spectrum | None,
            profile: Any) -> tuple[dict[str, float | None], list[str]]:
    """The run's scalars of the analysis and its notes (why there is no prediction, if there is none)."""
    if spectrum is None:
        return {}, []
    predicted, why = predict(resolved, sizes, profile)
    return scalars(spectrum, predicted), [f"Jacobian spectrum: no prediction ({why})"] if why else []


def scalars(spectrum: Spectrum | None, predicted: isometry.Isometry | None) -> dict[str, float | None]:
    """The jac_* and pred_jac_* scalars of a run with the analysis on (empty without it)."""
    if spectrum is None:
        return {}
    out: dict[str, float | None] = dict(spectrum.scalars())
    for key in ("sv2_mean", "sv2_var", "sv2_var_rel"):
        value = getattr(predicted, key) if predicted is not None else None
        out[f"pred_jac_{key}"] = value if value is None or np.isfinite(value) else None
    return out

