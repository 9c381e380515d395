"""Two small models in plain PyTorch, for actinit's torch: specs (configs/torch_*.yaml) and the README.

Each factory takes keyword arguments (the spec's model.torch.kwargs) and returns a torch.nn.Module. `bad_init`
re-draws every Linear/Conv weight with a fixed std of 0.01 (the notes' "random" init), which makes the
signal vanish with depth; without it the models keep PyTorch's own initialization, unless the spec sets
model.initializer.
"""

import torch
from torch import nn


def _bad_init(model: nn.Module) -> nn.Module:
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.normal_(m.weight, std=0.01)
            nn.init.zeros_(m.bias)
    return model


def small_cnn(channels: int = 16, blocks: int = 4, classes: int = 10, bad_init: bool = False) -> nn.Module:
    """Conv-ReLU blocks on 3 x 32 x 32 images (pooling halves the size every second block), then a linear head."""
    layers, c_in = [], 3
    for i in range(blocks):
        layers += [nn.Conv2d(c_in, channels, 3, padding=1), nn.ReLU()]
        if i % 2 == 1:
            layers.append(nn.MaxPool2d(2))
        c_in = channels
    model = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, classes))
    return _bad_init(model) if bad_init else model


class Block(nn.Module):
    """x + W2 relu(W1 norm(x)): a pre-norm residual block."""

    def __init__(self, width: int):
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.fc1 = nn.Linear(width, width)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.fc2(self.act(self.fc1(self.norm(x))))


def residual_mlp(width: int = 128, depth: int = 6, inputs: int = 64, outputs: int = 10,
                 bad_init: bool = False) -> nn.Module:
    """A linear stem, `depth` pre-norm residual blocks and a linear head."""
    model = nn.Sequential(nn.Linear(inputs, width), *[Block(width) for _ in range(depth)], nn.LayerNorm(width),
                          nn.Linear(width, outputs))
    return _bad_init(model) if bad_init else model


def plain_mlp(width: int = 256, depth: int = 8, inputs: int = 256, activation: str = "Tanh") -> nn.Module:
    """Linear + activation, `depth` times, then a linear output: actinit's own MLP, written in torch."""
    layers, n_in = [], inputs
    for _ in range(depth):
        layers += [nn.Linear(n_in, width), getattr(nn, activation)()]
        n_in = width
    return nn.Sequential(*layers, nn.Linear(n_in, width))
