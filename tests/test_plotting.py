"""The course's figure style: labelled heatmaps, masks drawn as masks, signed values on a
diverging scale, figures that fit a column, and alt text on every shown figure."""

import base64

import IPython
import IPython.display
import ipywidgets as widgets
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_utils import plotting
from course_utils.plotting import (
    DIVERGING_CMAP,
    MAX_WIDTH_IN,
    diverging,
    draw_mask,
    figure_png,
    heatmap,
    png_size,
    shared_colorbar,
    show,
    style_problems,
    use_course_style,
)
from course_utils.widgets import show_figure

TOKENS = ["Der", "schlaue", "Fuchs"]
CAUSAL = np.tril(np.ones((3, 3), dtype=bool))


@pytest.fixture(autouse=True)
def _no_figures_left():
    plt.close("all")  # what an earlier test module left open is not this test's doing
    yield
    leftover = plt.get_fignums()
    plt.close("all")
    assert not leftover, f"a test left {len(leftover)} figure(s) open"


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_heatmap_has_token_labels_and_values():
    fig = heatmap(np.eye(3), TOKENS, TOKENS, title="t")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == TOKENS
    assert len(ax.texts) == 9 and ax.get_title() == "t"
    assert len(fig.axes) == 2  # the colorbar
    plt.close(fig)


def test_heatmap_rotates_key_labels_only_when_they_do_not_fit():
    fig = heatmap(np.eye(3), TOKENS, TOKENS)
    assert fig.axes[0].get_xticklabels()[0].get_rotation() == 0
    long = [f"a-very-long-token-{i}" for i in range(12)]
    fig2 = heatmap(np.eye(12), long, long, annotate=False)
    assert fig2.axes[0].get_xticklabels()[0].get_rotation() == 45
    plt.close(fig)
    plt.close(fig2)


def test_heatmap_rejects_bad_input():
    with pytest.raises(ValueError, match="2 labels but the matrix has 3 rows"):
        heatmap(np.eye(3), ["a", "b"])
    with pytest.raises(ValueError, match="Pick one head"):
        heatmap(np.ones((2, 3, 3)))
    with pytest.raises(TypeError, match="mask must be boolean"):
        heatmap(np.eye(3), mask=np.ones((3, 3)))
    with pytest.raises(ValueError, match=r"mask has shape \(2, 2\) but the matrix has shape"):
        heatmap(np.eye(3), mask=np.ones((2, 2), dtype=bool))


def test_masked_cells_are_drawn_as_masked_not_as_zero():
    weights = np.where(CAUSAL, 1 / np.arange(1, 4)[:, None], 0.0)
    fig = heatmap(weights, TOKENS, TOKENS, mask=CAUSAL, colorbar_label="attention weight")
    ax, bar = fig.axes
    assert len(ax.texts) == 6 and "0.00" not in _texts(ax)  # 3 masked cells: no number
    hatched = [p for p in ax.patches if p.get_hatch() == "///"]
    assert len(hatched) == 3
    assert {(p.get_x(), p.get_y()) for p in hatched} == {(0.5, -0.5), (1.5, -0.5), (1.5, 0.5)}
    legend = bar.get_legend()  # under the colour bar
    assert legend is not None and [t.get_text() for t in legend.get_texts()] == ["masked"]
    assert bar.get_ylabel() == "attention weight"
    lo, hi = ax.images[0].get_clim()
    assert (lo, hi) == (pytest.approx(1 / 3), 1.0)  # the scale ignores the masked zeros
    plt.close(fig)


def test_a_padding_mask_broadcasts_and_the_legend_sits_beside_a_bare_map():
    pad = np.array([[[True, True, False]]])  # (batch, 1, n_keys) as padding_mask gives
    fig = heatmap(
        np.full((3, 3), 0.5), TOKENS, TOKENS, mask=pad, colorbar=False, mask_label="padding"
    )
    ax = fig.axes[0]
    assert len(ax.texts) == 6 and ax.get_legend().get_texts()[0].get_text() == "padding"
    plt.close(fig)


def test_signed_values_get_a_diverging_scale_centred_on_zero():
    m = np.array([[-2.0, 0.5], [1.0, 0.0]])
    fig = heatmap(m, signed=True)
    image = fig.axes[0].images[0]
    assert image.get_cmap().name == DIVERGING_CMAP and image.get_clim() == (-2.0, 2.0)
    assert fig.axes[1].get_ylabel() == "value"
    plt.close(fig)
    scale = diverging(np.array([1.0, -3.0]), [[0.5, np.inf]])
    assert scale == {"cmap": DIVERGING_CMAP, "vmin": -3.0, "vmax": 3.0}
    assert diverging(np.zeros(2))["vmax"] == 1.0


def test_cell_text_colour_follows_the_cells_brightness():
    fig = heatmap(np.array([[0.0, 1.0]]), vmin=0, vmax=1, cmap="cividis")
    dark, light = fig.axes[0].texts
    assert dark.get_color() == "white" and light.get_color() == "black"
    plt.close(fig)


def test_draw_mask_uses_the_mask_style():
    fig = draw_mask(CAUSAL, TOKENS, TOKENS, title="causal")
    ax = fig.axes[0]
    assert len([p for p in ax.patches if p.get_hatch() == "///"]) == 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["may attend", "masked"]
    plt.close(fig)


def test_the_course_style_keeps_text_readable():
    use_course_style()
    sizes = [matplotlib.rcParams[k] for k in ("font.size", "xtick.labelsize", "legend.fontsize")]
    assert min(sizes) >= 8 and matplotlib.rcParams["figure.titleweight"] == "bold"
    fig = heatmap(np.eye(4), list("abcd"), list("abcd"), title="x", mask=np.eye(4, dtype=bool))
    assert style_problems(fig) == []
    assert fig.get_size_inches()[0] <= MAX_WIDTH_IN
    plt.close(fig)
    wide = heatmap(np.eye(40), annotate=False)
    assert wide.get_size_inches()[0] <= MAX_WIDTH_IN
    plt.close(wide)


def test_style_problems_names_wide_figures_and_tiny_text():
    fig, ax = plt.subplots(figsize=(14, 3))
    ax.set_title("tiny", fontsize=6)
    problems = style_problems(fig)
    assert any("14.0 in wide" in p for p in problems) and any(
        "'tiny' is 6 pt" in p for p in problems
    )
    plt.close(fig)


def test_figure_png_never_exceeds_a_column():
    fig, ax = plt.subplots(figsize=(16, 3))
    ax.plot([0, 1])
    width, _ = png_size(figure_png(fig))
    assert width <= 1100
    plt.close(fig)
    with pytest.raises(ValueError, match="not a PNG"):
        png_size(b"GIF89a" + bytes(30))


class _Shell:
    pass


def _capture_display(monkeypatch):
    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: _Shell())
    monkeypatch.setattr(
        IPython.display,
        "publish_display_data",
        lambda data, metadata=None: shown.append((data, metadata)),
    )
    return shown


def test_show_displays_png_with_alt_text_and_closes(monkeypatch):
    shown = _capture_display(monkeypatch)
    fig, ax = plt.subplots()
    ax.plot([1, 2])
    show(fig, alt="The line  rises\nsteadily.")
    ((data, metadata),) = shown
    assert data["text/plain"] == "The line rises steadily."
    assert metadata == {"image/png": {"alt": "The line rises steadily."}}
    assert png_size(base64.b64decode(data["image/png"]))[0] <= 1100
    assert not plt.fignum_exists(fig.number)


@pytest.mark.parametrize("alt", ["", "   ", None, 3])
def test_show_requires_alt_text_and_still_closes(alt):
    fig, _ = plt.subplots()
    with pytest.raises(TypeError, match="alt must be a one-sentence description"):
        show(fig, alt=alt)
    assert not plt.fignum_exists(fig.number)


def test_show_outside_ipython_only_closes():
    fig, _ = plt.subplots()
    show(fig, alt="Nothing to see.")
    assert not plt.fignum_exists(fig.number)
    assert plotting.show.__doc__


def test_show_figure_puts_alt_text_into_the_widget():
    out = widgets.Output()
    fig, ax = plt.subplots()
    ax.plot([1, 2])
    show_figure(out, fig, alt="The weights peak at 'Fuchs'.")
    (output,) = out.outputs
    assert output["data"]["text/plain"] == "The weights peak at 'Fuchs'."
    assert output["metadata"] == {"image/png": {"alt": "The weights peak at 'Fuchs'."}}
    assert png_size(base64.b64decode(output["data"]["image/png"]))[0] <= 1100
    assert not plt.get_fignums()


def test_show_figure_without_alt_stays_backward_compatible():
    out = widgets.Output()
    fig, _ = plt.subplots()
    show_figure(out, fig)
    assert out.outputs[0]["data"]["text/plain"] == "<figure>"
    assert out.outputs[0]["metadata"] == {}
    fig, _ = plt.subplots()
    with pytest.raises(TypeError, match="alt must be a str"):
        show_figure(out, fig, alt=3)
    plt.close(fig)


def test_a_grid_gets_one_shared_labelled_colour_bar():
    fig, axes = plt.subplots(2, 2, figsize=(8, 6))
    for ax in axes.flat:
        heatmap(np.eye(3), ax=ax, colorbar=False, vmin=0, vmax=1)
    bar = shared_colorbar(fig, axes, "attention weight")
    assert len(fig.axes) == 5 and bar.ax.get_ylabel() == "attention weight"
    with pytest.raises(ValueError, match="none has an image"):
        shared_colorbar(fig, [bar.ax], "x")
    plt.close(fig)


def test_show_takes_an_axes_for_its_figure_and_rejects_other_things():
    fig, ax = plt.subplots()
    show(ax, alt="An empty set of axes, shown.")
    assert not plt.fignum_exists(fig.number)
    with pytest.raises(TypeError, match="show needs a matplotlib figure"):
        show([1, 2], alt="Not a figure at all.")
