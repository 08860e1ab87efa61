"""The course's figure style and a labelled heatmap for attention matrices."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

__all__ = ["COLORS", "heatmap", "use_course_style"]

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


def use_course_style() -> None:
    """One look for every figure: readable fonts, colorblind-safe colours, PNG output."""
    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 4.0),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "font.size": 11,
            "axes.titlesize": 12,
            "axes.titleweight": "bold",
            "axes.labelsize": 11,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": False,
            "axes.prop_cycle": mpl.cycler(color=list(COLORS.values())),
            "image.cmap": "viridis",
            "legend.frameon": False,
            "figure.constrained_layout.use": True,
        }
    )
    try:  # keep inline figures PNG (SVG embeds ids and dates that break nbval)
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png")
    except ImportError:  # pragma: no cover - outside IPython
        pass


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
    cmap: str = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
    colorbar: bool = True,
    highlight: str | None = None,
) -> plt.Figure:
    """Draw a matrix with token labels on its rows and columns; return the figure.

    ``annotate`` writes each value in its cell (when the matrix is small enough to read);
    ``highlight`` (a colour) frames the axes, to point at one matrix among several.
    """
    m = np.asarray(matrix, dtype=float)
    if m.ndim == 1:
        m = m[None, :]
    if m.ndim != 2:
        raise ValueError(f"heatmap draws a 2-D matrix; got shape {m.shape}. Pick one head or batch item first")
    for name, labels, size in (("row_labels", row_labels, m.shape[0]), ("col_labels", col_labels, m.shape[1])):
        if labels is not None and len(labels) != size:
            raise ValueError(f"{name} has {len(labels)} labels but the matrix has {size} {name[:3]}s; give one label per {name[:3]}")
    if ax is None:
        width = min(9.0, 1.6 + 0.55 * m.shape[1] + (1.0 if colorbar else 0))
        height = min(7.0, 1.2 + 0.45 * m.shape[0])
        fig, ax = plt.subplots(figsize=(max(width, 3.0), max(height, 2.0)))
    else:
        fig = ax.figure
    im = ax.imshow(m, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    ax.set_xticks(range(m.shape[1]), labels=col_labels if col_labels is not None else range(m.shape[1]))
    ax.set_yticks(range(m.shape[0]), labels=row_labels if row_labels is not None else range(m.shape[0]))
    if col_labels is not None and max((len(str(c)) for c in col_labels), default=0) > 4:
        ax.tick_params(axis="x", labelrotation=45)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(highlight is not None)
        if highlight is not None:
            spine.set_color(highlight)
            spine.set_linewidth(3)
    if annotate and m.size <= 144:
        lo, hi = im.get_clim()
        mid = (lo + hi) / 2
        for (i, j), v in np.ndenumerate(m):
            ax.text(j, i, format(v, fmt), ha="center", va="center", fontsize=9,
                    color="black" if v > mid else "white")
    if title:
        ax.set_title(title)
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    if colorbar:
        fig.colorbar(im, ax=ax, shrink=0.85)
    return fig
