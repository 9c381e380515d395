"""PNG plots from plain arrays, with matplotlib's object API (imported lazily: `actinit --help` stays fast).
The ground floor beside errors: imports NumPy and matplotlib, nothing else of actinit_cli."""

from actinit_cli.plots.figure import imported_meanwhile, preload
from actinit_cli.plots.layers import layer_histograms, saturation, variance_by_layer
from actinit_cli.plots.maps import heatmaps, phase_diagram
from actinit_cli.plots.spectrum import spectrum_density
from actinit_cli.plots.training import curves, layer_step_map

__all__ = ["curves", "heatmaps", "imported_meanwhile", "layer_histograms", "layer_step_map", "phase_diagram",
           "preload", "saturation", "spectrum_density", "variance_by_layer"]
