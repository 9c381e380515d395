"""`actinit schema` against an independent validator (jsonschema): it accepts every example config and every
spec.yaml actinit writes, and rejects what actinit rejects wherever JSON Schema can say so."""

import json

import pytest
import yaml

from actinit_cli.run import report, runner, spec
from tests.cases import REPO, need

jsonschema = pytest.importorskip("jsonschema")  # a test dependency, always installed by the README's command
SCHEMA = spec.json_schema()
CONFIGS = sorted((REPO / "configs").glob("*.yaml"))


def test_schema_is_valid_draft_2020_12():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_config_validates_as_yaml_1_1_reads_it(path):
    """Plain yaml.safe_load (YAML 1.1) leaves 1e-3 a string: the schema accepts that spelling too."""
    jsonschema.validate(yaml.safe_load(path.read_text()), SCHEMA)


@pytest.mark.parametrize("path", [p for p in CONFIGS if "sweep" not in p.read_text()], ids=lambda p: p.name)
def test_every_written_spec_yaml_validates(path, tmp_path):
    """The resolved spec a run writes (nulls in checks, widths as lists) is a valid spec."""
    s = spec.load(path)
    model = s.raw.get("model", {})
    if "torch" in model:  # a torch: spec runs only with the torch extra (skipped without it, an error in CI)
        need("torch")
    shrunk = {**model, "width": 8}  # the depth stays: overrides and checks name layers
    small = spec.from_mapping({**s.raw, "model": model if "torch" in model else shrunk,
                               "data": {"batch_size": 8}, "checks": s.raw.get("checks", [])}, default_name=s.name)
    folder = report.write(runner.execute(small), tmp_path, plots=False)
    jsonschema.validate(yaml.safe_load((folder / "spec.yaml").read_text()), SCHEMA)


# Each is refused by actinit (exit 2) and must be refused by the schema too.
REJECTED = [
    "model: {activation: softmax}",
    "model: {activation: {name: leaky_relu, negative_slope: -1}}",
    "model: {initializer: {name: he_normal, scale: 2}}",
    "model: {depth: 0}",
    "model: {dtype: float16}",
    "data: {input: {std: -1}}",
    "loss: hinge",
    "checks: [{quantity: act_m3, max: 1}]",
    "checks: [{quantity: act_m2, max: 1, layers: {from: 2}}]",
    "checks: [{quantity: act_m2, max: 1, layers: []}]",
    "sweep: {model.depht: [1, 2]}",
    "sweep: {model.depth: []}",
    "modle: {depth: 3}",
    "model: {block: {norm: group}}",
    "model: {block: {branch: [act]}}",
    "model: {block: {residual: 1}}",
    "model: {block: {alpha: -1}}",
    "model: {layers: [{at: 1}]}",
    "model: {layers: [{width: 3}]}",
    "model: {layers: [{at: 1, depth: 2}]}",
    "model: {layers: [{at: 0, width: 3}]}",
    "model: {layers: [{at: '1..2', width: 3}]}",
]


@pytest.mark.parametrize("text", REJECTED)
def test_schema_rejects_what_actinit_rejects(text):
    from actinit_cli.errors import ActinitError

    with pytest.raises(ActinitError):
        spec.parse(text)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(yaml.safe_load(text), SCHEMA)


def test_exponent_spellings_are_numbers_for_both():
    text = "data: {input: {std: 1e-3}}\nchecks: [{quantity: act_m2, max: 1e-3}]"
    assert spec.parse(text)["data.input.std"] == 0.001
    jsonschema.validate(yaml.safe_load(text), SCHEMA)
    jsonschema.validate(json.loads(json.dumps(dict(spec.parse(text).resolved))), SCHEMA)
