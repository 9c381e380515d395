"""PyTorch models measured like actinit's own MLPs: forward hooks feed nn/'s statistics, one row per leaf module.
May import nn/, theory/, errors, extras and plots; `import torch` happens only inside the functions that need it.

The notebook API, `inspect(module, x)`, `initialize(module, ...)` and `Inspection`, loads on first use."""

__all__ = ["Inspection", "initialize", "inspect"]


def __getattr__(name: str):
    if name in __all__:  # lazily: importing actinit_cli.torch.rows (checks, the reader) stays light
        from actinit_cli.torch import notebook

        return getattr(notebook, name)
    raise AttributeError(f"module 'actinit_cli.torch' has no attribute {name!r}")
