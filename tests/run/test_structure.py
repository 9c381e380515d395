"""model.layers and model.block: resolution (overrides applied, per-layer lookups, alpha at the depth), errors
that name the field and its YAML line, the resolved spec read back, sweeps over the new paths, and torch specs
refusing them."""

import pytest

from actinit_cli.errors import ActinitError
from actinit_cli.run import spec, structure
from actinit_cli.sweep import plan

TEXT = """\
name: het
model:
  depth: 6
  width: 16
  activation: tanh
  layers:
    - {at: 1, width: 32, initializer: glorot_uniform}
    - at: " 4 - 6 "
      activation: {name: leaky_relu, negative_slope: 0.2}
      bias_initializer: {name: random_normal, stddev: 0.1}
data: {batch_size: 8}
"""


def test_overrides_resolve_per_layer():
    m = spec.parse(TEXT).resolved["model"]
    assert m["width"] == [32, 16, 16, 16, 16, 16] and m["input_dim"] == 32 and m["output_dim"] == 16
    assert m["layers"][1]["at"] == "4-6"
    acts = structure.per_layer(m, "activation")
    assert acts[:3] == ["tanh"] * 3 and acts[3:] == [{"name": "leaky_relu", "negative_slope": 0.2}] * 3
    inits = structure.initializers_of(m, "initializer")
    assert [i.name for i in inits] == ["glorot_uniform"] + ["glorot_normal"] * 6  # the output layer: the model's
    assert [b.name for b in structure.initializers_of(m, "bias_initializer")][3:6] == ["random_normal"] * 3
    assert structure.of(m).plain and structure.describe(m) == ""


LINES = [  # (lines changed in TEXT, the error's start, what it says)
    ('    - {at: 1, width: 32, initializer: glorot_uniform}', '    - {at: 7, width: 32}',
     r"^<spec>:7: model\.layers\[0\]\.at: 7 is beyond the hidden layers 1\.\.6"),
    ('  - at: " 4 - 6 "', '  - at: "1-3"', r"^<spec>:8: model\.layers\[1\]\.at: layer 1 is also set by model\.layers\[0\]"),
    ('      bias_initializer: {name: random_normal, stddev: 0.1}', '      bias_initialiser: zeros',
     r"^<spec>:10: model\.layers\[1\]\.bias_initialiser: unknown key; did you mean 'bias_initializer'"),
    ('      activation: {name: leaky_relu, negative_slope: 0.2}', '      activation: softmax',
     r"^<spec>:9: model\.layers\[1\]\.activation: softmax is for output layers only"),
    ('  activation: tanh', '  activation: tanh\n  block: {residual: true}',
     r"^<spec>:8: model\.layers\[0\]\.width: 32 differs from the width 16"),
]


@pytest.mark.parametrize("old, new, match", LINES)
def test_errors_name_the_field_and_its_line(old, new, match):
    with pytest.raises(ActinitError, match=match):
        spec.parse(TEXT.replace(old, new))


def test_block_errors_name_their_lines():
    text = "model:\n  depth: 4\n  width: [8, 8, 8, 9]\n  block:\n    residual: true\n    alpha: 1/sqrt(depth)\n"
    with pytest.raises(ActinitError, match=r"^<spec>:3: model\.width: .*one width"):
        spec.parse(text)
    with pytest.raises(ActinitError, match=r"^<spec>:6: model\.block\.alpha: .*residual"):
        spec.parse(text.replace("residual: true", "residual: false").replace("[8, 8, 8, 9]", "8"))


def test_resolved_spec_reads_back_the_same():
    s = spec.parse(TEXT + "\n").resolved
    block = spec.parse("model: {depth: 9, width: 8, block: {residual: true, alpha: 'depth**-0.5', norm: rms}}")
    for resolved in (s, block.resolved):
        import yaml

        again = spec.parse(yaml.safe_dump(dict(resolved))).resolved
        assert again == resolved
    assert block.resolved["model"]["block"]["alpha"] == "depth ** (-0.5)"
    assert structure.of(block.resolved["model"]).alpha == pytest.approx(1 / 3)


def test_sweeps_take_the_new_paths(tmp_path):
    base = spec.parse("""
name: sw
model: {depth: 4, width: 8, activation: relu, initializer: he_normal, block: {residual: true}}
data: {batch_size: 4}
sweep:
  model.block.alpha: [1, 0.5, "1/sqrt(depth)"]
  model.block.norm: [none, layer, batch]
""")
    points = plan.expand(base)
    assert len(points) == 9
    alphas = sorted({structure.of(p.spec.resolved["model"]).alpha for p in points})
    assert alphas == [0.5, 1.0] and {p.spec.resolved["model"]["block"]["norm"] for p in points} == {"none", "layer", "batch"}
    twice = base.raw | {"sweep": {"model.block.alpha": ["1/sqrt(depth)", "1 / sqrt( depth )"]}}
    with pytest.raises(ActinitError, match="listed twice"):
        plan.expand(spec.from_mapping(twice))


def test_torch_specs_refuse_layers_and_blocks():
    for key in ("layers: []", "block: {residual: true}"):
        with pytest.raises(ActinitError, match=rf"model\.{key.split(':')[0]}: describes actinit's own MLP"):
            spec.parse(f"model: {{torch: {{factory: 'm:f', input_shape: [3]}}, {key}}}")


def test_value_at_agrees_with_per_layer():
    m = spec.parse(TEXT).resolved["model"]
    for key in ("activation", "initializer", "bias_initializer"):
        assert [structure.value_at(m, key, layer) for layer in range(1, 7)] == structure.per_layer(m, key)
