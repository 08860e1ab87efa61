"""Explorers for notebook 01: how far a gradient reaches, and what the bottleneck drops.

- ``make_distance_explorer``: a slider over the distance between token 1 and the last
  position; the gradient-norm curves (log scale) with a marker, and beside them, on a fixed
  log axis, how much of the gradient each model keeps at that distance.
- ``make_length_explorer``: a slider over the string length; the encoder–decoder's
  answer for a few strings of that length, its wrong tokens marked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch, Rectangle
from matplotlib.ticker import LogLocator, NullLocator

from course_utils._validate import (
    float_array,
    gradient_curves,
    length_explorer_args,
    one_distance,
    positive_float,
    require,
)
from course_utils.plotting import COLORS
from course_utils.toy_tasks import SequenceTask, to_text
from course_utils.widgets import show_figure

__all__ = [
    "distance_alt",
    "draw_distance_reading",
    "draw_encoder_decoder",
    "draw_gradient_curves",
    "make_distance_explorer",
    "make_length_explorer",
    "predictions_html",
    "shrink_text",
]

_PALETTE = [
    COLORS["vermillion"],
    COLORS["blue"],
    COLORS["green"],
    COLORS["purple"],
    COLORS["orange"],
]


def _tokens(x, name: str) -> np.ndarray:
    """Token ids (one string or a batch of them) as a 2-D integer array."""
    arr = float_array(x, name, ndim=(1, 2))
    require(np.all(arr == np.round(arr)), f"{name} must hold whole-number token ids.")
    return np.atleast_2d(arr.astype(int))


_MARKERS = ["o", "s", "^", "D", "v"]


def _few_log_ticks(axis, n: int = 6) -> None:
    """At most ``n`` labelled decades and no minor ticks: readable, and quick to redraw."""
    axis.set_major_locator(LogLocator(base=10, numticks=n))
    axis.set_minor_locator(NullLocator())


def draw_gradient_curves(
    distances: Sequence[int],
    curves: Mapping[str, Sequence[float]],
    marker: int | None = None,
    ax: plt.Axes | None = None,
) -> plt.Figure:
    """‖∂h_last/∂x_1‖ against distance on a log scale, one line (and marker shape) per model."""
    distances, curves = gradient_curves(distances, curves)
    marker = None if marker is None else positive_float(marker, "marker", allow_zero=True)
    fig, ax = plt.subplots(figsize=(7, 4)) if ax is None else (ax.figure, ax)
    for k, (name, norms) in enumerate(curves.items()):
        ax.semilogy(
            distances,
            np.maximum(np.asarray(norms, dtype=float), 1e-300),
            marker=_MARKERS[k % len(_MARKERS)],
            ms=4,
            color=_PALETTE[k % len(_PALETTE)],
            label=name,
        )
    if marker is not None:
        ax.axvline(marker, color=COLORS["black"], lw=1, ls="--")
    _few_log_ticks(ax.yaxis)
    ax.set_xlabel("distance from token 1 to the last position (steps)")
    ax.set_ylabel(r"gradient size $\|\partial h_\mathrm{last} / \partial x_1\|$ (log scale)")
    ax.set_title("How much of token 1 reaches the last state")
    ax.legend(fontsize=9)
    return fig


def _shrink(distances: np.ndarray, curves: Mapping[str, Sequence[float]], distance: int):
    """For each model: (gradient size at ``distance``, how many times smaller than at the first)."""
    k = np.flatnonzero(distances == one_distance(distance, distances))[0]
    out = {}
    for name, norms in curves.items():
        norms = np.asarray(norms, dtype=float)
        out[name] = (norms[k], norms[0] / norms[k] if norms[k] > 0 else np.inf)
    return out


def shrink_text(
    distances: Sequence[int], curves: Mapping[str, Sequence[float]], distance: int
) -> str:
    """HTML: for each model, how many times smaller the gradient is at ``distance`` than first."""
    distances, curves = gradient_curves(distances, curves)
    parts = [
        f"<b>{name}</b>: {size:.1e} ({factor:.2g}× smaller than at distance {distances[0]})"
        for name, (size, factor) in _shrink(distances, curves, distance).items()
    ]
    return f"At distance <b>{distance}</b> — " + "; ".join(parts)


def draw_distance_reading(
    distances: Sequence[int], curves: Mapping[str, Sequence[float]], distance: int
) -> plt.Figure:
    """The explorer's figure: the curves with the chosen distance marked, and what is left there.

    Right panel: one bar per model on a fixed log axis (the same at every distance, so the
    bars visibly shrink as the distance grows), labelled with the size and the shrink factor.
    """
    distances, curves = gradient_curves(distances, curves)
    fig, parts = _distance_figure(distances, curves)
    _mark_distance(parts, distances, curves, distance)
    return fig


def _distance_figure(distances: np.ndarray, curves: dict) -> tuple[plt.Figure, dict]:
    """The explorer's figure without a distance chosen, and the artists a new distance moves."""
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(10.5, 4), gridspec_kw={"width_ratios": [1.25, 1]}
    )
    draw_gradient_curves(distances, curves, ax=left)
    line = left.axvline(distances[-1], color=COLORS["black"], lw=1, ls="--")
    every = np.concatenate(list(curves.values()))
    every = every[every > 0]
    lo, hi = 10 ** np.floor(np.log10(every.min())), 10 ** np.ceil(np.log10(every.max()) + 0.3)
    names = list(curves)
    bars = [
        right.barh(k, lo, left=lo, color=_PALETTE[k % len(_PALETTE)], height=0.6)[0]
        for k in range(len(names))
    ]
    texts = [right.text(lo, k, "", va="center", fontsize=9) for k in range(len(names))]
    right.set_xscale("log")
    right.set_xlim(lo, hi * 1e6)  # room for the labels right of the longest bar
    _few_log_ticks(right.xaxis)
    right.set_yticks(range(len(names)), labels=names, fontsize=9)
    right.invert_yaxis()
    right.set_xlabel("gradient size left at this distance (log scale, fixed axis)")
    return fig, {"left": left, "right": right, "line": line, "bars": bars, "texts": texts, "lo": lo}


def _mark_distance(parts: dict, distances: np.ndarray, curves: dict, distance: int) -> None:
    """Move the figure to ``distance``: the dashed line, every bar and its label, the titles."""
    reading = _shrink(distances, curves, distance)
    parts["line"].set_xdata([distance, distance])
    for bar, text, (left_, factor) in zip(
        parts["bars"], parts["texts"], reading.values(), strict=True
    ):
        bar.set_width(max(left_, parts["lo"]))
        text.set_x(max(left_, parts["lo"]) * 4)
        text.set_text(f"{left_:.0e}  ({factor:.1g}× smaller)")
    parts["left"].set_title(f"The curves, at distance {distance}")
    parts["right"].set_title(f"What is left of token 1 after {distance} steps")


def make_distance_explorer(
    distances: Sequence[int], curves: Mapping[str, Sequence[float]], distance: int | None = None
):
    """A slider over the measured distances; returns ``(ui, state)``.

    ``state["figure"]`` is the figure at the current distance (the same as
    ``draw_distance_reading`` draws), so a notebook can show the first state statically. The
    figure is drawn once; moving the slider only moves its line, bars and labels.
    """
    distances, curves = gradient_curves(distances, curves)
    distance = int(distances[-1]) if distance is None else distance
    _shrink(distances, curves, distance)  # a distance that was not measured fails here
    fig, parts = _distance_figure(distances, curves)
    state: dict = {
        "distance": widgets.SelectionSlider(
            options=[int(d) for d in distances], value=distance, description="distance"
        ),
        "text": widgets.HTML(),
        "output": widgets.Output(),
        "figure": fig,
        "alt": "",
    }

    def update(_=None) -> None:
        k = state["distance"].value
        state["text"].value = shrink_text(distances, curves, k)
        _mark_distance(parts, distances, curves, k)
        state["alt"] = distance_alt(distances, curves, k)
        show_figure(state["output"], fig, alt=state["alt"])

    state["distance"].observe(update, names="value")
    update()
    return widgets.VBox([state["distance"], state["text"], state["output"]]), state


def distance_alt(distances, curves: Mapping[str, Sequence[float]], distance: int) -> str:
    """The explorer figure's one-sentence finding, for screen readers and exports."""
    distances, curves = gradient_curves(distances, curves)
    reading = _shrink(distances, curves, distance)
    worst = max(reading, key=lambda name: reading[name][1])
    best = min(reading, key=lambda name: reading[name][1])
    return (
        f"After {distance} steps, '{worst}' keeps {reading[worst][0]:.0e} of token 1's gradient "
        f"({reading[worst][1]:.1g}× less than at distance {int(distances[0])}), while "
        f"'{best}' loses least: {reading[best][1]:.2g}×."
    )


def predictions_html(src, tgt, pred) -> str:
    """An HTML table of source, target and prediction strings; wrong predicted tokens in red."""
    src, tgt, pred = (_tokens(a, n) for a, n in ((src, "src"), (tgt, "tgt"), (pred, "pred")))
    if not src.shape == tgt.shape == pred.shape:
        raise ValueError(
            "src, tgt and pred must have the same shape; got "
            f"{src.shape}, {tgt.shape}, {pred.shape}"
        )
    rows = ["<tr><th>input</th><th>correct output</th><th>model's output</th><th>right</th></tr>"]
    for s, t, p in zip(src, tgt, pred, strict=True):
        marked = " ".join(
            str(int(b))
            if a == b
            else f'<span style="color:{COLORS["vermillion"]};font-weight:bold">{int(b)}</span>'
            for a, b in zip(t, p, strict=True)
        )
        rows.append(
            f"<tr><td><code>{' '.join(to_text(s))}</code></td>"
            f"<td><code>{' '.join(to_text(t))}</code></td>"
            f"<td><code>{marked}</code></td><td>{int((t == p).sum())}/{len(t)}</td></tr>"
        )
    return "<table>" + "".join(rows) + "</table>"


def make_length_explorer(
    model,
    task: SequenceTask,
    lengths: Sequence[int],
    n_examples: int = 4,
    seed: int = 99,
    length: int | None = None,
):
    """A slider over string length; the greedy answers for ``n_examples`` strings: ``(ui, state)``.

    ``length`` is the slider's first value (default: the shortest length); ``state["table"]``
    holds the HTML shown for it, so a notebook can display the same first state statically.
    """
    lengths, n_examples, seed, first = length_explorer_args(
        model, task, lengths, n_examples, seed, length
    )
    cache: dict[int, tuple] = {}

    def answers(length: int):
        if length not in cache:
            src, tgt = SequenceTask(task.name, task.n_symbols, 1, length, seed).batch(
                n_examples, length
            )
            pred, _ = model.greedy(src, task.bos)
            cache[length] = (src.numpy(), tgt.numpy(), pred.numpy())
        return cache[length]

    state: dict = {
        "length": widgets.SelectionSlider(options=lengths, value=first, description="length"),
        "table": widgets.HTML(),
        "accuracy": None,
    }

    def update(_=None) -> None:
        src, tgt, pred = answers(state["length"].value)
        state["accuracy"] = float((tgt == pred).mean())
        state["table"].value = (
            predictions_html(src, tgt, pred)
            + f"<p>Tokens right at length {state['length'].value} ({n_examples} strings): "
            f"<b>{state['accuracy']:.0%}</b></p>"
        )

    state["length"].observe(update, names="value")
    update()
    return widgets.VBox([state["length"], state["table"]]), state


def _box(
    ax, x, y, text, *, w=0.8, h=0.5, color="#dddddd", edge=COLORS["black"], size=10, bold=False
):
    """A labelled box centred on (x, y) in data coordinates."""
    ax.add_patch(
        Rectangle((x - w / 2, y - h / 2), w, h, facecolor=color, edgecolor=edge, lw=1.2, zorder=2)
    )
    ax.text(
        x,
        y,
        text,
        ha="center",
        va="center",
        fontsize=size,
        zorder=3,
        fontweight="bold" if bold else "normal",
    )


def _arrow(ax, start, end, color=COLORS["black"], lw=1.2, style="-|>"):
    ax.add_patch(
        FancyArrowPatch(
            start, end, arrowstyle=style, mutation_scale=10, color=color, lw=lw, zorder=1
        )
    )


def draw_encoder_decoder(source=("3", "1", "4", "1", "5")) -> plt.Figure:
    """Notebook 01's model as a diagram: two encoder GRUs, one fixed vector c, the decoder.

    Every decoder step gets the same c (vermillion arrows): the bottleneck.
    """
    source = [str(t) for t in source]
    n = len(source)
    target = source[::-1]
    fig, ax = plt.subplots(figsize=(10.5, 3.4))
    xs = np.arange(n) * 1.1
    for x, token in zip(xs, source, strict=True):  # the input digits
        ax.text(x, 0, token, ha="center", va="center", fontsize=12, fontweight="bold")
        _arrow(ax, (x, 0.2), (x, 0.7))
        _box(ax, x, 1.0, "→", color=COLORS["sky"])  # forward GRU
        _box(ax, x, 1.7, "←", color="#bde0f5")  # backward GRU
        _arrow(ax, (x, 1.25), (x, 1.45), style="-")
    for a, b in zip(xs[:-1], xs[1:], strict=True):
        _arrow(ax, (a + 0.4, 1.0), (b - 0.4, 1.0))
        _arrow(ax, (b - 0.4, 1.7), (a + 0.4, 1.7))
    ax.text(xs[0] - 0.9, 1.0, "forward\nGRU", ha="right", va="center", fontsize=9)
    ax.text(xs[0] - 0.9, 1.7, "backward\nGRU", ha="right", va="center", fontsize=9)
    cx, cy = xs[-1] + 2.0, 1.35
    _box(ax, cx, cy, "c: 64\nnumbers", w=1.5, h=0.9, color=COLORS["vermillion"], size=10, bold=True)
    _arrow(ax, (xs[-1] + 0.4, 1.0), (cx - 0.75, cy - 0.2))  # final forward state
    ax.plot([xs[0], xs[0], cx], [1.95, 2.3, 2.3], color=COLORS["black"], lw=1.2)
    _arrow(ax, (cx, 2.3), (cx, cy + 0.45))  # final backward state (it read digit 1 last)
    dx = cx + 1.9 + np.arange(n) * 1.1  # the decoder steps
    for k, (x, token) in enumerate(zip(dx, target, strict=True)):
        _box(ax, x, 1.35, f"s{k + 1}", color="#f6d3bd")
        _arrow(ax, (x, 1.6), (x, 2.15))
        ax.text(x, 2.35, token, ha="center", va="center", fontsize=12, fontweight="bold")
        _arrow(ax, (cx + 0.5, 0.7), (x, 1.1), color=COLORS["vermillion"], lw=1.6)  # c again
        if k:
            _arrow(ax, (dx[k - 1] + 0.4, 1.35), (x - 0.4, 1.35))
    ax.plot([cx + 0.5, cx + 0.5], [cy - 0.45, 0.7], color=COLORS["vermillion"], lw=1.6)
    ax.text(np.mean(xs), -0.55, "encoder: reads the digits", ha="center", fontsize=10)
    ax.text(np.mean(dx), -0.55, "decoder: writes them reversed", ha="center", fontsize=10)
    ax.text(
        np.mean(dx),
        0.45,
        "the same c at every step",
        ha="center",
        fontsize=9,
        color=COLORS["vermillion"],
    )
    ax.set_xlim(xs[0] - 2.0, dx[-1] + 0.8)
    ax.set_ylim(-0.8, 2.7)
    ax.axis("off")
    ax.set_title("Notebook 01's encoder–decoder: the whole input must pass through one vector c")
    return fig
