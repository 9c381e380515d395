"""The headline: end-to-end ratios and fitted log2 slopes over the hidden layers."""

import pytest

from actinit_cli.nn import headline as H


@pytest.mark.parametrize("values, want", [
    ([1.0, 0.5, 0.25, 0.125], -1.0),
    ([2.0, 2.0, 2.0], 0.0),
    ([1.0, 0.0, 1.0], None),
    ([1.0, float("nan")], None),
    ([1.0, None], None),
    ([1.0], None),
])
def test_slope_log2(values, want):
    got = H.slope_log2(values, list(range(1, len(values) + 1)))
    assert got == (pytest.approx(want) if want is not None else None)


def test_headline_of_a_halving_net():
    """Xavier on ReLU in miniature: activations halve going up, gradients double going down."""
    rows = [{"layer": l, "act_m2": 2.0 ** -l, "grad_preact_m2": 2.0 ** -(5 - l), "act_unit_var": 4.0 ** -l}
            for l in range(6)]
    h = H.headline(rows)  # hidden layers 1..4
    assert h["act_m2_last_over_first"] == pytest.approx(2.0 ** -3)
    assert h["grad_m2_first_over_last"] == pytest.approx(2.0 ** -3)
    assert h["act_m2_slope_log2"] == pytest.approx(-1.0) and h["grad_m2_slope_log2"] == pytest.approx(1.0)
    assert h["unit_var_last_over_first"] == pytest.approx(4.0 ** -3) and h["unit_var_slope_log2"] == pytest.approx(-2)
    rows[2]["act_m2"] = 0.0  # underflow: no log2 slope, and the ratio is undefined only when the base is 0
    assert H.headline(rows)["act_m2_slope_log2"] is None


@pytest.mark.parametrize("rows", [1, 2, 3])
def test_headline_with_few_hidden_rows(rows):
    """Input and output only (a torch model of one Linear): every entry None; one hidden row: ratios 1, no slope."""
    h = H.headline([{"layer": l, "act_m2": 2.0, "grad_preact_m2": 2.0, "act_unit_var": 2.0} for l in range(rows)])
    assert set(h) == set(H.KEYS)
    assert all(h[t.slope_key] is None and h[t.ratio_key] == (1.0 if rows == 3 else None) for t in H.TRENDS)


@pytest.mark.parametrize("a, b, want", [(1.0, 2.0, 0.5), (None, 1.0, None), (1.0, 0.0, None), (1.0, float("inf"), None)])
def test_ratio(a, b, want):
    assert H.ratio(a, b) == want


def test_max_known_skips_missing():
    assert H.max_known([None, 0.2, 0.1]) == 0.2 and H.max_known([None]) is None


def test_sigmoid_input_collapse_shows_in_the_headline():
    """Xavier/sigmoid keeps E[y^2] near its fixed point while every unit's variance across the batch
    collapses (docs/reference-numbers.md M4: U_3/Q_3 = 0.009): the headline must say so."""
    from actinit_cli.run import runner, spec

    s = spec.parse("model: {depth: 10, width: 256, activation: sigmoid, initializer: glorot_normal}\n"
                   "data: {batch_size: 256}")
    h = H.headline(runner.execute(s).rows)
    assert 0.5 < h["act_m2_last_over_first"] < 2  # "preserved"
    assert h["unit_var_last_over_first"] < 1e-6 and h["unit_var_slope_log2"] < -2  # while the inputs collapse


@pytest.mark.parametrize("floor_at, want", [(None, -4.0), (4, -4.0), (2, None), (1, None)])
def test_unit_var_slope_stops_at_float32_resolution(floor_at, want):
    """Unit variance falling 16x a layer until rounding sets it (<= 2^-46 E[y^2]), then flat: the slope is the
    rate before the floor (over all layers it would be about -1.2 at this depth); fewer than two layers before
    it give no slope. The end-to-end ratio stays the measured one."""
    top = 12
    unit = [16.0 ** -l if floor_at is None or l < floor_at else 1e-3 * H.RESOLUTION for l in range(top + 1)]
    rows = [{"layer": l, "act_m2": 1.0, "grad_preact_m2": 1.0, "act_unit_var": unit[l]} for l in range(top + 1)]
    h = H.headline(rows)
    assert h["unit_var_slope_log2"] == (pytest.approx(want) if want is not None else None)
    assert h["unit_var_last_over_first"] == pytest.approx(unit[top - 1] / unit[1])


def test_sigmoid_collapse_rate_does_not_depend_on_depth():
    """Xavier/sigmoid in float32 reaches the rounding floor near layer 12: at depth 50 the headline's collapse
    rate is the one depth 10 measures (before the floor was left out it read -0.34 to -0.68 at depth 50)."""
    from actinit_cli.run import runner, spec

    slopes = [H.headline(runner.execute(spec.parse(
        f"model: {{depth: {d}, width: 256, activation: sigmoid, initializer: glorot_normal}}\n"
        "data: {batch_size: 256}")).rows)["unit_var_slope_log2"] for d in (10, 50)]
    assert slopes[0] < -3 and slopes[1] == pytest.approx(slopes[0], rel=0.05)
