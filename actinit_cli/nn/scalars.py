"""Run-level quantities: one number per run (the headline's end-to-end ratios and slopes, and what later
analyses add), the one table that checks (`quantity: <name>` with min/max), summary.json's "scalars",
points.csv and the terminal read. Adding one is an entry here plus the code that computes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from actinit_cli.nn.headline import TRENDS


@dataclass(frozen=True, kw_only=True)
class Scalar:
    """One run-level quantity; `scale`: a positive scale (a ratio), where a log reading makes sense."""

    name: str
    meaning: str
    scale: bool = False


def _trends() -> tuple[Scalar, ...]:
    out = []
    for t in TRENDS:
        ends = "last/first" if t.forward else "first/last"
        out += [Scalar(name=t.ratio_key, meaning=f"{t.what}: {ends} hidden layer", scale=True),
                Scalar(name=t.slope_key, meaning=f"{t.what}: fitted log2 change per layer over the hidden layers")]
    return tuple(out)


_JAC = "the input-output Jacobian d y^depth / d x (analysis.jacobian; mean over its samples)"
JACOBIAN: tuple[Scalar, ...] = (
    Scalar(name="jac_sv2_mean", meaning=f"{_JAC}: mean of the squared singular values", scale=True),
    Scalar(name="jac_sv2_var", meaning=f"{_JAC}: variance of the squared singular values", scale=True),
    Scalar(name="jac_sv2_var_rel", meaning=f"{_JAC}: variance of the squared singular values over their mean "
           "squared (0: isometry at any scale)", scale=True),
    Scalar(name="jac_sv_spread", meaning=f"{_JAC}: log10 of the 95th over the 5th percentile of the singular "
           "values, the latter at least the dtype's eps x the largest (smaller ones are rounding; 0: isometry)"),
    Scalar(name="pred_jac_sv2_mean", meaning="predicted jac_sv2_mean, wide limit (prod sigma_w^2 E[phi'^2])",
           scale=True),
    Scalar(name="pred_jac_sv2_var", meaning="predicted jac_sv2_var, wide limit (Pennington et al. 2017)", scale=True),
    Scalar(name="pred_jac_sv2_var_rel", meaning="predicted jac_sv2_var_rel, wide limit", scale=True),
)

# A training run's quantities (actinit train, train/loop.py); empty for a run at initialization. "evaluated":
# at step 0, every train.eval_every steps and at the last step; losses on the training split's evaluation
# sample, dead units and accuracy on the held-out split.
TRAINING: tuple[Scalar, ...] = (
    Scalar(name="final_loss_ratio", meaning="training: final / initial train loss", scale=True),
    Scalar(name="final_train_loss", meaning="training: train loss at the last step"),
    Scalar(name="final_test_loss", meaning="training: held-out loss at the last step"),
    Scalar(name="test_accuracy", meaning="training: held-out accuracy at the last step (classification tasks)"),
    Scalar(name="max_dead_frac", meaning="training: the largest dead_frac of any hidden layer at any evaluated step"),
    Scalar(name="max_dead_step", meaning="training: the first evaluated step where max_dead_frac occurred"),
    Scalar(name="steps_to_loss", meaning="training: the first evaluated step whose train loss is <= "
           "train.target_loss (empty if never, or without a target)"),
    Scalar(name="top_act_mean_first", meaning="training: mean activation of the top hidden layer at step 0"),
    Scalar(name="top_act_mean_min", meaning="training: the smallest mean activation of the top hidden layer over "
           "the evaluated steps (Glorot & Bengio 2010, Fig. 2)"),
)
TABLE: tuple[Scalar, ...] = _trends() + TRAINING + JACOBIAN
BY_NAME = {s.name: s for s in TABLE}
NAMES = tuple(BY_NAME)


NONFINITE = ("inf", "-inf", "nan")  # how summary.json writes them (JSON has no inf or NaN)


def parse(value: object) -> dict[str, float | None] | None:
    """A mapping of known names to numbers or None, as floats (as summary.json holds it); None if it is not one."""
    if not isinstance(value, dict) or any(k not in BY_NAME or not (v is None or v in NONFINITE or (
            isinstance(v, (int, float)) and not isinstance(v, bool))) for k, v in value.items()):
        return None
    return {k: (None if v is None else float(v)) for k, v in value.items()}
