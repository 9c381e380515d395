"""Name lookup, parameter validation and did-you-mean suggestions shared by every registry."""

import pytest

from actinit_cli.errors import ActinitError
from actinit_cli.nn.registry import Param, did_you_mean, split_ref


@pytest.mark.parametrize("word, candidates, want", [
    ("he_unnormal", ["he_normal", "he_uniform", "lecun_normal"], "; did you mean 'he_normal' or 'he_uniform'?"),
    ("tanhh", ["tanh", "relu"], "; did you mean 'tanh'?"),
    ("zzz", ["tanh", "relu"], ""),
])
def test_did_you_mean(word, candidates, want):
    assert did_you_mean(word, candidates) == want


@pytest.mark.parametrize("param, value, want", [
    (Param("x", 1.0), 2, 2.0),
    (Param("x", 1, int), 3.0, 3),
    (Param("x", False, bool), True, True),
    (Param("x", "a", str, ("a", "b")), "b", "b"),
    (Param("x", 1.0, low=0.0), 0.0, 0.0),
])
def test_param_accepts(param, value, want):
    got = param.validate(value, "f")
    assert got == want and type(got) is type(want)


@pytest.mark.parametrize("param, value, message", [
    (Param("x", 1.0), True, "expected a number, got a boolean"),
    (Param("x", 1.0), "1", "expected a number, got a string"),
    (Param("x", 1, int), 1.5, "expected an integer"),
    (Param("x", False, bool), 1, "expected true or false"),
    (Param("x", "a", str, ("apple", "b")), "aple", "did you mean 'apple'"),
    (Param("x", 1.0, low=0.0, low_open=True), 0.0, "must be > 0"),
    (Param("x", 1.0, low=0.0), -1.0, "must be >= 0"),
    (Param("x", 1.0, high=1.0), 2.0, "must be <= 1"),
    (Param("x", 1.0), float("nan"), "must be finite"),
])
def test_param_rejects_naming_the_field(param, value, message):
    with pytest.raises(ActinitError, match=f"^model.x: .*{message}"):
        param.validate(value, "model.x")


@pytest.mark.parametrize("ref, message", [
    ({"negative_slope": 0.1}, "needs a 'name' key"),
    ({"name": 3}, "expected a string"),
    (3.5, "expected activation name or a mapping"),
])
def test_split_ref_errors(ref, message):
    with pytest.raises(ActinitError, match=message):
        split_ref(ref, "activation", "model.activation")
