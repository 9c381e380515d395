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


@pytest.mark.parametrize("depth, jobs, said", [
    (400, 1, r"^sweep point depth=400: model: this run \(depth 400, .*\) needs about 4\.\d GiB but only 2\.0 GiB is "
             r"free; reduce data\.batch_size"),
    (100, 2, r"^sweep point depth=100: model: this run \(depth 100, .*\) needs about 1\.2 GiB, and --jobs 2 points at "
             r"once leave each 1\.0 of the 2\.0 GiB free, of which it may plan to use 80%; lower --jobs or reduce "
             r"data\.batch_size"),
], ids=["--jobs 1", "--jobs 2"])
def test_a_point_that_does_not_fit_says_how_much_is_free(depth, jobs, said, monkeypatch):
    """With --jobs N each point is held to 1/N of the free memory: the refusal said 'only 11.5 GiB is free' with
    23 GiB free, and did not suggest fewer --jobs (a user test)."""
    from actinit_cli import resources

    monkeypatch.setattr(resources, "available_bytes", lambda: 2 * 2**30)
    base = spec.parse(f"name: g\nmodel: {{depth: 4, width: 1024}}\ndata: {{batch_size: 1024}}\n"
                      f"sweep: {{model.depth: [{depth}]}}")
    if jobs > 1:
        assert plan.expand(base, jobs=1)  # it fits when it has the machine to itself
    with pytest.raises(ActinitError, match=said):
        plan.expand(base, jobs=jobs)
