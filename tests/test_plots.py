"""Plots take plain arrays and write PNG files; missing values become gaps, not fake points."""

import numpy as np
import pytest

from actinit_cli import plots
from actinit_cli.plots import figure

PNG = b"\x89PNG\r\n\x1a\n"


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == PNG
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_positive_values_for_log_axes():
    np.testing.assert_array_equal(figure.positive([1.0, None, 0.0, -1.0, float("inf"), 2.0]),
                                  [1.0, np.nan, np.nan, np.nan, np.nan, 2.0])


@pytest.mark.parametrize("draw", [
    lambda p: plots.variance_by_layer(p, [0, 1, 2], {"a": [1.0, 0.5, None], "g": [None, 2.0, 1.0]}, "t",
                                      {"a": ([1, 0.5, 0.25], [0.9, 0.4, 0.2], [1.1, 0.6, 0.3])}, "note", [2]),
    lambda p: plots.layer_histograms(p, np.linspace(-1, 1, 11), {1: np.ones(10) / 10, 2: np.ones(10) / 10}, "t", "x"),
    lambda p: plots.spectrum_density(p, np.array([[10.0, 1.0, 1e-20, 0.0]]), "t\ndepth 3", "note", 2.2e-15),
    lambda p: plots.spectrum_density(p, np.ones((2, 8)), "isometry, depth 64"),  # one value: a bin around it
    lambda p: plots.saturation(p, [1, 2, 3], {"dead_frac": [0.0, 0.1, 0.2], "zero_frac": [None] * 3}, "t"),
    lambda p: plots.phase_diagram(p, np.linspace(0.1, 4, 5), np.linspace(0, 1, 4), np.full((5, 4), 1.2),
                                  (np.array([1.0, 2.0]), np.array([0.0, 0.5])), {"he": 2.0}, "t"),
    lambda p: plots.heatmaps(p, ["tanh", "relu"], ["he", "glorot"], {"depth 10": [[0.1, None], [-3.0, float("inf")]]},
                             {"depth 10": [["+0.10", "fail"], ["-3.00", "to 0"]]}, "t", "slope"),
])
def test_every_plot_writes_a_png(tmp_path, draw):
    path = tmp_path / "p.png"
    draw(path)
    width, height = png_size(path)
    assert width >= 400 and height >= 200  # heatmaps scale with their rows
