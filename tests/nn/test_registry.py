"""Name lookup, parameter validation and did-you-mean suggestions shared by every registry."""

import pytest

from actinit_cli.errors import ActinitError
from actinit_cli.nn import activations, initializers
from actinit_cli.nn.registry import Entry, Param, did_you_mean, split_ref


@pytest.mark.parametrize("word, candidates, want", [
    ("he_unnormal", ["he_normal", "he_uniform", "lecun_normal"], "; did you mean 'he_normal' or 'he_uniform'?"),
    ("tanhh", ["tanh", "relu"], "; did you mean 'tanh'?"),
    ("zzz", ["tanh", "relu"], ""),
    ("ReLU", ["elu", "relu", "selu"], "; did you mean 'relu'?"),  # torch's spelling: case aside, it is relu
    ("He_Unnormal", ["he_normal", "he_uniform", "lecun_normal"], "; did you mean 'he_normal' or 'he_uniform'?"),
])
def test_did_you_mean(word, candidates, want):
    assert did_you_mean(word, candidates) == want


@pytest.mark.parametrize("param, value, want", [
    (Param("x", default=1.0), 2, 2.0),
    (Param("x", default=1, kind=int), 3.0, 3),
    (Param("x", default=False, kind=bool), True, True),
    (Param("x", ("a", "b"), default="a", kind=str), "b", "b"),
    (Param("x", low=0.0, default=1.0), 0.0, 0.0),
])
def test_param_accepts(param, value, want):
    got = param.validate(value, "f")
    assert got == want and type(got) is type(want)


@pytest.mark.parametrize("param, value, message", [
    (Param("x", default=1.0), True, "expected a number, got a boolean"),
    (Param("x", default=1.0), "1", "expected a number, got a string"),
    (Param("x", default=1, kind=int), 1.5, "expected an integer"),
    (Param("x", default=False, kind=bool), 1, "expected true or false"),
    (Param("x", ("apple", "b"), default="a", kind=str), "aple", "did you mean 'apple'"),
    (Param("x", low=0.0, low_open=True, default=1.0), 0.0, "must be > 0"),
    (Param("x", low=0.0, default=1.0), -1.0, "must be >= 0"),
    (Param("x", high=1.0, default=1.0), 2.0, "must be <= 1"),
    (Param("x", default=1.0), float("nan"), "must be finite"),
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


def test_entries_take_defaults_and_types_from_the_factory_signature():
    def make(slope: float = 0.25, mode: str = "a", exact: bool = False, steps: int = 3):
        return (slope, mode, exact, steps)

    e = Entry("x", make, (Param("slope"), Param("mode", ("a", "b")), Param("exact"), Param("steps")))
    assert [(p.default, p.kind) for p in e.params] == [(0.25, float), ("a", str), (False, bool), (3, int)]
    with pytest.raises(AssertionError, match="signature"):
        Entry("y", make, (Param("slope"),))  # every keyword of the factory must be declared


@pytest.mark.parametrize("registry", [activations.REGISTRY, initializers.REGISTRY], ids=lambda r: r.kind)
def test_every_entry_builds_with_its_defaults(registry):
    """The whole table: each entry's defaults build an object equal to calling the factory bare."""
    for name, entry in registry.entries.items():
        built = registry.get({"name": name, **{p.name: p.default for p in entry.params}} if entry.params else name)
        bare = entry.make()
        assert built.name == bare.name and dict(built.params) == dict(bare.params), name


def test_short_names_keep_only_changed_parameters():
    assert activations.REGISTRY.short_name({"name": "leaky_relu", "negative_slope": 0.01}) == "leaky_relu"
    assert activations.REGISTRY.short_name({"name": "leaky_relu", "negative_slope": 0.2}) == \
        "leaky_relu(negative_slope=0.2)"
    assert initializers.REGISTRY.short_name({"name": "identity", "gain": 2.0}) == "identity(gain=2.0)"
