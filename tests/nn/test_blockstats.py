"""Per-row statistics of networks of blocks against NumPy on the very arrays each row describes (the taps and
gradients of every batch, kept aside): every measured column, in float64 (1e-12) and float32; and a block
network with the plain architecture gives the plain MLP's rows."""

import numpy as np
import pytest

from actinit_cli.nn import activations, blocks, blockstats, initializers, mlp, stats
from actinit_cli.nn.architecture import Architecture
from actinit_cli.nn.columns import MEASURED

CASES = [
    (Architecture(True, 0.6, "layer", "post", ("act", "dense", "act", "dense")), "tanh"),
    (Architecture(True, 0.8, "rms", "pre", ("dense", "act")), "relu"),
    (Architecture(False, 1.0, "batch", "pre", ("act", "dense")), "relu"),
]


def build(arch, act, dtype, sizes=(8, 8, 8, 5)):
    depth = len(sizes) - 2
    he, bias = initializers.get("he_normal"), initializers.get({"name": "random_normal", "stddev": 0.3})
    return blocks.build(list(sizes), arch, [activations.get(act)] * depth, activations.get("sigmoid"),
                        [he] * (depth + 1), [bias] * (depth + 1), np.dtype(dtype), np.random.SeedSequence(2))


def run(net, dtype, batches=2):
    acc = blockstats.Accumulator(net)
    kept = []
    rng = np.random.default_rng(0)
    for _ in range(batches):
        seen = {}

        def both(row, what):
            acc.forward_row(row, what)
            seen[row] = what

        x = (rng.standard_normal((16, net.sizes[0])) * 1.5 + 0.4).astype(dtype)
        tape = blocks.forward(net, x, both)
        r = rng.standard_normal(tape.y.shape).astype(dtype)
        grads = {}
        for g in blocks.backward(net, tape, r, r * net.output.derivative(tape.h)):
            acc.backward(g)
            grads[g.row] = g
        kept.append((seen, grads))
    return acc.rows(), kept


def cat(kept, pick):
    return np.concatenate([np.asarray(pick(k), np.float64).reshape(-1) for k in kept])


def expected(net, kept, row):
    block = net.blocks[row - 1]
    t = lambda name: cat(kept, lambda k: getattr(k[0][row], name))  # noqa: E731
    h, x, act, f = t("dense_out"), t("stream"), t("act_out"), t("branch_out")
    dw = np.concatenate([cat(kept, lambda k: k[1][row].block.dW[i]) for i in range(len(block.dense))])
    db = np.concatenate([cat(kept, lambda k: k[1][row].block.db[i]) for i in range(len(block.dense))])
    dh, dx = cat(kept, lambda k: k[1][row].block.dense_out), cat(kept, lambda k: k[1][row].stream)
    a = block.arch
    total = t("norm_in") if a.post else x
    lo, hi = block.activation.saturation or (None, None)
    acts = np.concatenate([np.asarray(k[0][row].act_out) for k in kept])
    return {
        "preact_mean": h.mean(), "preact_var": h.var(), "preact_m2": np.mean(h * h),
        "act_mean": x.mean(), "act_var": x.var(), "act_m2": np.mean(x * x),
        "act_unit_var": np.mean([np.var(np.asarray(k[0][row].stream, np.float64), axis=0).mean() for k in kept]),
        "zero_frac": np.mean(act == 0), "dead_frac": np.mean(np.all(acts == 0, axis=0)),
        "saturated_frac": None if lo is None else np.mean((act <= lo) | (act >= hi)),
        "grad_act_m2": np.mean(dx * dx), "grad_preact_m2": np.mean(dh * dh), "grad_preact_var": dh.var(),
        "grad_w_m2": np.mean(dw * dw), "grad_w_var": dw.var(), "grad_b_m2": np.mean(db * db),
        "weight_var": np.concatenate([d.W.astype(np.float64).ravel() for d in block.dense]).var(),
        "grad_weight_ratio": np.sqrt(dw.var() / np.concatenate([d.W.astype(np.float64).ravel() for d in block.dense]).var()),
        "branch_share": a.alpha ** 2 * np.mean(f * f) / np.mean(total * total) if a.residual else None,
        "norm_in_m2": np.mean(t("norm_in") ** 2) if a.norm != "none" else None,
        "nonfinite": 0, "layer": row, "width": net.sizes[row],
    }


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("arch, act", CASES, ids=[f"{a.norm}-{a.position}-{'_'.join(a.branch)}" for a, _ in CASES])
def test_rows_match_numpy(arch, act, dtype):
    net = build(arch, act, dtype)
    rows, kept = run(net, dtype)
    for row in range(1, len(net.blocks) + 1):
        want = expected(net, kept, row)
        assert set(want) == set(MEASURED)
        for key, value in want.items():
            if value is None:
                assert rows[row][key] is None, (row, key)
            else:
                rel = 1e-12 if dtype == "float64" else 1e-5
                assert rows[row][key] == pytest.approx(value, rel=rel, abs=1e-12), (row, key)
    assert rows[0]["branch_share"] is None and rows[-1]["norm_in_m2"] is None


def test_plain_architecture_gives_the_mlps_rows():
    """[dense, act] without residual or norm is the MLP: the same rows as nn/stats.py's accumulator."""
    sizes, tanh = [6, 9, 7, 4], activations.get("tanh")
    he, bias = initializers.get("he_normal"), initializers.get({"name": "random_normal", "stddev": 0.2})
    arch = Architecture(False, 1.0, "none", "pre", ("dense", "act"))
    net = blocks.build(sizes, arch, [tanh] * 2, activations.get("identity"), [he] * 3, [bias] * 3,
                       np.dtype("float64"), np.random.SeedSequence(5))
    ref = mlp.build(sizes, tanh, activations.get("identity"), he, bias, np.dtype("float64"), np.random.SeedSequence(5))
    mine, theirs = blockstats.Accumulator(net), stats.Accumulator(ref)
    x = np.random.default_rng(1).standard_normal((32, 6))
    r = np.random.default_rng(2).standard_normal((32, 4))
    tape, ref_tape = blocks.forward(net, x, mine.forward_row), mlp.forward(ref, x, theirs.forward_layer)
    for g in blocks.backward(net, tape, r, r):
        mine.backward(g)
    for g in mlp.backward(ref, ref_tape, r, r):
        theirs.backward(g)
    assert mine.rows() == theirs.rows()
