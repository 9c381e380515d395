"""torch/figures.py: module names as the x axis' labels, long paths shortened in the middle."""

import pytest

from actinit_cli.torch import figures


@pytest.mark.parametrize("module, call, kind, label", [
    ("(input)", 1, None, "(input)"),
    ("layer1.0.conv1", 1, "Conv2d", "layer1.0.conv1 Conv2d"),
    ("1.fc1", 2, "Linear", "1.fc1#2 Linear"),
    ("layer1.0.downsample.0", 1, "Conv2d", "layer1.0.downsample.0 Conv2d"),  # 28 characters: whole
    ("layer10.0.downsample.0", 1, "Conv2d", "layer10..downsample.0 Conv2d"),
    ("encoder.layers.encoder_layer_3.mlp.fc1", 1, "Linear", "encoder..mlp.fc1 Linear"),
    ("encoder.layers.encoder_layer_3.self_attention", 1, "MultiheadAttention",
     "encoder..encoder_layer_3.self_attention MultiheadAttention"),  # the first and last two parts stay
])
def test_labels_keep_a_long_module_paths_first_and_last_parts(module, call, kind, label):
    assert figures._label({"module": module, "call": call, "type": kind}) == label
