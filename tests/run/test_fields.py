"""Field declarations: value checks, the sweep section, and the JSON Schema fragments."""

import pytest

from actinit_cli.run import fields
from actinit_cli.errors import ActinitError


@pytest.mark.parametrize("raw, message", [
    ({"model.depht": [1]}, "did you mean 'model.depth'"),
    ({"name": ["a"]}, "'name' is not a spec path"),
    ({"model.depth": []}, "non-empty list"),
    ([], "expected a mapping"),
])
def test_sweep_section_errors(raw, message):
    with pytest.raises(ActinitError, match=message):
        fields.validate_sweep(raw)


def test_sweep_section_ok_and_absent():
    assert fields.validate_sweep(None) is None
    assert fields.validate_sweep({"model.depth": [1, 2]}) == {"model.depth": [1, 2]}


def test_check_value_normalises_registered_names():
    f = fields.FIELDS["model.activation"]
    assert fields.check_value("model.activation", f, "swish", "w") == "silu"
    assert fields.check_value("model.activation", f, {"name": "leaky_relu"}, "w") == \
        {"name": "leaky_relu", "negative_slope": 0.01}


def test_reference_schema_names_each_entrys_parameters():
    schema = fields.json_schema_of(fields.FIELDS["model.activation"])
    leaky = next(o for o in schema["oneOf"][1:] if "leaky_relu" in o["properties"]["name"]["enum"])
    slope = leaky["properties"]["negative_slope"]
    assert set(leaky["properties"]) == {"name", "negative_slope"} and slope["anyOf"][0]["minimum"] == 0
    assert slope["default"] == 0.01
