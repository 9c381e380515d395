"""actinit_cli/blas.py: the BLAS thread count set for a block and restored, on the OpenBLAS NumPy ships."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from actinit_cli import blas

# NumPy's Linux wheels bundle OpenBLAS (numpy.show_config names it); elsewhere the limit may be a no-op
OPENBLAS = sys.platform.startswith("linux") and "openblas" in str(np.show_config(mode="dicts")).lower()


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
