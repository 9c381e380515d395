"""Numbers at the edge of floating point. README: "overflow is counted (nonfinite column), never a crash".

Decided per case:
- finite values that make the network overflow (huge scales, stddev 1e200, gain 1e300, input std 1e200,
  depth 500 ReLU with scale 100, leaky slope 1e300): the run succeeds (exit 0, nothing on stderr, not
  even a NumPy warning) and layers.csv's `nonfinite` counts the inf/nan;
- integers beyond float range (10**400) in any numeric field or --param cannot be represented at all:
  refused up front (exit 2, one line naming the field), like `1e400` (YAML's inf) already is;
- a parameter pair whose range itself overflows (random_uniform on +-1e308): either way, counted or
  refused, but never a traceback; the same for `gain`/`phase`/`sample` with huge parameters, where
  success must keep stderr free of warnings.
"""

from __future__ import annotations

import csv
import warnings

import pytest

from tests.hostile.commands import invoke_spec
from tests.hostile.harness import clean_exit, counted, describe, ids, merged, quiet, refused, run_dirs

@pytest.fixture
def cli(cli):
    """The in-process CLI; the warnings a case emits (a real process prints them on stderr) are kept in the
    result's `warned`, which the checks below require to be empty once the exit code is right."""
    def invoke(*args):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            r = cli(*args)
        r.warned = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
        return r
    return invoke


def net(activation="relu", initializer="he_normal", depth=3, dtype="float64", loss="mse", **data) -> dict:
    """A small network (width 16, so ReLU units do not all die) with the given pieces. The mse loss's gradient
    grows with the output (dL/dy = 2 (y - t) / (B d)), so a huge signal overflows the gradients too
    (loss None: the default loss)."""
    change = {"model": {"activation": activation, "initializer": initializer, "depth": depth, "dtype": dtype,
                        "width": 16}, **({"loss": loss} if loss else {})}
    return merged(change, {"data": {"input": data}} if data else {})


OVERFLOWS = [
    ("float64 variance_scaling scale 1e30", net(initializer={"name": "variance_scaling", "scale": 1e30}, depth=30)),
    ("float32 variance_scaling scale 1e30", net(initializer={"name": "variance_scaling", "scale": 1e30}, depth=10,
                                                dtype="float32")),
    ("float64 input std 1e200", net(std=1e200)),
    ("float32 input std 1e200", net(std=1e200, dtype="float32")),
    ("float64 input mean 1e300", net(mean=1e300)),
    ("float64 uniform input std 1e300", net(std=1e300, distribution="uniform")),
    ("float64 depth 500 relu scale 100", net(initializer={"name": "variance_scaling", "scale": 100}, depth=500)),
    ("float64 leaky_relu slope 1e300", net(activation={"name": "leaky_relu", "negative_slope": 1e300})),
    ("float32 leaky_relu slope 1e300", net(activation={"name": "leaky_relu", "negative_slope": 1e300},
                                           dtype="float32")),
    ("float64 elu alpha 1e300", net(activation={"name": "elu", "alpha": 1e300})),
    ("float64 random_normal stddev 1e200", net(initializer={"name": "random_normal", "stddev": 1e200})),
    ("float32 random_normal stddev 1e200", net(initializer={"name": "random_normal", "stddev": 1e200},
                                               dtype="float32")),
    ("float64 truncated_normal stddev 1e200", net(initializer={"name": "truncated_normal", "stddev": 1e200})),
    ("float64 random stddev 1e200", net(initializer={"name": "random", "stddev": 1e200})),
    ("float64 orthogonal gain 1e300", net(initializer={"name": "orthogonal", "gain": 1e300})),
    ("float64 identity gain 1e300", net(initializer={"name": "identity", "gain": 1e300})),
    ("float64 constant 1e300", net(initializer={"name": "constant", "value": 1e300})),
    ("float64 sigmoid stddev 1e200 cross_entropy", merged(net(activation="sigmoid", initializer={
        "name": "random_normal", "stddev": 1e200}), {"loss": "cross_entropy"})),
]


@pytest.mark.parametrize("case, change", OVERFLOWS, ids=ids(OVERFLOWS))
def test_overflow_is_counted(cli, box, case, change):
    r = invoke_spec(cli, box, "run", change)
    assert counted(r, box) > 0, "the run overflowed but layers.csv counts no inf/nan"


# Values that stay finite while their statistics overflow (a bias of 1e300 under tanh: h = 1e300, E[h^2] = inf;
# random_projection's gradient does not grow with the output): `nonfinite` counts inf/nan in the arrays
# (README's column table), so here the statistic itself says inf.
STATISTICS = [
    ("float64 tanh bias 1e300", merged(net(activation="tanh"), {"model": {"bias_initializer": {
        "name": "constant", "value": 1e300}}}), "preact_m2"),
    ("float64 identity input mean 1e300", net(activation="identity", initializer="identity", mean=1e300,
                                              loss="random_projection"), "act_m2"),
    ("float64 input std 1e200 random_projection", net(std=1e200, loss="random_projection"), "act_m2"),
    ("float64 elu alpha 1e300 random_projection", net(activation={"name": "elu", "alpha": 1e300},
                                                      loss="random_projection"), "act_m2"),
]


@pytest.mark.parametrize("case, change, column", STATISTICS, ids=ids(STATISTICS))
def test_statistics_overflow_is_shown(cli, box, case, change, column):
    r = invoke_spec(cli, box, "run", change)
    counted(r, box)
    rows = list(csv.DictReader((run_dirs(box.out)[0] / "layers.csv").open()))
    assert any(row[column] in ("inf", "nan") for row in rows), [row[column] for row in rows]


HUGE = 10**400  # an integer no float can hold
BEYOND = [
    ("data.input.std", net(std=HUGE)),
    ("data.input.mean", net(mean=-HUGE)),
    ("model.initializer.scale", net(initializer={"name": "variance_scaling", "scale": HUGE})),
    ("model.initializer.stddev", net(initializer={"name": "random_normal", "stddev": HUGE})),
    ("model.initializer.mean", net(initializer={"name": "truncated_normal", "mean": HUGE})),
    ("model.initializer.value", net(initializer={"name": "constant", "value": -HUGE})),
    ("model.initializer.gain", net(initializer={"name": "orthogonal", "gain": HUGE})),
    ("model.initializer.maxval", net(initializer={"name": "random_uniform", "maxval": HUGE})),
    ("model.bias_initializer.value", {"model": {"bias_initializer": {"name": "constant", "value": HUGE}}}),
    ("model.activation.negative_slope", net(activation={"name": "leaky_relu", "negative_slope": HUGE})),
    ("model.activation.alpha", net(activation={"name": "elu", "alpha": HUGE})),
    ("model.depth", {"model": {"depth": HUGE}}),
    ("model.width", {"model": {"width": [4, HUGE]}}),
    ("model.block.alpha", {"model": {"block": {"residual": True, "alpha": HUGE}}}),
    ("seed", {"seed": HUGE}),
]


@pytest.mark.parametrize("field, change", BEYOND, ids=ids(BEYOND))
def test_integer_beyond_float_range_in_a_spec(cli, box, field, change):
    refused(invoke_spec(cli, box, "run", change), box, field.replace(".", r"\."))


BIG = str(HUGE)
CLI_BEYOND = [
    ("sample -p scale", ["sample", "variance_scaling", "--shape", "3", "-p", f"scale={BIG}"], r"--param scale"),
    ("sample -p stddev", ["sample", "random_normal", "--shape", "3", "-p", f"stddev={BIG}"], r"--param stddev"),
    ("sample -p value", ["sample", "constant", "--shape", "3", "-p", f"value=-{BIG}"], r"--param value"),
    ("gain -p alpha", ["gain", "elu", "-p", f"alpha={BIG}"], r"alpha"),
    ("gain -p negative_slope", ["gain", "leaky_relu", "-p", f"negative_slope={BIG}"], r"negative_slope"),
    ("phase -p alpha", ["phase", "elu", "-p", f"alpha={BIG}", "--points", "3", "--out", "out"], r"alpha"),
    ("phase --sw2-max", ["phase", "tanh", "--sw2-max", BIG, "--points", "3", "--out", "out"], r"--sw2-max"),
    ("check --tolerance", ["check", "nothing", "--tolerance", BIG], r"--tolerance"),
    ("sweep --bound", ["sweep", "nothing.yaml", "--bound", BIG], r"--bound"),
]


@pytest.mark.parametrize("case, args, match", CLI_BEYOND, ids=ids(CLI_BEYOND))
def test_integer_beyond_float_range_on_the_command_line(cli, box, case, args, match):
    box.seal()
    refused(cli(*args), box, match)


def counted_or_refused(r, box, match: str) -> None:
    """Either outcome is a kept promise: a clean success (stderr empty) or a clean refusal."""
    clean_exit(r)
    if r.exit_code == 0:
        assert r.stderr == "", describe(r)
    else:
        refused(r, box, match)
    quiet(r)


EITHER = [
    ("sample random_uniform +-1e308", ["sample", "random_uniform", "--shape", "4", "4", "--seed", "0",
                                       "-p", "minval=-1e308", "-p", "maxval=1e308"], r"minval|maxval"),
    ("sample float32 random_normal stddev 1e200", ["sample", "random_normal", "--shape", "4", "4", "--seed", "0",
                                                   "-p", "stddev=1e200"], r"--param"),
    ("sample float32 variance_scaling 1e300", ["sample", "variance_scaling", "--shape", "4", "4", "--seed", "0",
                                               "-p", "scale=1e300"], r"--param"),
    ("sample orthogonal gain 1e300 json", ["sample", "orthogonal", "--shape", "4", "4", "--seed", "0",
                                           "-p", "gain=1e300", "--format", "json"], r"--param"),
    ("gain elu alpha 1e200", ["gain", "elu", "-p", "alpha=1e200"], r"alpha"),
    ("gain leaky_relu slope 1e300", ["gain", "leaky_relu", "-p", "negative_slope=1e300"], r"negative_slope"),
    ("gain elu alpha 1e-300", ["gain", "elu", "-p", "alpha=1e-300"], r"alpha"),
    ("phase elu alpha 1e200", ["phase", "elu", "-p", "alpha=1e200", "--points", "4", "--out", "out"], r"alpha"),
    ("phase leaky_relu slope 1e300", ["phase", "leaky_relu", "-p", "negative_slope=1e300", "--points", "4",
                                      "--out", "out"], r"negative_slope"),
]


@pytest.mark.parametrize("case, args, match", EITHER, ids=ids(EITHER))
def test_huge_parameters_outside_a_run(cli, box, case, args, match):
    box.seal()
    counted_or_refused(cli(*args), box, match)


def test_uniform_weights_whose_range_overflows(cli, box):
    r = invoke_spec(cli, box, "run", net(initializer={"name": "random_uniform", "minval": -1e308, "maxval": 1e308}))
    clean_exit(r)
    if r.exit_code != 0:
        refused(r, box, r"model\.initializer")
    else:
        assert counted(r, box) > 0


@pytest.mark.parametrize("activation", ["selu", "elu", "tanh", "relu", "gelu"])
def test_phase_at_two_points_per_axis(cli, box, activation):
    """2 is the smallest allowed --points: a valid request, answered with a diagram."""
    r = cli("phase", activation, "--points", "2", "--out", box.out)
    clean_exit(r)
    assert r.exit_code == 0 and r.stderr == "", describe(r)
    quiet(r)
    assert list(box.out.glob(f"phase_{activation}/*/phase.png")), describe(r)

