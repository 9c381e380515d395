"""Optional extras (torch, dask, scikit-learn's data): imported only when a command needs them, and a
one-line error with the install command when they are missing (exit 2)."""

from __future__ import annotations

import importlib
from types import ModuleType

from actinit_cli.errors import ActinitError

# extra name -> what `pip install "actinit[<extra>]"` adds, for the message
EXTRAS = {"torch": "PyTorch", "dask": "Dask distributed", "data": "scikit-learn's bundled datasets"}


def need(module: str, extra: str, what: str) -> ModuleType:
    """Import `module` for `what` (e.g. "a torch: model spec"), or ActinitError naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ActinitError(f"{what} needs {EXTRAS[extra]} ({exc.name or module} is not installed); install it with: "
                           f'pip install "actinit[{extra}]"') from None
