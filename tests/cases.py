"""Shared test tables and helpers: every elementwise activation plus parameter variants, the repository
root, SELU's exact chi_1 and the tolerance of a printed number."""

import importlib
import math
import os
import signal
from decimal import Decimal
from pathlib import Path

import pytest
from scipy import special

from actinit_cli.nn import activations as acts

ELEMENTWISE = [n for n in acts.REGISTRY.names() if n != "softmax"]
VARIANTS = [acts.get(n) for n in ELEMENTWISE] + [
    acts.get({"name": "gelu", "approximate": True}),
    acts.get({"name": "leaky_relu", "negative_slope": 0.2}),
    acts.get({"name": "elu", "alpha": 0.5}),
]
IDS = [f"{a.name}{dict(a.params) or ''}" for a in VARIANTS]

REPO = Path(__file__).resolve().parents[1]  # the repository root (tests sit one level below it)

# Klambauer et al. 2017's chi_1 at LeCun init, in closed form (docs/reference-numbers.md section S).
SELU_CHI1 = acts.SELU_LAMBDA**2 * (0.5 + acts.SELU_ALPHA**2 * math.e**2 * special.ndtr(-2.0))


def printed(x: float) -> float:
    """Half a unit in the last printed digit of a published number (0.0557 -> 5.1e-5)."""
    return 0.0 if math.isinf(x) else 0.51 * 10.0 ** Decimal(repr(x)).as_tuple().exponent


EXTRA_OF = {"torch": "torch", "dask": "dask", "distributed": "dask", "sklearn": "data"}  # module -> pyproject extra


def need(module: str):
    """Import an optional extra for a test. Locally a missing extra skips the test with the install hint;
    in CI (.ci/run sets ACTINIT_REQUIRE_EXTRAS=1 and installs every extra) it is an error, so an extra's
    tests are never skipped silently."""
    if os.environ.get("ACTINIT_REQUIRE_EXTRAS"):
        return importlib.import_module(module)
    extra = EXTRA_OF[module.split(".")[0]]
    return pytest.importorskip(module, reason=f"{module} comes with the {extra} extra: pip install -e '.[test,{extra}]'")


def terminal_signals() -> None:
    """Popen's preexec_fn for a process a test sends Ctrl-C: SIGINT as a terminal's foreground job has it. A
    suite started as a background job (`pytest &`, some CI runners) inherits SIGINT ignored, and Python keeps
    an ignored SIGINT ignored (the process would never see the test's Ctrl-C)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
