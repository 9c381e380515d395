"""Per-row statistics of a network of blocks, on the accumulators of `nn/stats.py` (the same sums, so a
number means the same in both).

Rows are those of the plain MLP: 0 the input, l = 1..depth block l, depth + 1 the output. On a block's row,
act_* describe the stream after the block (what the next block sees), preact_* the branch's last dense
output (before alpha and the sum), grad_act_m2 dL/d(stream), grad_preact_* dL/d(that dense output),
weight and weight-gradient columns the block's dense weights (pooled over two), the saturated, dead and
zero fractions the output of the branch's last activation; branch_share and norm_in_m2 are filled here.
"""

from __future__ import annotations

import numpy as np

from actinit_cli.nn import blocks
from actinit_cli.nn.stats import LayerStats, RunningSums, head_values, observe, observe_grad, row
from actinit_cli.nn.sums import variance

FRACTIONS = ("saturated_frac", "dead_frac", "zero_frac")


class Accumulator:
    """Statistics of one network of blocks (one repeat) over any number of batches."""

    def __init__(self, net: blocks.Network, keep_hist: bool = False):
        self.net = net
        self.top = len(net.blocks) + 1
        self.layers = [LayerStats(n) for n in net.sizes]
        self.branch = [LayerStats(b.dense[-1].W.shape[1]) for b in net.blocks]  # the branch's last activation
        self.norm_in = [RunningSums() for _ in net.blocks]
        self.keep_hist = keep_hist
        self.hist_act: dict[int, np.ndarray] = {}
        self.hist_grad: dict[int, np.ndarray] = {}
        for s, b in zip(self.layers[1:], net.blocks):
            s.weight_var = variance([d.W for d in b.dense])
        self.layers[-1].weight_var = variance([net.head.W])

    def forward_row(self, layer: int, seen) -> None:
        """Accumulate one row of one batch (pass it as `blocks.forward`'s on_row)."""
        if layer == 0:
            observe(self.layers[0], None, seen, None, False)
        elif layer == self.top:
            observe(self.layers[layer], seen[0], seen[1], self.net.output.saturation, True)
        else:
            self._block(layer, seen)

    def _block(self, layer: int, taps: blocks.Taps) -> None:
        observe(self.layers[layer], taps.dense_out, taps.stream, None, False)
        observe(self.branch[layer - 1], None, taps.act_out, self.net.activation(layer).saturation, True)
        if taps.norm_in is not None:
            with np.errstate(all="ignore"):
                self.norm_in[layer - 1].add(taps.norm_in)
        if self.keep_hist:
            self.hist_act[layer] = head_values(taps.stream)

    def backward(self, g: blocks.RowGrad) -> None:
        """Accumulate one row's gradients (called from the output down)."""
        s = self.layers[g.row]
        if g.head is not None:
            observe_grad(s, g.head.dy, g.head.dh, g.head.dW, g.head.db)
        elif g.block is not None:
            observe_grad(s, g.stream, g.block.dense_out, g.block.dW[0], g.block.db[0])
            for dW, db in zip(g.block.dW[1:], g.block.db[1:]):
                observe_grad(s, None, None, dW, db)
            if self.keep_hist:
                self.hist_grad[g.row] = head_values(g.stream)
        else:
            observe_grad(s, g.stream)

    def rows(self) -> list[dict]:
        """One dict per row with exactly the measured columns; None where a quantity does not apply."""
        return [row(0, self.layers[0], False)] + [self._block_row(layer) for layer in range(1, self.top)] + \
            [row(self.top, self.layers[-1], self.net.output.saturation is not None)]

    def _block_row(self, layer: int) -> dict:
        block, s, act = self.net.blocks[layer - 1], self.layers[layer], self.branch[layer - 1]
        saturates = block.activation.saturation is not None
        r, f = row(layer, s, saturates), row(layer, act, saturates)
        r.update({k: f[k] for k in FRACTIONS}, nonfinite=r["nonfinite"] + f["nonfinite"])
        arch = block.arch
        branch_m2 = s.pre.m2() if arch.branch[-1] == "dense" else act.act.m2()
        sum_m2 = self.norm_in[layer - 1].m2() if arch.post else s.act.m2()
        share = None
        if arch.residual and branch_m2 is not None and sum_m2:
            with np.errstate(all="ignore"):
                share = float(arch.alpha * arch.alpha * branch_m2 / sum_m2)
        r.update(branch_share=share, norm_in_m2=self.norm_in[layer - 1].m2() if arch.norm != "none" else None)
        return r
