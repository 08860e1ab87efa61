"""Explorers for notebook 01: how far a gradient reaches, and what the bottleneck drops.

- ``make_distance_explorer``: a slider over the distance between token 1 and the last
  position; the gradient-norm curves (log scale) with a marker, and the shrink factor.
- ``make_length_explorer``: a slider over the string length; the encoder–decoder's
  answer for a few strings of that length, its wrong tokens marked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from course_utils.plotting import COLORS
from course_utils.toy_tasks import SequenceTask, to_text

__all__ = [
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


def _check_curves(distances: Sequence[int], curves: Mapping[str, Sequence[float]]) -> np.ndarray:
    distances = np.asarray(distances)
    if distances.ndim != 1 or distances.size < 2:
        raise ValueError(
            f"distances must be a list of at least two distances, got {distances.tolist()}"
        )
    if not curves:
        raise ValueError("curves is empty: give at least one {'name': gradient norms} entry")
    for name, norms in curves.items():
        if len(norms) != distances.size:
            raise ValueError(
                f"curve {name!r} has {len(norms)} values for {distances.size} distances"
            )
    return distances


def draw_gradient_curves(
    distances: Sequence[int], curves: Mapping[str, Sequence[float]], marker: int | None = None
) -> plt.Figure:
    """‖∂h_last/∂x_1‖ against distance on a log scale, one line per model; ``marker`` draws a vertical line."""
    distances = _check_curves(distances, curves)
    fig, ax = plt.subplots(figsize=(7, 4))
    for color, (name, norms) in zip(_PALETTE, curves.items(), strict=False):
        ax.semilogy(
            distances,
            np.maximum(np.asarray(norms, dtype=float), 1e-300),
            "o-",
            ms=3,
            color=color,
            label=name,
        )
    if marker is not None:
        ax.axvline(marker, color=COLORS["black"], lw=1, ls="--")
    ax.set_xlabel("distance from token 1 to the last position (steps)")
    ax.set_ylabel(r"gradient size $\|\partial h_\mathrm{last} / \partial x_1\|$ (log scale)")
    ax.set_title("How much of token 1 reaches the last state")
    ax.legend()
    return fig


def shrink_text(
    distances: Sequence[int], curves: Mapping[str, Sequence[float]], distance: int
) -> str:
    """HTML: for each model, how many times smaller the gradient is at ``distance`` than at the first distance."""
    distances = _check_curves(distances, curves)
    hits = np.flatnonzero(distances == distance)
    if hits.size == 0:
        raise ValueError(f"distance {distance} was not measured; measured: {distances.tolist()}")
    k = hits[0]
    parts = []
    for name, norms in curves.items():
        norms = np.asarray(norms, dtype=float)
        factor = norms[0] / norms[k] if norms[k] > 0 else np.inf
        parts.append(
            f"<b>{name}</b>: {norms[k]:.1e} ({factor:.2g}× smaller than at distance {distances[0]})"
        )
    return f"At distance <b>{distance}</b> — " + "; ".join(parts)


def make_distance_explorer(
    distances: Sequence[int], curves: Mapping[str, Sequence[float]], distance: int | None = None
):
    """A slider over the measured distances; returns ``(ui, state)``."""
    distances = _check_curves(distances, curves)
    distance = int(distances[-1]) if distance is None else distance
    state: dict = {
        "distance": widgets.SelectionSlider(
            options=[int(d) for d in distances], value=distance, description="distance"
        ),
        "text": widgets.HTML(),
        "output": widgets.Output(),
        "figure": None,
    }

    def update(_=None) -> None:
        k = state["distance"].value
        state["text"].value = shrink_text(distances, curves, k)
        if state["figure"] is not None:
            plt.close(state["figure"])
        state["figure"] = draw_gradient_curves(distances, curves, marker=k)
        with state["output"]:
            state["output"].clear_output(wait=True)
            display(state["figure"])

    state["distance"].observe(update, names="value")
    update()
    return widgets.VBox([state["distance"], state["text"], state["output"]]), state


def predictions_html(src, tgt, pred) -> str:
    """An HTML table of source, target and prediction strings; wrong predicted tokens in red."""
    src, tgt, pred = (np.atleast_2d(np.asarray(a)) for a in (src, tgt, pred))
    if not src.shape == tgt.shape == pred.shape:
        raise ValueError(
            f"src, tgt and pred must have the same shape; got {src.shape}, {tgt.shape}, {pred.shape}"
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
            f"<tr><td><code>{' '.join(to_text(s))}</code></td><td><code>{' '.join(to_text(t))}</code></td>"
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
    """A slider over string length; the model's greedy answers for ``n_examples`` strings. Returns ``(ui, state)``.

    ``length`` is the slider's first value (default: the shortest length); ``state["table"]``
    holds the HTML shown for it, so a notebook can display the same first state statically.
    """
    lengths = [int(n) for n in lengths]
    if not lengths:
        raise ValueError("lengths is empty: give the lengths the slider should offer")
    first = lengths[0] if length is None else length
    if first not in lengths:
        raise ValueError(f"length {first} is not one of the slider's lengths {lengths}")
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
            + f"<p>Tokens right at length {state['length'].value}: <b>{state['accuracy']:.0%}</b></p>"
        )

    state["length"].observe(update, names="value")
    update()
    return widgets.VBox([state["length"], state["table"]]), state
