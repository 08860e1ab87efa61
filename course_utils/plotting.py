"""The course's figure style: one look, labelled heatmaps, masks drawn as masks, and ``show``.

Every notebook figure ends with ``show(fig, alt="…")``: the PNG is displayed with a one-sentence
description of its finding as its text (what screen readers, exports and the website use).

- ``use_course_style()``: fonts ≥ 8 pt, the Okabe–Ito colours, PNG output.
- ``heatmap(m, rows, cols, mask=..., signed=...)``: token labels, values in the cells, a
  labelled colour bar; masked cells hatched grey with no number; signed values on a diverging
  scale centred on 0.
- ``draw_mask(mask, rows, cols)``: a mask on its own, in the same style (allowed white).
- ``diverging(*arrays)``: colour-scale arguments for signed values, the same for every panel.
- ``style_problems(fig)``: what breaks the course style (too wide, text too small).
"""

from __future__ import annotations

import struct
import warnings
from collections.abc import Sequence
from io import BytesIO
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch, Rectangle

__all__ = [
    "COLORS",
    "DIVERGING_CMAP",
    "MASKED_STYLE",
    "MAX_WIDTH_IN",
    "MIN_FONT_PT",
    "SEQUENTIAL_CMAP",
    "diverging",
    "draw_mask",
    "figure_png",
    "heatmap",
    "masked_patch",
    "png_size",
    "shared_colorbar",
    "show",
    "style_problems",
    "use_course_style",
]

# Okabe–Ito palette: distinguishable with every common form of colour blindness.
COLORS = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
}

SEQUENTIAL_CMAP = "viridis"  # weights, probabilities, sizes: one direction, colorblind-safe
DIVERGING_CMAP = "RdBu_r"  # signed values (Q, K, V, W, outputs, PE): blue < 0 < red, 0 white
MAX_WIDTH_IN = 11.0  # a notebook column shows ≤ 11 in at 100 dpi without shrinking
MIN_FONT_PT = 8.0
DPI = 100
MASKED_STYLE = {"facecolor": "#DDDDDD", "edgecolor": "#888888", "hatch": "///", "linewidth": 0}
MASKED_LABEL = "masked"


def use_course_style() -> None:
    """One look for every figure: readable fonts, colorblind-safe colours, PNG output."""
    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 4.0),
            "figure.dpi": DPI,
            "savefig.dpi": DPI,
            "font.size": 11,
            "axes.titlesize": 12,
            "axes.titleweight": "bold",
            "axes.labelsize": 11,
            "xtick.labelsize": 10,
            "ytick.labelsize": 10,
            "legend.fontsize": 10,
            "figure.titlesize": 13,
            "figure.titleweight": "bold",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": False,
            "axes.prop_cycle": mpl.cycler(color=list(COLORS.values())),
            "image.cmap": SEQUENTIAL_CMAP,
            "legend.frameon": False,
            "figure.constrained_layout.use": True,
            "hatch.linewidth": 0.8,
        }
    )
    try:  # keep inline figures PNG (SVG embeds ids and dates that break nbval)
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            set_matplotlib_formats("png")
    except ImportError:  # pragma: no cover - outside IPython
        pass


# --------------------------------------------------------------------------- showing a figure


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels, read from a PNG's header."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("not a PNG (its first bytes are not the PNG signature and IHDR chunk)")
    return struct.unpack(">II", png[16:24])


def figure_png(
    fig: plt.Figure, *, tight: bool = True, max_px: int = int(MAX_WIDTH_IN * DPI)
) -> bytes:
    """``fig`` as PNG bytes at 100 dpi, never wider than ``max_px`` pixels.

    ``tight`` crops the empty margin as the inline backend does; widgets pass ``tight=False``
    (one drawing pass instead of two, and a size that does not jump between updates).
    """
    bbox = "tight" if tight else None
    buffer = BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches=bbox)
    png = buffer.getvalue()
    width, _ = png_size(png)
    if width > max_px:  # too wide for a column: render smaller rather than be shrunk blindly
        buffer = BytesIO()
        fig.savefig(buffer, format="png", dpi=DPI * max_px / width * 0.995, bbox_inches=bbox)
        png = buffer.getvalue()
    return png


def _alt_text(alt: Any) -> str:
    if not isinstance(alt, str) or not alt.strip():
        raise TypeError(
            "alt must be a one-sentence description of what the figure shows, e.g. "
            "alt=\"'Fuchs' puts most of its weight on 'schlaue'.\"; "
            f"got {alt!r}"
        )
    return " ".join(alt.split())


def show(fig: plt.Figure, alt: str) -> None:
    """Display ``fig`` as a PNG whose text is ``alt`` (one sentence: the finding), then close it.

    ``alt`` becomes the output's ``text/plain`` and the PNG's ``alt`` metadata, so exports,
    the website and screen readers can tell what the figure shows. Use it instead of
    ``plt.show()``; outside IPython it only closes the figure.
    """
    if not isinstance(fig, mpl.figure.Figure) and isinstance(
        getattr(fig, "figure", None), mpl.figure.Figure
    ):
        fig = fig.figure  # an Axes (or another artist): show the figure that holds it
    if not isinstance(fig, mpl.figure.Figure):
        raise TypeError(
            "show needs a matplotlib figure, e.g. from fig, ax = plt.subplots(); "
            f"got {type(fig).__name__}"
        )
    try:
        alt = _alt_text(alt)
        png = figure_png(fig)
    finally:
        plt.close(fig)
    try:
        from IPython import get_ipython
        from IPython.display import publish_display_data
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        return
    if get_ipython() is None:
        return
    import base64

    publish_display_data(
        {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": alt},
        metadata={"image/png": {"alt": alt}},
    )


def style_problems(fig: plt.Figure) -> list[str]:
    """What in ``fig`` breaks the course style: wider than 11 in, or text under 8 pt."""
    problems = []
    width, _ = fig.get_size_inches()
    if width > MAX_WIDTH_IN + 1e-9:
        problems.append(f"the figure is {width:.1f} in wide; at most {MAX_WIDTH_IN:g} in fits")
    fig.canvas.draw()
    for text in fig.findobj(mpl.text.Text):
        if text.get_visible() and text.get_text().strip() and text.get_fontsize() < MIN_FONT_PT:
            problems.append(f"{text.get_text()[:30]!r} is {text.get_fontsize():g} pt (< 8 pt)")
    return problems


# --------------------------------------------------------------------------- colour scales


def diverging(*arrays: Any, cmap: str = DIVERGING_CMAP, limit: float | None = None) -> dict:
    """``cmap``, ``vmin``, ``vmax`` for signed values: one scale centred on 0 for every array.

    ``heatmap(Q, **diverging(Q, K, V))`` gives Q, K and V the same colours for equal numbers.
    """
    if limit is None:
        values = [np.abs(np.asarray(a, dtype=float)) for a in arrays]
        finite = [v[np.isfinite(v)] for v in values]
        limit = max((float(v.max()) for v in finite if v.size), default=1.0)
    limit = limit if limit > 0 else 1.0
    return {"cmap": cmap, "vmin": -limit, "vmax": limit}


def _text_color(rgb: Sequence[float]) -> str:
    """Black on light cells, white on dark ones (by the cell colour's luminance)."""
    r, g, b = rgb[:3]
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"


def _masked_cells(mask: Any, shape: tuple[int, int]) -> np.ndarray:
    """Boolean (rows, cols): True where ``mask`` (True = may attend) forbids the pair."""
    allowed = np.asarray(mask)
    if allowed.dtype != bool:
        raise TypeError(
            f"mask must be boolean (True = may attend, as for attention); got dtype {allowed.dtype}"
        )
    while allowed.ndim > 2 and allowed.shape[0] == 1:
        allowed = allowed[0]
    try:
        return ~np.broadcast_to(allowed, shape)
    except ValueError:
        raise ValueError(
            f"mask has shape {allowed.shape} but the matrix has shape {shape}; give one entry "
            "per cell (or a shape that broadcasts, e.g. (1, n_keys))"
        ) from None


def masked_patch(label: str = MASKED_LABEL) -> Patch:
    """The legend entry for masked cells (for one shared legend under a grid of heatmaps)."""
    return Patch(**MASKED_STYLE, label=label)


def _draw_masked(ax: plt.Axes, masked: np.ndarray) -> None:
    for i, j in zip(*np.nonzero(masked), strict=True):
        ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, **MASKED_STYLE, zorder=2))


def _legend(ax: plt.Axes, handles: list, *, below: bool) -> None:
    """A small legend under ``ax`` (a colour bar's axes) or to the right of it."""
    where = (
        {"loc": "upper center", "bbox_to_anchor": (0.5, -0.03)}
        if below
        else {"loc": "upper left", "bbox_to_anchor": (1.02, 1.0)}
    )
    ax.legend(
        handles=handles,
        **where,
        bbox_transform=ax.transAxes,
        frameon=False,
        fontsize=9,
        handlelength=1.2,
        borderaxespad=0.0,
    )


def _label_axes(ax, m, row_labels, col_labels, fontsize: float) -> None:
    cols = col_labels if col_labels is not None else range(m.shape[1])
    rows = row_labels if row_labels is not None else range(m.shape[0])
    ax.set_xticks(range(m.shape[1]), labels=[str(c) for c in cols])
    ax.set_yticks(range(m.shape[0]), labels=[str(r) for r in rows])
    ax.tick_params(length=0)
    # Rotate the key labels only when they would not fit side by side.
    longest = max((len(str(c)) for c in cols), default=0)
    width_in = ax.get_position().width * ax.figure.get_size_inches()[0]
    needed_in = m.shape[1] * (longest * 0.6 * fontsize / 72 + 0.08)
    if needed_in > width_in:
        ax.tick_params(axis="x", labelrotation=45)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
            label.set_rotation_mode("anchor")


def heatmap(
    matrix,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    *,
    ax: plt.Axes | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    annotate: bool = True,
    fmt: str = ".2f",
    cmap: str | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    colorbar: bool = True,
    colorbar_label: str = "value",
    highlight: str | None = None,
    mask: Any = None,
    signed: bool = False,
    mask_legend: bool = True,
    mask_label: str = MASKED_LABEL,
    fontsize: float = 9,
) -> plt.Figure:
    """Draw a matrix with token labels on its rows and columns; return the figure.

    - ``annotate`` writes each value in its cell (when the matrix is small enough to read), in
      black or white by the cell's brightness.
    - ``mask`` is the boolean mask given to attention (True = may attend): the forbidden cells
      are drawn hatched light grey with no number, and a legend patch says "masked" (or
      ``mask_label``, e.g. "padding: output discarded"; ``mask_legend=False`` for none).
    - ``signed=True`` uses the diverging colour map centred on 0 (``diverging``); otherwise
      viridis. ``colorbar_label`` names what the colours mean (say "attention weight").
    - ``highlight`` (a colour) frames the axes, to point at one matrix among several.
    """
    m = np.asarray(matrix, dtype=float)
    if m.ndim == 1:
        m = m[None, :]
    if m.ndim != 2:
        raise ValueError(
            f"heatmap draws a 2-D matrix; got shape {m.shape}. Pick one head or batch item first"
        )
    for name, labels, size in (
        ("row_labels", row_labels, m.shape[0]),
        ("col_labels", col_labels, m.shape[1]),
    ):
        if labels is not None and len(labels) != size:
            what = name[:3]
            raise ValueError(
                f"{name} has {len(labels)} labels but the matrix has {size} {what}s; "
                f"give one label per {what}"
            )
    masked = _masked_cells(mask, m.shape) if mask is not None else np.zeros(m.shape, dtype=bool)
    shown = np.ma.masked_array(m, mask=masked | ~np.isfinite(m))
    if signed:
        scale = diverging(shown.compressed() if shown.count() else np.zeros(1))
        cmap = cmap or scale["cmap"]
        vmin = scale["vmin"] if vmin is None else vmin
        vmax = scale["vmax"] if vmax is None else vmax
    cmap = cmap or SEQUENTIAL_CMAP
    if ax is None:
        width = min(MAX_WIDTH_IN, 1.6 + 0.55 * m.shape[1] + (1.0 if colorbar else 0))
        height = min(7.0, 1.2 + 0.45 * m.shape[0] + (0.3 if masked.any() else 0))
        fig, ax = plt.subplots(figsize=(max(width, 3.0), max(height, 2.0)))
    else:
        fig = ax.figure
    im = ax.imshow(shown, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    tick_pt = FontProperties(size=mpl.rcParams["xtick.labelsize"]).get_size_in_points()
    _label_axes(ax, m, row_labels, col_labels, tick_pt)
    for spine in ax.spines.values():
        spine.set_visible(highlight is not None)
        if highlight is not None:
            spine.set_color(highlight)
            spine.set_linewidth(3)
    _draw_masked(ax, masked)
    if annotate and m.size <= 144:
        for (i, j), v in np.ndenumerate(m):
            if masked[i, j] or not np.isfinite(v):
                continue
            color = _text_color(im.cmap(im.norm(v)))
            ax.text(
                j,
                i,
                format(v, fmt),
                ha="center",
                va="center",
                fontsize=max(fontsize, MIN_FONT_PT),
                color=color,
                zorder=3,
            )
    if title:
        ax.set_title(title)
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    bar = None
    if colorbar:
        bar = fig.colorbar(im, ax=ax, shrink=0.85)
        bar.set_label(colorbar_label)
    if mask_legend and masked.any():
        _legend(
            bar.ax if bar is not None else ax, [masked_patch(mask_label)], below=bar is not None
        )
    return fig


def shared_colorbar(fig: plt.Figure, axes: Any, label: str, **kwargs: Any) -> Any:
    """One labelled colour bar for a grid of heatmaps drawn on one scale (the first image's).

    Draw the panels with ``colorbar=False`` and the same ``vmin``/``vmax``, then call this; the
    bar sits beside the last column instead of repeating in every panel.
    """
    flat = list(np.ravel(axes))
    images = [im for ax in flat for im in ax.images]
    if not images:
        raise ValueError("shared_colorbar needs axes that hold a heatmap (none has an image)")
    bar = fig.colorbar(images[0], ax=flat, shrink=kwargs.pop("shrink", 0.85), **kwargs)
    bar.set_label(label)
    return bar


def draw_mask(
    mask: Any,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    *,
    ax: plt.Axes | None = None,
    title: str | None = None,
    xlabel: str | None = "key (looked at)",
    ylabel: str | None = "query (looking)",
) -> plt.Figure:
    """Draw a boolean mask (True = may attend) in the course's mask style: allowed white,
    masked hatched grey, with a legend; return the figure."""
    allowed = np.asarray(mask)
    while allowed.ndim > 2 and allowed.shape[0] == 1:
        allowed = allowed[0]
    if allowed.ndim != 2:
        raise ValueError(f"draw_mask draws a 2-D mask; got shape {allowed.shape}")
    fig = heatmap(
        np.ones(allowed.shape),
        row_labels,
        col_labels,
        ax=ax,
        title=title,
        xlabel=xlabel,
        ylabel=ylabel,
        annotate=False,
        cmap=mpl.colors.ListedColormap(["white"]),
        colorbar=False,
        mask=allowed.astype(bool),
        mask_legend=False,
    )
    target = ax if ax is not None else fig.axes[0]
    for spine in target.spines.values():
        spine.set_visible(True)
        spine.set_color("#888888")
    handles = [Patch(facecolor="white", edgecolor="#888888", label="may attend"), masked_patch()]
    _legend(target, handles, below=False)
    return fig
