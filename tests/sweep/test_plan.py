"""Sweep plans: expansion and overrides, and bad input caught before anything runs."""

import pytest

from actinit_cli.errors import ActinitError
from actinit_cli.run import spec
from actinit_cli.sweep import plan
from tests.sweep.test_pool import BASE, points


def test_product_and_overrides():
    ps = points("sweep:\n  model.activation: [tanh, {name: leaky_relu, negative_slope: 0.1}]\n"
                "  model.depth: [2, 3, 5]\n  data.input.std: [0.5]")
    assert len(ps) == 6
    first = ps[0]
    assert first.label == "activation=tanh,depth=2,std=0.5"
    assert first.spec["model.depth"] == 2 and first.spec.sizes == [32] * 4 and first.spec["data.input.std"] == 0.5
    assert ps[3].spec["model.activation"] == {"name": "leaky_relu", "negative_slope": 0.1}
    assert ps[3].label == "activation=leaky_relu(negative_slope=0.1),depth=2,std=0.5"
    assert "sweep" not in ps[0].spec.resolved and ps[0].spec.name == ps[0].label


@pytest.mark.parametrize("text, message", [
    ("sweep:\n  model.activaton: [tanh]", r"'model.activaton' is not a spec path; did you mean 'model.activation'"),
    ("sweep:\n  model.depth: []", "expected a non-empty list"),
    ("sweep:\n  model.depth: 5", "expected a non-empty list"),
    ("sweep: [1, 2]", "expected a mapping of spec paths to lists"),
    ("sweep:\n  model.activation: [tanh, softmax]", r"sweep point activation=softmax: .*output layers only"),
    ("sweep:\n  model.depth: [2, 0]", r"sweep point depth=0: .*model.depth: must be >= 1"),
    ("sweep:\n  model.initializer: [he_normal, he_unnormal]", r"sweep point initializer=he_unnormal: .*he_uniform"),
])
def test_bad_sweeps_fail_before_anything_runs(text, message):
    with pytest.raises(ActinitError, match=message):
        points(text)


def test_more_than_1000_points_needs_yes():
    text = "sweep:\n  seed: [" + ", ".join(map(str, range(1001))) + "]"
    with pytest.raises(ActinitError, match="1,001 points .* pass --yes"):
        points(text)
    assert len(plan.expand(spec.parse(BASE + text), yes=True)) == 1001
