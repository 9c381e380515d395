"""PyTorch models measured like actinit's own MLPs: forward hooks feed nn/'s statistics, one row per leaf module.
May import nn/, theory/, errors and extras; `import torch` happens only inside the functions that need it."""

from actinit_cli.torch.notebook import Inspection, initialize, inspect

__all__ = ["Inspection", "initialize", "inspect"]
