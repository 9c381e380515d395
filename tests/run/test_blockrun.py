"""Runs of networks of blocks: --save-arrays holds what each row describes, the same seed gives the same
numbers (repeats and batches included), the memory estimate bounds what a run really allocates, and the
command line writes the run directory with plots."""

import tracemalloc

import numpy as np
import pytest

from actinit_cli.errors import ActinitError
from actinit_cli.nn import blocks, layers
from actinit_cli.run import blockrun, runner, spec, structure

TEXT = """
seed: 4
model: {depth: 3, width: 16, activation: tanh, initializer: he_normal, dtype: float64,
        block: {residual: true, alpha: 0.5, norm: layer, norm_position: post, branch: [act, dense, act, dense]}}
data: {batch_size: 8, batches: 2}
"""


def test_saved_arrays_are_the_rows_arrays():
    s = spec.parse(TEXT)
    run = runner.execute(s, save_arrays=True)
    a = run.arrays
    net = blockrun.network(s, np.random.SeedSequence(4).spawn(2)[0])
    x = a["x"]
    for row in (1, 2, 3):
        block = net.blocks[row - 1]
        assert np.array_equal(a[f"W{row}_1"], block.dense[0].W) and np.array_equal(a[f"W{row}_2"], block.dense[1].W)
        y, cache = block.forward(x)
        np.testing.assert_allclose(a[f"s{row}"], y, rtol=1e-14)
        np.testing.assert_allclose(a[f"h{row}"], cache.taps.dense_out, rtol=1e-14)
        np.testing.assert_allclose(a[f"f{row}"], cache.taps.branch_out, rtol=1e-14)
        assert a[f"ds{row}"].shape == y.shape and a[f"dW{row}_2"].shape == (16, 16)
        x = y
    np.testing.assert_allclose(a["h4"], x @ a["W4"] + a["b4"], rtol=1e-13)
    assert a["dx"].shape == a["x"].shape and float(a["loss"]) == run.losses[0]


def test_same_seed_same_numbers_and_repeats_differ():
    one, two = runner.execute(spec.parse(TEXT + "repeats: 2")), runner.execute(spec.parse(TEXT + "repeats: 2"))
    assert one.rows == two.rows and one.per_repeat == two.per_repeat
    assert one.per_repeat[0][2]["act_m2"] != one.per_repeat[1][2]["act_m2"]
    assert one.rows[2]["act_m2"] == pytest.approx(np.mean([r[2]["act_m2"] for r in one.per_repeat]))


def test_memory_estimate_bounds_the_allocations():
    s = spec.parse("model: {depth: 6, width: 256, activation: relu, initializer: he_normal, block: {residual: true, "
                   "norm: batch, branch: [act, dense, act, dense]}}\ndata: {batch_size: 512}")
    m = s.resolved["model"]
    estimate = blocks.peak_bytes(s.sizes, structure.of(m), 512, 4)
    tracemalloc.start()
    runner.execute(s)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak <= estimate <= 4 * peak, (peak, estimate)
    with pytest.raises(ActinitError, match="network of blocks"):
        runner.preflight(s, False, available=estimate // 2)[0]


def test_float32_is_float32_throughout():
    """(float32 draws other weights than float64; tests/nn/test_blocks.py compares the two on the same weights.)"""
    run = runner.execute(spec.parse(TEXT.replace("float64", "float32")), save_arrays=True)
    assert all(v.dtype == np.float32 for k, v in run.arrays.items() if k != "loss")


def test_run_command_writes_the_directory(tmp_path):
    from typer.testing import CliRunner

    from actinit_cli.cli import app

    path = tmp_path / "blocks.yaml"
    path.write_text(TEXT)
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "runs"), "--quiet"])
    assert result.exit_code == 0, result.output
    folder = next((tmp_path / "runs" / "blocks").iterdir())
    assert {"layers.csv", "variance_by_layer.png", "activations_hist.png", "report.md"} <= {p.name for p in folder.iterdir()}
    assert "residual, alpha 0.5, post-LayerNorm, act-dense-act-dense" in (folder / "report.md").read_text()


def test_blocks_layer_is_a_layer():
    """A block network's pieces follow the Layer protocol (forward and vjp) as dense, activation and norm do."""
    net = blockrun.network(spec.parse(TEXT), np.random.SeedSequence(0))
    for piece in (*net.blocks[0].branch, net.blocks[0].norm, net.blocks[0]):
        assert isinstance(piece, layers.Layer)
