"""Spec validation: defaults, cross-field rules, and one precise error per kind of mistake."""

import json

import pytest
import yaml

from actinit_cli.run import spec
from actinit_cli.errors import ActinitError


def test_defaults_are_filled_in():
    s = spec.parse("", default_name="xavier_tanh")
    assert s.name == "xavier_tanh" and s["seed"] == 0 and s["repeats"] == 1
    assert s["model.width"] == [512] * 20 and s.sizes == [512] * 22
    assert s["model.activation"] == "tanh"
    assert s["model.initializer"] == {"name": "glorot_normal", "distribution": "truncated_normal"}
    assert s["model.output_activation"] == "identity" and s["model.dtype"] == "float32"
    assert s["data.input"] == {"distribution": "normal", "mean": 0.0, "std": 1.0} and s["loss"] == "random_projection"


def test_resolved_spec_round_trips():
    s = spec.parse("model: {depth: 3, width: [4, 5, 6], activation: {name: leaky_relu, negative_slope: 0.1}}")
    again = spec.parse(yaml.safe_dump(dict(s.resolved)))
    assert again.resolved == s.resolved
    assert s.sizes == [4, 4, 5, 6, 6]


@pytest.mark.parametrize("text, want", [
    ("loss: cross_entropy", "softmax"),
    ("loss: binary_cross_entropy", "sigmoid"),
    ("loss: mse\nmodel: {output_activation: softmax}", "softmax"),
])
def test_output_activation_pairs_with_the_loss(text, want):
    assert spec.parse(text)["model.output_activation"] == want


def test_resolved_checks_validate_again():
    s = spec.parse("checks:\n  - {quantity: act_m2, slope_log2: {min: -0.1}}\n  - {quantity: nonfinite, max: 0}")
    assert spec.from_mapping(dict(s.resolved)).resolved == s.resolved


def test_aliases_become_canonical():
    s = spec.parse("model: {activation: swish, initializer: kaiming_uniform}")
    assert s["model.activation"] == "silu" and s["model.initializer"] == "he_uniform"


@pytest.mark.parametrize("text, message", [
    ("modle: {depth: 3}", r"<spec>:1: modle: unknown key; did you mean 'model'\?"),
    ("model:\n  depht: 3", r"<spec>:2: model.depht: unknown key; did you mean 'depth'\?"),
    ("model:\n  depth: three", r":2: model.depth: expected an integer, got a string"),
    ("model:\n  depth: 2.5", r"model.depth: expected an integer"),
    ("model:\n  depth: 0", r"model.depth: must be >= 1"),
    ("model:\n  width: -4", r"model.width: must be >= 1"),
    ("model:\n  width: [4, 4]\n  depth: 3", r"model.width: 2 widths for depth 3"),
    ("model:\n  width: []", r"model.width: the list of widths is empty"),
    ("model:\n  activation: tanhh", r"model.activation: unknown activation 'tanhh'; did you mean 'tanh'"),
    ("model:\n  initializer: he_unnormal", r"did you mean 'he_normal' or 'he_uniform'"),
    ("model:\n  activation: {name: leaky_relu, slope: 0.1}", r"has no parameter 'slope'; it takes negative_slope"),
    ("model:\n  activation: softmax", r"model.activation: softmax is for output layers only"),
    ("loss: cross_entropy\nmodel: {output_activation: identity}", r"loss cross_entropy needs output_activation "
                                                                   r"softmax"),
    ("loss: binary_cross_entropy\nmodel: {output_activation: tanh}", r"needs output_activation sigmoid"),
    ("loss: hinge", r"loss: got 'hinge', expected one of mse"),
    ("model:\n  dtype: float16", r"model.dtype: got 'float16'"),
    ("data:\n  batch_size: 0", r"data.batch_size: must be >= 1"),
    ("data:\n  input: {distribution: gaussian}", r"data.input.distribution: got 'gaussian'"),
    ("data:\n  input: {std: .inf}", r"data.input.std: must be finite"),
    ("data: 5", r"data: expected a mapping, got an integer"),
    ("seed: -1", r"seed: must be >= 0"),
    ("repeats: true", r"repeats: expected an integer, got a boolean"),
    ("model:\n  output_dim: 1\nloss: cross_entropy", r"cross_entropy needs at least 2 classes"),
    ("- a\n- b", r"a spec is a YAML mapping"),
    ("model: {depth: 3", r"<spec>:1:\d+: YAML syntax error"),
    ("model:\n  depth: null", r"model.depth: must not be null"),
    ("name: ../../escape", r"<spec>:1: name: '../../escape' is not usable as a folder name"),
    ("name: /tmp/abs", r"not usable as a folder name"),
    ("name: .hidden", r"not usable as a folder name"),
])
def test_errors_name_the_field_and_line(text, message):
    with pytest.raises(ActinitError, match=message):
        spec.parse(text)


def test_missing_or_unreadable_file(tmp_path):
    with pytest.raises(ActinitError, match="not found; check the path"):
        spec.load(tmp_path / "nope.yaml")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ActinitError, match="not UTF-8 text; save it as UTF-8"):
        spec.load(latin)


def test_every_config_validates():
    from pathlib import Path

    configs = sorted(Path(__file__).parents[2].joinpath("configs").glob("*.yaml"))
    assert len(configs) >= 10
    for path in configs:
        assert spec.load(path).name == path.stem


def test_json_schema_accepts_a_resolved_spec_and_rejects_typos():
    jsonschema = pytest.importorskip("jsonschema")
    schema = spec.json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(json.loads(json.dumps(dict(spec.parse("loss: mse").resolved))), schema)
    bad = [{"modle": {}}, {"model": {"activation": {"name": "relu", "alpha": 2}}},
           {"model": {"initializer": {"name": "he_normal", "gain": 2}}},
           {"model": {"activation": {"name": "leaky_relu", "negative_slope": -1}}}, {"model": {"depth": 0}}]
    for doc in bad:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(doc, schema)
    jsonschema.validate({"model": {"activation": {"name": "leaky_relu", "negative_slope": 0.2}}}, schema)
