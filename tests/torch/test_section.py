"""The model.torch section without torch: the resolved spec reads back as itself (so a saved run re-validates),
its folder is absolute, the schema accepts it, and sweeps may vary the factory's keywords."""

import json

import pytest

from actinit_cli.errors import ActinitError
from actinit_cli.run import fields, spec
from actinit_cli.torch import section

TEXT = """model:
  torch: {factory: 'models.py:mlp', kwargs: {sizes: [8, 4]}, input_shape: [8], layers: {type: Linear}}
data: {batch_size: 4}
loss: mse
"""


def test_resolved_spec_round_trips_with_an_absolute_folder(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(TEXT)
    s = spec.load(path)
    t = s.resolved["model"]["torch"]
    assert t == {"factory": "models.py:mlp", "kwargs": {"sizes": [8, 4]}, "input_shape": [8],
                 "layers": {"type": ["Linear"]}, "folder": str(tmp_path.resolve()),
                 "input_gradient": "auto"}
    assert s.resolved["model"] == {"initializer": None, "bias_initializer": None, "dtype": "float32", "torch": t}
    assert spec.from_mapping(s.resolved, source="elsewhere").resolved == s.resolved
    assert s.raw["model"]["torch"]["folder"] == str(tmp_path.resolve())  # what sweep points are built from


def test_schema_accepts_a_resolved_torch_spec(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    (tmp_path / "s.yaml").write_text(TEXT)
    doc = json.loads(json.dumps(dict(spec.load(tmp_path / "s.yaml").resolved)))
    jsonschema.validate(doc, spec.json_schema())
    doc["model"]["torch"]["facotry"] = "x:y"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, spec.json_schema())


@pytest.mark.parametrize("path,ok", [("model.torch.kwargs.width", True), ("model.torch.input_shape", True),
                                     ("model.torch.kwargs.", False), ("model.torch.factory", False),
                                     ("model.initializer", True), ("model.torch.folder", False)])
def test_sweepable_paths(path, ok):
    assert (section.sweepable(path) or path in fields.SWEEPABLE) is ok


def test_schema_accepts_a_torch_sweep():
    jsonschema = pytest.importorskip("jsonschema")
    schema = spec.json_schema()["properties"]["sweep"]
    jsonschema.validate({"model.torch.kwargs.width": [8, 16], "model.initializer": ["he_normal"]}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"model.torch.factory": ["a:b"]}, schema)


@pytest.mark.parametrize("text, message", [
    (TEXT + "analysis: {jacobian: {samples: 2}}\n",
     "analysis.jacobian.samples: the Jacobian spectrum is computed for actinit's own MLP, not a torch model"),
    (TEXT.replace("model:\n", "model:\n  initializer: lsuv\n"),
     "model.initializer: lsuv is resolved on actinit's own MLP only, not a torch model"),
])
def test_what_needs_actinit_s_own_mlp_is_refused_for_a_torch_model(tmp_path, text, message):
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(ActinitError, match=message):
        spec.load(path)
