"""A spec whose model.block makes a network of blocks (residual, normalized): its network, statistics, one
batch forward and backward, memory, and the arrays --save-arrays keeps. The runner hands these over when
`structure.of(model).plain` is false; everything else (seeds, batches, repeats, theory) it does as for
the MLP.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from actinit_cli import resources
from actinit_cli.nn import activations, blocks, blockstats, losses
from actinit_cli.run import analysis, structure
from actinit_cli.run.spec import Spec


def is_blocks(spec: Spec) -> bool:
    """Whether the spec's model is a network of blocks (a residual or a norm), not the plain MLP."""
    return not spec.torch and not structure.of(spec.resolved["model"]).plain


def network(spec: Spec, seed: np.random.SeedSequence) -> blocks.Network:
    m = spec.resolved["model"]
    return blocks.build(spec.sizes, structure.of(m), structure.hidden_activations(m),
                        activations.get(m["output_activation"]), structure.initializers_of(m, "initializer"),
                        structure.initializers_of(m, "bias_initializer"), np.dtype(m["dtype"]), seed)


def check_memory(spec: Spec, save_arrays: bool, available: int | None) -> int:
    m = spec.resolved["model"]
    itemsize = np.dtype(m["dtype"]).itemsize
    need = blocks.peak_bytes(spec.sizes, structure.of(m), spec["data.batch_size"], itemsize, save_arrays)
    if analysis.samples(spec.resolved):  # after the batch: one input repeated n_depth times, forward and back
        need = max(need, blocks.peak_bytes(spec.sizes, structure.of(m), spec.sizes[-2], itemsize) +
                   analysis.extra_bytes(spec.resolved, spec.sizes))
    fix = "reduce data.batch_size, model.width or model.depth" + (" or drop --save-arrays" if save_arrays else "")
    what = (f"model: this network of blocks (depth {m['depth']}, widest layer {max(spec.sizes)}, batch "
            f"{spec['data.batch_size']}, {m['dtype']})")
    return resources.check_fits(need, what, fix, available)


def step(loss: str, net: blocks.Network, x: np.ndarray, target: np.ndarray, acc: blockstats.Accumulator,
         keep: bool, tick: Callable[[int], None]) -> tuple[float, dict | None]:
    """Forward, loss and backward of one batch into `acc`; the arrays of it when `keep`."""
    saved: dict | None = {"x": x, "target": target} if keep else None

    def seen(row: int, what) -> None:
        acc.forward_row(row, what)
        if saved is not None and 0 < row <= len(net.blocks):
            _save_block(saved, row, net.blocks[row - 1], what)

    tape = blocks.forward(net, x, seen)
    tick(len(net.blocks) + 2)
    grad = losses.evaluate(loss, tape.h, tape.y, target, net.output)
    if saved is not None:
        top = len(net.blocks) + 1
        saved.update({"loss": np.array(grad.value), f"W{top}": net.head.W, f"b{top}": net.head.b, f"h{top}": tape.h,
                      f"y{top}": tape.y})
    for g in blocks.backward(net, tape, grad.dy, grad.dh):
        acc.backward(g)
        if saved is not None:
            _save_grad(saved, g)
        tick(1)
    return grad.value, saved


def _save_block(saved: dict, row: int, block: blocks.Block, taps: blocks.Taps) -> None:
    saved.update({f"s{row}": taps.stream, f"f{row}": taps.branch_out, f"h{row}": taps.dense_out})
    for k, d in enumerate(block.dense, start=1):
        saved.update({f"W{row}_{k}": d.W, f"b{row}_{k}": d.b})


def _save_grad(saved: dict, g: blocks.RowGrad) -> None:
    if g.head is not None:
        saved.update({f"dy{g.row}": g.head.dy, f"dh{g.row}": g.head.dh, f"dW{g.row}": g.head.dW,
                      f"db{g.row}": g.head.db})
    elif g.block is not None:
        saved.update({f"ds{g.row}": g.stream, f"dh{g.row}": g.block.dense_out})
        for k, (dW, db) in enumerate(zip(g.block.dW, g.block.db), start=1):
            saved.update({f"dW{g.row}_{k}": dW, f"db{g.row}_{k}": db})
    else:
        saved["dx"] = g.stream
