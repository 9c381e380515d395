"""Runs end to end in the core: determinism, the textbook depth behaviour, overflow, memory refusal."""

import numpy as np
import pytest

from actinit_cli.run import runner, spec
from actinit_cli.errors import ActinitError


def run(text: str, **kwargs):
    return runner.execute(spec.parse(text), **kwargs)


def deep(activation: str, initializer: str, depth: int = 30, width: int = 512, **extra) -> str:
    lines = [f"model: {{depth: {depth}, width: {width}, activation: {activation}, initializer: {initializer}}}",
             "data: {batch_size: 1024}", "loss: random_projection"] + [f"{k}: {v}" for k, v in extra.items()]
    return "\n".join(lines)


def log2_m2(rows, layer):
    return float(np.log2(rows[layer]["act_m2"] / rows[0]["act_m2"]))


def test_same_seed_same_numbers_other_seed_other_numbers():
    text = "model: {depth: 3, width: 32}\ndata: {batch_size: 16, batches: 2}\nrepeats: 2"
    a, b = run(text), run(text)
    assert a.rows == b.rows and a.per_repeat == b.per_repeat and a.seeds == [0, 1]
    c = run(text + "\nseed: 5")
    assert c.rows != a.rows and c.seeds == [5, 6]


def test_weights_do_not_depend_on_the_data_settings():
    one = run("model: {depth: 2, width: 16}\ndata: {batch_size: 8}")
    two = run("model: {depth: 2, width: 16}\ndata: {batch_size: 32, batches: 3}")
    assert [r["weight_var"] for r in one.rows] == [r["weight_var"] for r in two.rows]


def test_repeats_are_averaged():
    r = run("model: {depth: 2, width: 16}\ndata: {batch_size: 8}\nrepeats: 3")
    for col in ("act_m2", "grad_w_var"):
        assert r.rows[2][col] == pytest.approx(np.mean([rep[2][col] for rep in r.per_repeat]))


def test_he_relu_keeps_the_second_moment():
    """He et al. 2015 (docs/reference-numbers.md H2): log2(P_30 / E[x^2]) = 0 +- 2 and log2 G_1 = 0 +- 1."""
    rows = run(deep("relu", "he_normal")).rows
    assert abs(log2_m2(rows, 30)) < 2
    assert abs(np.log2(rows[1]["grad_preact_m2"] / rows[31]["grad_preact_m2"])) < 1


def test_xavier_relu_halves_the_second_moment_every_layer():
    """He et al. 2015: Xavier gives 1/2^L; section H, H1/H3: slope -1 +- 0.1, log2 P_30 = -30 +- 2."""
    rows = run(deep("relu", "glorot_normal")).rows
    layers = list(range(1, 31))
    slope = np.polyfit(layers, np.log2([rows[layer]["act_m2"] for layer in layers]), 1)[0]
    assert slope == pytest.approx(-1.0, abs=0.1)
    assert log2_m2(rows, 30) == pytest.approx(-30, abs=2)


def test_standard_tanh_decays_with_depth():
    """Glorot & Bengio 2010 Fig. 6 (top); docs/reference-numbers.md G1: Q_{l+1}/Q_l in [0.2, 0.4] for 5 x 1000."""
    rows = run(deep("tanh", "standard", depth=5, width=1000)).rows
    q = [rows[layer]["preact_m2"] for layer in range(1, 6)]
    np.testing.assert_allclose(q, [0.333, 0.0706, 0.0208, 0.0066, 0.0022], rtol=0.05)
    assert all(0.2 <= b / a <= 0.4 for a, b in zip(q, q[1:]))


def test_overflow_is_counted_not_raised():
    r = run("model: {depth: 40, width: 64, activation: relu, initializer: {name: random_normal, stddev: 10}}\n"
            "data: {batch_size: 32}")
    assert r.rows[-1]["nonfinite"] > 0
    assert len(r.rows) == 42


def test_memory_refusal_names_what_to_change():
    s = spec.parse("model: {depth: 100, width: 100000}\ndata: {batch_size: 100000}")
    with pytest.raises(ActinitError, match=r"needs about .* GiB .* reduce data.batch_size, model.width"):
        runner.preflight(s, False, 24 * 2**30)[0]
    assert runner.preflight(spec.parse("model: {depth: 2, width: 8}"), False, 24 * 2**30)[0] > 0


def test_save_arrays_has_the_stable_keys():
    r = run("model: {depth: 2, width: 8}\ndata: {batch_size: 4}", save_arrays=True)
    keys = {"x", "target", "loss", "dx"} | {f"{k}{layer}" for layer in (1, 2, 3)
                                             for k in ("W", "b", "h", "y", "dh", "dy", "dW", "db")}
    assert set(r.arrays) == keys
    assert r.arrays["W1"].shape == (8, 8) and r.arrays["dW3"].shape == (8, 8)
    np.testing.assert_allclose(r.arrays["h2"], r.arrays["y1"] @ r.arrays["W2"] + r.arrays["b2"], rtol=1e-6)


@pytest.mark.parametrize("model", ["{depth: 3, width: 8}", "{depth: 3, width: 8, block: {residual: true, branch: [act, dense]}}"],
                         ids=["plain", "blocks"])
def test_the_statistics_clock_counts_the_weights_variance(model, monkeypatch):
    """forward_backward_statistics (what benchmarks/bench_run.py divides by the bare products) includes the
    weights' variance, computed once per repeat outside the batches; only the theory and the tables are left out."""
    import time

    from actinit_cli.nn import blockstats, stats, sums

    slow = sums.variance

    def variance(arrays):
        time.sleep(0.05)
        return slow(arrays)

    for module in (sums, stats, blockstats):
        monkeypatch.setattr(module, "variance", variance, raising=False)
    r = run(f"model: {model}\ndata: {{batch_size: 4}}\nrepeats: 2")
    assert r.timings["forward_backward_statistics"] >= 2 * 4 * 0.05  # 4 weight matrices (3 hidden + output) a repeat
    assert r.seconds - sum(r.timings.values()) < 0.05
