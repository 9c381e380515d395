"""The data behind `actinit sample`: draws, fresh seeds, the text/JSON/CSV renderings, and --shape parsing."""

import json

import numpy as np
import pytest

from actinit_cli.nn import sample


def test_draw_is_reproducible_and_summarised():
    d = sample.draw("he_uniform", (30, 20), seed=3)
    again = sample.draw("he_uniform", (30, 20), seed=3)
    np.testing.assert_array_equal(d.values, again.values)
    s = d.summary()
    assert s["min"] >= -d.expected.high and s["max"] <= d.expected.high
    assert s["std"] == pytest.approx(np.std(d.values.astype(np.float64)))


def test_fresh_seeds_differ_and_fit_a_cli_option():
    seeds = {sample.fresh_seed() for _ in range(20)}
    assert len(seeds) > 15 and all(0 <= s < 2**32 for s in seeds)


def test_json_values_are_the_shortest_float32_decimals():
    d = sample.draw("he_normal", (9, 1), seed=0)
    doc = json.loads(sample.as_json(d))
    flat = [v for row in doc["values"] for v in row]
    np.testing.assert_array_equal(np.array(flat, dtype=np.float32), d.values.ravel())
    assert all(len(repr(v)) <= 12 for v in flat)  # e.g. 0.067381, not 0.06738100200891495


def test_csv_rows_follow_the_last_axis():
    d = sample.draw("glorot_uniform", (2, 3, 4), seed=0)
    rows = sample.as_csv(d).strip().splitlines()
    assert len(rows) == 6 and all(len(r.split(",")) == 4 for r in rows)
