"""Per-layer statistics against direct NumPy on the same arrays, pooled over two batches."""

import numpy as np
import pytest

from actinit_cli.nn import activations, initializers, losses, mlp, stats
from actinit_cli.nn.columns import MEASURED


def run_batches(hidden="relu", batches=2, batch=64, seed=0, dtype="float32"):
    rng = np.random.default_rng(seed)
    net = mlp.build([6, 9, 7, 5], activations.get(hidden), activations.get("identity"),
                    initializers.get("he_normal"), initializers.get({"name": "random_normal", "stddev": 0.5}),
                    np.dtype(dtype), np.random.SeedSequence(seed))
    acc = stats.Accumulator(net)
    kept = []
    for _ in range(batches):
        x = rng.normal(size=(batch, 6)).astype(dtype)
        tape = mlp.forward(net, x, acc.forward_layer)
        h, y = list(tape.h), list(tape.y)
        g = losses.evaluate("mse", tape.h[-1], tape.y[-1], rng.normal(size=(batch, 5)).astype(dtype), net.output)
        grads = {lg.layer: lg for lg in mlp.backward(net, tape, g.dy, g.dh)}
        for lg in sorted(grads.values(), key=lambda lg: -lg.layer):
            acc.backward(lg)
        kept.append((h, y, grads))
    return net, acc.rows(), kept


def cat(kept, pick):
    return np.concatenate([pick(k).astype(np.float64).reshape(-1) for k in kept])


# float64 runs sum in float64 (1e-12); float32 runs sum activations in float64 (1e-9) and zero-mean arrays
# with float32 partial sums of <= 1024 terms (documented worst case 6e-5 relative; 1e-5 holds on these arrays).
# Columns with a reference of their own below or in the loop (identity, dead, ratio) or in their own tests;
# the block-only columns are checked against NumPy in tests/nn/test_blockstats.py (empty here).
CHECKED_APART = {"layer", "width", "saturated_frac", "dead_frac", "nonfinite", "grad_weight_ratio", "branch_share",
                 "norm_in_m2"}
FLOAT64_SUMMED = {"act_mean", "act_var", "act_m2", "act_unit_var", "zero_frac", "weight_var"}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("hidden", ["relu", "tanh", "sigmoid"])
def test_pooled_statistics_match_numpy(hidden, dtype):
    net, rows, kept = run_batches(hidden, dtype=dtype)
    for layer in range(1, 4):
        r = rows[layer]
        h = cat(kept, lambda k: k[0][layer])
        y = cat(kept, lambda k: k[1][layer])
        dh = cat(kept, lambda k: k[2][layer].dh)
        dw = cat(kept, lambda k: k[2][layer].dW)
        expect = {
            "preact_mean": h.mean(), "preact_var": h.var(), "preact_m2": np.mean(h**2),
            "act_mean": y.mean(), "act_var": y.var(), "act_m2": np.mean(y**2),
            "act_unit_var": np.mean([np.var(k[1][layer].astype(np.float64), axis=0).mean() for k in kept]),
            "zero_frac": np.mean(y == 0),
            "grad_act_m2": np.mean(cat(kept, lambda k: k[2][layer].dy) ** 2),
            "grad_preact_m2": np.mean(dh**2), "grad_preact_var": dh.var(),
            "grad_w_m2": np.mean(dw**2), "grad_w_var": dw.var(),
            "grad_b_m2": np.mean(cat(kept, lambda k: k[2][layer].db) ** 2),
            "weight_var": np.var(net.weights[layer - 1].astype(np.float64)),
        }
        assert set(expect) | CHECKED_APART == set(MEASURED), "a measured column has no reference computation here"
        for key, want in expect.items():
            rel = 1e-12 if dtype == "float64" else (1e-9 if key in FLOAT64_SUMMED else 1e-5)
            assert r[key] == pytest.approx(want, rel=rel, abs=1e-15), (layer, key)
        assert r["grad_weight_ratio"] == pytest.approx(np.sqrt(dw.var() / expect["weight_var"]), rel=1e-5)
        dead = np.all(np.concatenate([k[1][layer] for k in kept]) == 0, axis=0).mean()
        assert r["dead_frac"] == pytest.approx(dead)


def test_not_applicable_cells_are_none():
    _, rows, _ = run_batches("relu")
    first, out = rows[0], rows[-1]
    for key in ("preact_m2", "saturated_frac", "dead_frac", "grad_preact_m2", "grad_w_m2", "weight_var"):
        assert first[key] is None
    assert all(r["branch_share"] is None and r["norm_in_m2"] is None for r in rows)  # blocks only
    assert first["grad_act_m2"] is not None  # dL/dx
    assert rows[1]["saturated_frac"] is None  # relu has no saturation bound
    assert out["layer"] == 3 and out["grad_w_m2"] is not None


def test_saturation_thresholds():
    _, rows, kept = run_batches("tanh", batches=1)
    y = kept[0][1][2]
    assert rows[2]["saturated_frac"] == pytest.approx(np.mean(np.abs(y) >= 0.99))


def test_dead_units_need_all_batches_zero():
    net, _, _ = run_batches("relu", batches=1)
    acc = stats.Accumulator(net)
    x = np.ones((4, 6), np.float32)
    for sign in (1.0, -1.0):  # a unit dead on one batch but alive on the other is not dead
        mlp.forward(net, sign * x, acc.forward_layer)
    tape_pos, tape_neg = mlp.forward(net, x), mlp.forward(net, -x)
    both = np.all(tape_pos.y[1] == 0, axis=0) & np.all(tape_neg.y[1] == 0, axis=0)
    assert acc.rows()[1]["dead_frac"] == pytest.approx(both.mean())


def test_nonfinite_is_counted_and_m2_uses_float64():
    net, _, _ = run_batches("relu", batches=1)
    acc = stats.Accumulator(net)
    x = np.full((2, 6), 3e19, np.float32)  # squares overflow float32 but not float64
    x[0, 0] = np.inf
    mlp.forward(net, x, acc.forward_layer)
    row = acc.rows()[0]
    assert row["nonfinite"] == 1
    x[0, 0] = 3e19
    acc2 = stats.Accumulator(net)
    mlp.forward(net, x, acc2.forward_layer)
    assert acc2.rows()[0]["act_m2"] == pytest.approx(float(np.float32(3e19)) ** 2)


def test_mean_rows_averages_and_sums_counts():
    a = [{"layer": 0, "width": 2, **{c: None for c in MEASURED[2:]}, "nonfinite": 1, "act_m2": 1.0}]
    b = [{"layer": 0, "width": 2, **{c: None for c in MEASURED[2:]}, "nonfinite": 2, "act_m2": 3.0}]
    m = stats.mean_rows([a, b])[0]
    assert m["act_m2"] == 2.0 and m["nonfinite"] == 3 and m["preact_m2"] is None


def test_histograms_share_edges():
    edges, h = stats.histograms({1: np.linspace(-1, 1, 1000), 2: np.zeros(100), 3: np.array([np.nan, 1.0])})
    assert set(h) == {1, 2, 3} and len(edges) == 81
    assert h[2].sum() == pytest.approx(1.0) and h[1].sum() == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("magnitudes", [False, True])
def test_histograms_count_exactly_on_their_edges(magnitudes):
    """Each layer's counts are NumPy's on the returned edges, values on an edge included (equal-width bins
    counted without sorting must not move a value to a neighbouring bin)."""
    rng = np.random.default_rng(7)
    samples = {1: np.round(rng.standard_normal(5000), 2), 2: rng.standard_normal(3000) * 1e-20, 3: np.linspace(-3, 3, 801)}
    edges, h = stats.histograms(samples, magnitudes=magnitudes)
    for layer, v in samples.items():
        v = np.log10(np.abs(v[v != 0])) if magnitudes else v
        assert np.array_equal(h[layer], np.histogram(v, bins=edges)[0] / v.size), layer


def test_magnitude_histograms_keep_the_shape_of_layers_decades_apart():
    """xavier_relu's gradients: 9 decades between layers, half of each layer exact zeros (ReLU' = 0)."""
    rng = np.random.default_rng(0)
    g = {layer: np.where(rng.random(4000) < 0.5, 0.0, rng.standard_normal(4000) * 10.0**-layer) for layer in range(10)}
    edges, h = stats.histograms(g, magnitudes=True)  # in log10 units
    for layer, fractions in h.items():
        assert fractions.sum() == pytest.approx(1.0, abs=0.01)  # of the nonzero values
        centre = (edges[np.argmax(fractions)] + edges[np.argmax(fractions) + 1]) / 2
        assert -layer - 1 < centre < -layer + 0.5  # the density of log10 |N(0, s^2)| peaks at log10 s
        assert np.count_nonzero(fractions > 0.01) >= 10  # a shape over many bins, not one spike
    linear, spike = stats.histograms(g)
    assert np.count_nonzero(spike[5] > 0.01) == 1  # what the linear bins showed: one spike at 0
