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


LONG = "torch_cnn_bad_init: small_cnn(channels=16, blocks=6, bad_init=True) + own initialization (torch)"
MODULES = ["(input)"] + [f"encoder..encoder_layer_{i // 3}.{n}" for i, n in
                         zip(range(59), ["self_attention MultiheadAttention", "mlp.0 Linear", "ln_2 LayerNorm"] * 20)]


def drawn(draw, tmp_path, monkeypatch):
    """The figure a plot function saves, drawn by Agg (what the PNG shows, measured by matplotlib itself)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figures = []
    monkeypatch.setattr(figure, "save", lambda fig, path: figures.append(fig))
    draw(tmp_path / "p.png")
    (fig,) = figures
    fig.set_dpi(figure.DPI)  # as the PNG is drawn: hinted text at 120 dpi is wider than at matplotlib's 100
    FigureCanvasAgg(fig).draw()
    return fig


def overflow(fig) -> float:
    """Pixels by which any axes, its title, labels and tick labels, a figure text or legend reach past the
    figure's edge."""
    r = fig.canvas.get_renderer()
    boxes = [ax.get_tightbbox(r) for ax in fig.axes] + [t.get_window_extent(r) for t in fig.texts if t.get_text()]
    boxes += [legend.get_window_extent(r) for legend in fig.legends]
    return max(max(-b.x0, -b.y0, b.x1 - fig.bbox.width, b.y1 - fig.bbox.height) for b in boxes)


@pytest.mark.parametrize("draw", [
    lambda p, title: plots.variance_by_layer(p, range(19), {"y": np.logspace(0, -18, 19)}, title, ticks=MODULES[:19]),
    lambda p, title: plots.variance_by_layer(p, range(60), {"y": np.ones(60)}, f"{title}\nsecond line", ticks=MODULES),
    lambda p, title: plots.layer_histograms(p, np.linspace(-1, 1, 11), {1: np.ones(10) / 10}, f"{title}\ngrads", "x"),
    lambda p, title: plots.saturation(p, [1, 2], {"dead_frac": [0.0, 0.1]}, f"{title}\nsaturated, dead and zero"),
], ids=["module names", "60 module names", "histograms", "saturation"])
def test_long_titles_and_module_names_stay_inside_the_figure(tmp_path, monkeypatch, draw):
    fig = drawn(lambda p: draw(p, LONG), tmp_path, monkeypatch)
    assert overflow(fig) <= 1.0
    ax = fig.axes[0]
    assert "\n" in ax.get_title() and LONG not in ax.get_title()  # wrapped at a space, not shrunk
    assert ax.get_title().replace("\n", " ").startswith(LONG) and ax.title.get_fontsize() == 12
    short = drawn(lambda p: draw(p, "t"), tmp_path, monkeypatch).axes[0]
    assert ax.bbox.height == pytest.approx(short.bbox.height)  # the figure grew; the axes kept their size


def test_module_names_thin_out_to_at_most_30_readable_labels(tmp_path, monkeypatch):
    fig = drawn(lambda p: plots.variance_by_layer(p, range(60), {"y": np.ones(60)}, "t", ticks=MODULES),
                tmp_path, monkeypatch)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == MODULES[::2]
    assert all(t.get_fontsize() >= 7 and t.get_rotation() == 45 for t in ax.get_xticklabels())
    assert {*ax.get_xticks(), *ax.get_xticks(minor=True)} == set(range(60))  # every module keeps its tick mark


@pytest.mark.parametrize("low, high", [(0.3, 6.0), (2e-10, 8e-10), (3e-100, 6e-100), (1e-18, 1.0)])
def test_the_log_axis_label_stays_inside_the_figure(tmp_path, monkeypatch, low, high):
    """Under a decade the minor ticks get labels as wide as 6x10^-10 (he_relu at depth 30: 0.3 to 6)."""
    fig = drawn(lambda p: plots.variance_by_layer(p, [0, 1, 2], {"a": [low, high, low]}, "t"), tmp_path, monkeypatch)
    assert overflow(fig) <= 1.0


@pytest.mark.parametrize("low, high, floor, span, one", [
    (0.82, 0.96, 1.1e-7, (0.8, 1.01), "1 (isometry)"),  # isometry_tanh_orthogonal: was 1e-7..2 with a sliver
    (1e-10, 1e-9, 1e-25, (8e-11, 1.3e-9), "1 (isometry), right of the axis"),  # a vanishing network
    (1e-3, 30.0, 1e-18, (3e-4, 100.0), "1 (isometry)"),
])
def test_the_spectrum_axis_spans_the_singular_values(tmp_path, monkeypatch, low, high, floor, span, one):
    """The x axis is chosen from the data: the rounding level far below, or 1 far away, does not stretch it."""
    values = np.geomspace(low, high, 256)
    fig = drawn(lambda p: plots.spectrum_density(p, values, "t", floor=floor), tmp_path, monkeypatch)
    ax = fig.axes[0]
    lo, hi = ax.get_xlim()
    assert span[0] <= lo <= low and high <= hi <= span[1]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert one in labels and "rounding level (eps x largest), left of the axis: 0 below it" in labels
    assert overflow(fig) <= 1.0


@pytest.mark.parametrize("chi1", [np.full((5, 4), 1.2), np.where(np.arange(20).reshape(5, 4) > 12, np.inf, 1.2)],
                         ids=["finite", "diverging (selu)"])
def test_the_phase_diagram_legend_covers_no_data(tmp_path, monkeypatch, chi1):
    """The colour map fills the axes, so the legend goes below them; selu's sat on the critical line."""
    fig = drawn(lambda p: plots.phase_diagram(p, np.linspace(0.1, 4, 5), np.linspace(0, 1, 4), chi1,
                                              (np.array([1.0, 2.0]), np.array([0.0, 0.5])), {"he": 2.0, "lecun": 1.0},
                                              "t"), tmp_path, monkeypatch)
    ax = fig.axes[0]
    legend = ax.get_legend()
    assert len(legend.get_texts()) == 3 + (not np.isfinite(chi1).all())
    r = fig.canvas.get_renderer()
    assert legend.get_window_extent(r).y1 < ax.get_tightbbox(r, bbox_extra_artists=[]).y0  # under the x label
    assert overflow(fig) <= 1.0


@pytest.mark.parametrize("ticks", [None, MODULES[:12]], ids=["layers", "module names"])
def test_the_variance_plot_puts_legend_and_note_under_the_axes(tmp_path, monkeypatch, ticks):
    """Seven legend entries inside the axes covered a sigmoid net's gradient markers, and the note covered the first
    layers' markers: both go below the axes (and the module names), the note under the legend, neither overlapping."""
    values = {"a": np.logspace(0, -12, 12), "g": np.logspace(-12, 0, 12), "u": np.logspace(0, -6, 12)}
    theory = {k: (v, v / 2, v * 2) for k, v in values.items()}
    fig = drawn(lambda p: plots.variance_by_layer(p, range(12), values, "t", theory, "a note\n" + "ab " * 300,
                                                  outside=[3], ticks=ticks), tmp_path, monkeypatch)
    ax, r = fig.axes[0], fig.canvas.get_renderer()
    legend, (note,) = ax.get_legend(), fig.texts
    under_axes = ax.get_tightbbox(r, bbox_extra_artists=[]).y0
    assert len(legend.get_texts()) == 7 and legend.get_window_extent(r).y1 < under_axes
    assert note.get_window_extent(r).y1 < legend.get_window_extent(r).y0 and overflow(fig) <= 1.0


@pytest.mark.parametrize("grid, legend", [(np.array([[0.0, 1.0], [np.nan, 2.0]]), ["grey: a dead layer"]),
                                          (np.array([[0.0, 1.0], [3.0, 2.0]]), None)])
def test_a_layer_step_map_says_what_grey_means(tmp_path, monkeypatch, grid, legend):
    """Grey cells (a dead layer's E[y^2] = 0 has no log) are named in a legend; a map without any has none."""
    fig = drawn(lambda p: plots.layer_step_map(p, [0, 10], [0, 1], grid, "t", "log10 E[y^2]", grey="a dead layer"),
                tmp_path, monkeypatch)
    got = fig.axes[0].get_legend()
    assert ([t.get_text() for t in got.get_texts()] if got else None) == legend


@pytest.mark.parametrize("values, log", [([1.0, 0.5, 0.2], False), ([1.0, 0.01], True), ([None, None], False)])
def test_loss_curves_take_a_log_axis_only_over_a_decade(tmp_path, monkeypatch, values, log):
    """Within one decade a log axis labels 3x10^0 and says less: linear there, and the label says which."""
    fig = drawn(lambda p: plots.curves(p, [0, 10, 20][:len(values)], {"loss": values}, "t", "step", "loss (log scale)",
                                       guide=(1.1, "chance")), tmp_path, monkeypatch)
    ax = fig.axes[0]
    assert ax.get_yscale() == ("log" if log else "linear") and ("log" in ax.get_ylabel()) == log


@pytest.mark.parametrize("text, width", [
    ("train_he_fig3_he: relu + he_normal (depth 30), gaussian_mixture, momentum lr 0.01", 3.0),
    ("isometry_tanh_orthogonal: singular values (depth 64, width 256)", 1.6),
    ("one two", 100.0),
    ("layers outside the finite-width band: " + ", ".join(map(str, range(12, 400, 9))), 6.76),
])
def test_titles_never_break_between_a_name_and_its_number(text, width):
    """A title wrapped to `width` inches at 12 pt breaks at spaces, each line within the width (unless one
    word is wider), but never before a number ("momentum lr / 0.01", "width / 256)")."""
    got = figure.wrap(text, width, 12.0)
    assert " ".join(got) == text
    for before, line in zip(got, got[1:]):  # a line opens with a number only inside a list of numbers
        assert not line[:1].isdigit() or before.split(" ")[-1][:1].isdigit()
    for line in got:
        words = line.split(" ")
        unbreakable = len(words) == 1 or (len(words) == 2 and words[1][:1].isdigit())  # a word (and its number)
        assert figure.text_width(line, 12.0) <= width or unbreakable
    assert (got == [text]) == (figure.text_width(text, 12.0) <= width)


@pytest.mark.parametrize("points", [2, 5, 60])
@pytest.mark.parametrize("line", [(np.array([1.0]), np.array([0.0])), (np.array([]), np.array([]))],
                         ids=["point", "none"])
def test_the_phase_diagram_keeps_its_markers_and_says_only_what_it_draws(tmp_path, monkeypatch, points, line):
    """Coarse grids: the axes start left of every marker and at most 2 % below sigma_b^2 = 0 (the mesh's edge
    hid 'standard' at 0.333 and showed negative sigma_b^2); no critical point in range, no legend entry."""
    sw2, sb2 = np.linspace(4 / points, 4, points), np.linspace(0, 1, points)
    fig = drawn(lambda p: plots.phase_diagram(p, sw2, sb2, np.full((points, points), 0.9), line,
                                              {"standard": 1 / 3, "he": 2.0}, "t"), tmp_path, monkeypatch)
    ax = fig.axes[0]
    assert ax.get_xlim()[0] < 1 / 3 and ax.get_ylim()[0] >= -0.02
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(t.startswith("critical") for t in labels) == bool(len(line[0]))
