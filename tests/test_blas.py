"""actinit_cli/blas.py: the BLAS thread count set for a block and restored, on the OpenBLAS NumPy ships."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from actinit_cli import blas



def _openblas_loaded() -> bool:
    """NumPy's Linux wheels bundle OpenBLAS: is a library of that name mapped into this process?"""
    try:
        with open("/proc/self/maps") as maps:
            return any("openblas" in line.lower() for line in maps)
    except OSError:
        return False


OPENBLAS = sys.platform.startswith("linux") and _openblas_loaded()  # elsewhere the limit may be a no-op


@pytest.mark.skipif(not OPENBLAS, reason="NumPy is not linked to OpenBLAS here")
def test_limited_sets_and_restores_the_count():
    before = blas.threads()
    assert before is not None and before >= 1
    with blas.limited(1) as took:
        assert took is True
        assert blas.threads() == 1
        a = np.ones((300, 300))
        assert float((a @ a)[0, 0]) == 300.0  # products still right on one thread
    assert blas.threads() == before


@pytest.mark.skipif(not OPENBLAS, reason="NumPy is not linked to OpenBLAS here")
def test_a_limit_above_the_count_leaves_it():
    before = blas.threads()
    with blas.limited(before + 7):
        assert blas.threads() == before
    assert blas.threads() == before
