"""Fans, shapes and dtypes: Keras 3's fan rules for ranks 0 to 4, and the guards on what may be allocated."""

import pytest

from actinit_cli.nn import shapes
from actinit_cli.errors import ActinitError


@pytest.mark.parametrize("shape, fans", [
    ((), (1, 1)),
    ((5,), (5, 5)),
    ((9, 1), (9, 1)),
    ((300, 50), (300, 50)),
    ((512, 8, 64), (8 * 512, 64 * 512)),
    ((3, 3, 16, 32), (144, 288)),
])
def test_compute_fans_keras_rules(shape, fans):
    assert shapes.compute_fans(shape) == fans


@pytest.mark.parametrize("shape", [(0, 3), (-1, 2), (2**15, 2**15)])
def test_check_shape_refuses(shape):
    with pytest.raises(ActinitError, match="shape"):
        shapes.check_shape(shape)


def test_bad_dtype():
    with pytest.raises(ActinitError, match="float32, float64"):
        shapes.check_dtype("float16")
