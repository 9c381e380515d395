"""Checks (validation) and verdicts (evaluation) on hand-built layers.csv rows: every kind passes and
fails where it should, including the edges (a bound exactly met, non-finite values, a missing
quantity, an empty cell, a zero on a log scale)."""

import pytest

from actinit_cli.run import checks, spec
from actinit_cli.gates import verdict
from actinit_cli.errors import ActinitError
from actinit_cli.nn.columns import MEASURED as COLUMNS


def rows(act_m2, **columns):
    """Rows for layers 0..len-1 with act_m2 given and every other column None (or as given)."""
    out = []
    for layer, v in enumerate(act_m2):
        row = {c: None for c in COLUMNS}
        row.update(layer=layer, width=8, act_m2=v, nonfinite=0)
        for col, values in columns.items():
            row[col] = values[layer]
        out.append(row)
    return out


def check(**raw):
    return checks.validate_one(raw, "checks[0]")


def model(table, activation="relu", output="identity"):
    return {"width": [8] * (len(table) - 2), "activation": activation, "output_activation": output}


def run(raw, table, **kw):
    return verdict.evaluate(check(**raw), table, model(table, **kw), "t")


@pytest.mark.parametrize("raw, table, passed, layer", [
    ({"quantity": "act_m2", "min": 0.5, "max": 2}, rows([1, 0.5, 2, 1]), True, None),  # bounds met exactly
    ({"quantity": "act_m2", "min": 0.5, "max": 2}, rows([1, 0.49, 1, 1]), False, 1),
    ({"quantity": "act_m2", "max": 2}, rows([1, 1, 2.01, 1]), False, 2),
    ({"quantity": "act_m2", "relative_to": "input", "min": 0.1, "max": 10}, rows([2, 1, 0.2, 0.19]), False, 3),
    ({"quantity": "act_m2", "relative_to": "input", "min": 0.1, "max": 10}, rows([2, 1, 0.2, 20]), True, None),
    ({"quantity": "act_m2", "relative_to": "output", "min": 0.5}, rows([1, 1, 1, 2]), True, None),  # exactly 0.5
    ({"quantity": "act_m2", "relative_to": "output", "min": 0.6}, rows([1, 1, 1, 2]), False, 0),
    ({"quantity": "act_m2", "relative_to": "first_hidden", "max": 1}, rows([9, 1, 0.5, 0.5]), False, 0),
    ({"quantity": "act_m2", "relative_to": "first_hidden", "max": 1, "layers": "hidden"}, rows([9, 1, 0.5, 0.5]),
     True, None),
    ({"quantity": "act_m2", "max": 10}, rows([1, float("nan"), 1, 1]), False, 1),
    ({"quantity": "act_m2", "max": 10}, rows([1, 1, float("inf"), 1]), False, 2),
    ({"quantity": "act_m2", "max": 10, "layers": [1, 2]}, rows([1, 1, None, 1]), False, 2),
    ({"quantity": "act_m2", "max": 10, "layers": "output"}, rows([1, 1, 1, 99]), False, 3),
    ({"quantity": "act_m2", "max": 10, "layers": {"from": 1, "to": 2}}, rows([99, 1, 1, 99]), True, None),
    ({"quantity": "nonfinite", "max": 0}, rows([1, 1, 1, 1]), True, None),
])
def test_bounds(raw, table, passed, layer):
    r = run(raw, table)
    assert r.passed is passed, r.message
    if not passed:
        assert r.message.startswith(f"layer {layer} ")


def test_failure_names_the_first_layer_and_the_worst():
    r = run({"quantity": "act_m2", "relative_to": "input", "min": 0.1}, rows([1, 0.5, 0.05, 0.01, 0.001, 1]))
    assert not r.passed and r.layer == 4 and r.value == pytest.approx(0.001)
    assert r.message.startswith("layer 2 is 0.05, below min 0.1 (3 of 5 layers outside")


@pytest.mark.parametrize("table, message", [
    (rows([1, 2, 4, 8]), None),
    (rows([1, 1, 0.0, 1]), "layer 2 has act_m2 = 0, which has no log2"),
    (rows([1, 1, float("nan"), 1]), "which has no log2"),
    (rows([1, 1, None, 1]), "no value"),
])
def test_slope_log2(table, message):
    r = run({"quantity": "act_m2", "slope_log2": {"min": 0.9, "max": 1.1}}, table)
    if message is None:
        assert r.passed and r.value == pytest.approx(1.0)  # hidden layers 1..2 only: slope log2(4/2) = 1
    else:
        assert not r.passed and message in r.message


TINY = 5e-324  # the smallest float: a bound divided by a value of 2 or more underflows to 0


@pytest.mark.parametrize("raw, table, passed", [
    ({"quantity": "act_m2", "min": TINY}, rows([1, 4, 4, 1]), True),  # lo / v underflows to 0
    ({"quantity": "act_m2", "max": 10}, rows([1, TINY, 1, 1]), True),  # v / hi underflows to 0
    ({"quantity": "act_m2", "min": TINY, "max": 1e300}, rows([1, TINY, 1e300, 1]), True),
    ({"quantity": "act_m2", "max": TINY}, rows([1, 4, 4, 1]), False),
])
def test_bounds_far_from_the_values_give_a_verdict_not_a_crash(raw, table, passed):
    assert run(raw, table).passed is passed


@pytest.mark.parametrize("q, layers, passed", [
    ("grad_preact_m2", "all", True),  # layer 0 has no grad_preact_m2 by construction: fitted over 1..3
    ("grad_preact_m2", [0, 1, 2], True),
    ("weight_var", "all", True),
    ("act_m2", "all", True),  # act_m2 exists at layer 0: fitted over 0..3
    ("grad_preact_m2", [0, 1], False),  # one layer left: no slope
])
def test_a_slope_skips_layers_where_the_quantity_does_not_exist(q, layers, passed):
    table = rows([1, 2, 4, 8], grad_preact_m2=[None, 2, 4, 8], weight_var=[None, 2, 4, 8])
    r = run({"quantity": q, "slope_log2": {"min": 0.99, "max": 1.01}, "layers": layers}, table)
    assert r.passed is passed, r.message


def test_slope_over_hidden_layers_exactly():
    table = rows([5, 1, 2, 4, 8, 16, 0.001])  # input and output ignored by default
    assert run({"quantity": "act_m2", "slope_log2": {"min": 1 - 1e-12, "max": 1 + 1e-12}}, table).passed
    assert not run({"quantity": "act_m2", "slope_log2": {"min": 1.001}}, table).passed


def test_missing_data_never_passes():
    assert "empty: this network has no layer" in run({"quantity": "saturated_frac", "max": 0.2}, rows([1, 1, 1])).message
    blank = rows([1, 1, 1, 1], dead_frac=[None, 0.1, None, 0.1])  # a hidden layer's cell blanked
    r = run({"quantity": "dead_frac", "max": 0.5}, blank)
    assert not r.passed and r.message.startswith("layer 2 has no value")
    sat = rows([1, 1, 1, 1], saturated_frac=[None, 0.0, 0.0, None])  # tanh hidden, identity output: complete
    assert run({"quantity": "saturated_frac", "max": 0.2}, sat, activation="tanh").passed
    table = [{k: v for k, v in r.items() if k != "dead_frac"} for r in rows([1, 1, 1])]
    r = run({"quantity": "dead_frac", "max": 0.5}, table)
    assert not r.passed and "missing" in r.message
    r = run({"quantity": "act_m2", "relative_to": "input", "max": 2}, rows([0.0, 1, 1]))
    assert not r.passed and "cannot divide" in r.message


@pytest.mark.parametrize("raw, message", [
    ({"quantity": "act_m3", "max": 1}, "did you mean 'act_m2'"),
    ({"quantity": "act_m2", "min": 2, "max": 1}, r"min \(2\) > max \(1\)"),
    ({"quantity": "act_m2"}, "give min, max or both"),
    ({"quantity": "dead_frac", "relative_to": "input", "max": 1}, "makes no sense for dead_frac"),
    ({"quantity": "preact_m2", "relative_to": "input", "max": 1}, "no value at the input"),
    ({"quantity": "act_m2", "relative_to": "middle", "max": 1}, "expected one of input, output"),
    ({"quantity": "act_m2", "max": "ten"}, "expected a finite number"),
    ({"quantity": "act_m2", "max": 1, "slope_log2": {"max": 1}}, "not both"),
    ({"quantity": "act_m2", "slope_log2": {"min": 1, "max": 0}}, r"min \(1\) > max \(0\)"),
    ({"quantity": "dead_frac", "slope_log2": {"max": 1}}, "positive scale"),
    ({"quantity": "act_m2", "max": 1, "layers": "middle"}, "expected all, hidden, output"),
    ({"quantity": "act_m2", "max": 1, "bound": 3}, "unknown key"),
])
def test_bad_checks(raw, message):
    with pytest.raises(ActinitError, match=message):
        checks.validate_one(raw, "checks[0]")


@pytest.mark.parametrize("text, message", [
    ("  - {quantity: act_m2, max: 1, layers: [9]}", r":3: checks\[0\].layers: layer 9 does not exist .*0..4"),
    ("  - {quantity: act_m2, slope_log2: {max: 1}, layers: [2]}", "a slope needs at least 2 layers"),
    ("  - {quantity: act_m2, relative_to: output, max: 1, layers: output}", "only the reference layer"),
    ("  - {quantity: act_m2, max: 1}\n  - {quantity: act_m2, max: 2}", "two checks are named 'act_m2'"),
])
def test_choices_that_do_not_fit_the_network_are_bad_input(text, message):
    with pytest.raises(ActinitError, match=message):
        spec.parse(f"model: {{depth: 3, width: 8}}\nchecks:\n{text}")


# Run-level quantities (nn/scalars.py): every scalar in the table is a valid check, evaluated against the
# value the rows give, and fails on a missing value.
from actinit_cli.nn import scalars  # noqa: E402
from actinit_cli.nn.headline import headline  # noqa: E402


def trend_rows():
    """Hidden layers 1..3 doubling act_m2 and unit var, halving (backwards: doubling) the gradient."""
    return rows([1, 1, 2, 4, 9], grad_preact_m2=[None, 4, 2, 1, 1], act_unit_var=[1, 0.5, 1, 2, 9])


HEADLINE = tuple(n for n in scalars.NAMES if n in headline(trend_rows()))
TRAINING = tuple(s.name for s in scalars.TRAINING)  # tested with the training runs
ANALYSIS = tuple(n for n in scalars.NAMES if n not in HEADLINE + TRAINING)  # given by the run (analysis:)


def test_the_scalars_split_into_headline_and_analysis():
    assert HEADLINE and ANALYSIS and set(ANALYSIS) == {s.name for s in scalars.JACOBIAN}


@pytest.mark.parametrize("name", ANALYSIS)
def test_every_analysis_scalar_is_a_run_check(name):
    table = trend_rows()
    c = check(quantity=name, min=0.5, max=0.7)
    assert c["layers"] == checks.RUN and checks.label(c) == name
    r = verdict.evaluate(c, table, model(table), "t", scalars={name: 0.6})
    assert r.passed and r.value == pytest.approx(0.6), r.message
    r = verdict.evaluate(c, table, model(table), "t", scalars={name: 0.8})
    assert not r.passed and "above max" in r.message
    r = verdict.evaluate(c, table, model(table), "t")  # a run without the analysis has no value
    assert not r.passed and "has no value" in r.message
    r = verdict.evaluate(c, table, model(table), "t", scalars={name: float("nan")})
    assert not r.passed and "not finite" in r.message


@pytest.mark.parametrize("name", HEADLINE)
def test_every_scalar_is_a_run_check(name):
    table = trend_rows()
    # ratio, in the direction of travel, 4; slope against layer number: +1 forward, -1 for the gradient
    expected = 4.0 if scalars.BY_NAME[name].scale else -1.0 if name.startswith("grad") else 1.0
    assert headline(table)[name] == pytest.approx(expected)
    c = check(quantity=name, min=expected - 0.01, max=expected + 0.01)
    assert c["layers"] == checks.RUN and checks.label(c) == name
    r = verdict.evaluate(c, table, model(table), "t")
    assert r.passed and r.value == pytest.approx(expected), r.message
    r = verdict.evaluate(check(quantity=name, max=expected - 0.01), table, model(table), "t")
    assert not r.passed and "above max" in r.message
    r = verdict.evaluate(c, table, model(table), "t", scalars={name: None})
    assert not r.passed and "has no value" in r.message
    r = verdict.evaluate(c, table, model(table), "t", scalars={name: float("inf")})
    assert not r.passed and "not finite" in r.message


@pytest.mark.parametrize("name", [s.name for s in scalars.TRAINING])
def test_every_training_scalar_is_a_run_check(name):
    """A training run's quantities come from the run (Run.scalars), not from the rows: checked as given."""
    table = trend_rows()
    c = check(quantity=name, min=0.4, max=0.6)
    assert c["layers"] == checks.RUN and checks.label(c) == name
    assert verdict.evaluate(c, table, model(table), "t", scalars={name: 0.5}).passed
    r = verdict.evaluate(c, table, model(table), "t", scalars={name: 0.7})
    assert not r.passed and "above max" in r.message
    r = verdict.evaluate(c, table, model(table), "t", scalars={name: None})
    assert not r.passed and "has no value" in r.message


def test_max_dead_frac_of_a_run_at_initialization_comes_from_its_hidden_rows():
    table = rows([1, 1, 1, 1, 1], dead_frac=[None, 0.1, 0.4, 0.2, None])
    assert verdict.scalars_of(table, model(table))["max_dead_frac"] == pytest.approx(0.4)
    assert verdict.evaluate(check(quantity="max_dead_frac", max=0.3), table, model(table), "t").value == 0.4


@pytest.mark.parametrize("extra, message", [
    ({"layers": "hidden"}, "one number per run"),
    ({"relative_to": "input"}, "one number per run"),
    ({"slope_log2": {"max": 1}}, "one number per run"),
    ({}, "give min, max or both"),
])
def test_scalar_checks_take_bounds_only(extra, message):
    with pytest.raises(ActinitError, match=message):
        checks.validate_one({"quantity": scalars.NAMES[0], **extra}, "checks[0]")


def test_scalar_checks_pass_network_validation_and_round_trip():
    s = spec.parse(f"model: {{depth: 3, width: 8}}\nchecks:\n  - {{quantity: {scalars.NAMES[0]}, max: 2}}")
    resolved = s["checks"][0]
    assert resolved["layers"] == checks.RUN
    assert checks.validate_one(resolved, "checks[0]") == resolved  # the resolved form actinit writes back


@pytest.mark.parametrize("layers, want", [("hidden", -4.0), ({"from": 1, "to": 3}, -4.0), ([1, 5, 6], None)])
def test_a_unit_var_slope_check_stops_at_float32_resolution(layers, want):
    """act_unit_var falling 16x a layer to rounding's floor (<= 2^-46 E[y^2]) at layer 4, then flat: a slope check
    fits the layers before the floor, as the headline's unit_var_slope_log2 does (over all hidden layers it read a
    slower collapse); fewer than two layers before it is no slope."""
    unit = [16.0 ** -l if l < 4 else 1e-3 * 2.0 ** -46 for l in range(8)]
    table = rows([1.0] * 8, act_unit_var=unit)
    r = run({"quantity": "act_unit_var", "slope_log2": {"max": 0}, "layers": layers}, table)
    assert (r.value == pytest.approx(want)) if want is not None else (r.value is None and not r.passed)


@pytest.mark.parametrize("raw, message", [
    ({"quantity": "saturated_frac", "max": 0.2}, "saturated_frac is empty: this network has no layer where it applies"),
    ({"quantity": "grad_preact_m2", "max": 1, "layers": [0]},  # the input has no dL/dh; layers 1 and 2 do
     "grad_preact_m2 is empty: it applies to none of the selected layers"),
])
def test_a_quantity_with_no_selected_value_fails_saying_why(raw, message):
    r = run(raw, rows([1, 1, 1], grad_preact_m2=[None, 1, 1]))
    assert not r.passed and r.message == message
