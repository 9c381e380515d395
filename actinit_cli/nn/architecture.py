"""What every block of a network is (the spec's model.block): residual or not, the branch multiplier alpha,
the norm and where it sits, and the branch's layers; with the tables of allowed values. No arrays here: the
spec's validation reads this without importing the network code (`nn/blocks.py` builds and runs it).
"""

from __future__ import annotations

from dataclasses import dataclass

from actinit_cli.nn import norms

BRANCHES: dict[tuple[str, ...], str] = {
    ("act", "dense"): "W phi(x) + b: pre-activation (the exact mean-field case)",
    ("dense", "act"): "phi(x W + b): the branch output has a mean, so does the stream",
    ("act", "dense", "act", "dense"): "two layers, W2 phi(W1 phi(x) + b1) + b2",
}
NORM_NAMES = ("none", *norms.NORMS)
POSITIONS = ("pre", "post")


@dataclass(frozen=True)
class Architecture:
    """What every block is (the spec's model.block); `plain` (no residual, no norm) is `nn/mlp.py`'s MLP."""

    residual: bool = False
    alpha: float = 1.0
    norm: str = "none"
    position: str = "pre"
    branch: tuple[str, ...] = ("act", "dense")

    @property
    def plain(self) -> bool:
        return not self.residual and self.norm == "none"

    @property
    def post(self) -> bool:
        return self.norm != "none" and self.position == "post"

    @property
    def pre(self) -> bool:
        return self.norm != "none" and self.position == "pre"
