"""A layer/head picker for the attention maps of a trained Transformer (notebook 06)."""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from course_utils import _validate as val
from course_utils.plotting import heatmap
from course_utils.widgets import show_figure

__all__ = ["as_head_maps", "describe_head", "make_head_picker"]


def as_head_maps(maps) -> list[np.ndarray]:
    """Per-layer attention maps for ONE input as a list of (h, n, n) arrays, or a helpful error.

    Accepts what ``TransformerEncoder.attention_maps()`` returns (tensors (B, h, n, n) with B = 1)
    or arrays (h, n, n).
    """
    return val.head_maps(maps)


def describe_head(weights) -> str:
    """In words, where one head looks: its most common offset (key − query) and the weight there.

    ``weights`` is ONE head's (n, n) map (rows sum to 1), e.g. ``maps[layer][head]``.
    """
    w = val.float_array(weights, "weights", ndim=2)  # (n, n)
    val.require(w.shape[0] == w.shape[1], f"weights must be one head's square (n, n) map; got "
                f"shape {w.shape}. Pick one head, e.g. maps[layer][head].")  # fmt: skip
    n = w.shape[0]
    best = w.argmax(axis=1)
    offsets = best - np.arange(n)
    values, counts = np.unique(offsets, return_counts=True)
    offset = int(values[counts.argmax()])
    rows = [i for i in range(n) if 0 <= i + offset < n]
    mean_w = float(np.mean([w[i, i + offset] for i in rows]))
    share = counts.max() / n
    if share < 0.5:
        return (
            f"no single offset dominates (the top offset {offset:+d} wins for only "
            f"{share:.0%} of the tokens)"
        )
    if mean_w < 0.4:
        return (
            f"attention is spread out (its favourite offset {offset:+d} gets only "
            f"{mean_w:.2f} on average)"
        )
    where = {0: "itself", -1: "the token to its left", 1: "the token to its right"}.get(
        offset, f"the token {abs(offset)} to its {'left' if offset < 0 else 'right'}"
    )
    return f"each token looks mostly at {where} (offset {offset:+d}, mean weight {mean_w:.2f})"


def make_head_picker(
    maps, tokens: Sequence[str], title: str = "", layer: int = 0, head: int = 0
) -> tuple[widgets.Widget, dict]:
    """Pick a layer and a head; see that head's attention map with token labels and a caption.

    ``maps``: per-layer attention weights for one input (see ``as_head_maps``); ``tokens``: one
    label per position; ``layer``/``head`` (counted from 0): what it shows first.
    Returns ``(ui, state)``; ``state["shown"]`` holds what is drawn.
    """
    layers, tokens, title = val.head_picker(maps, tokens, title)
    n_heads, n, _ = layers[0].shape
    first_layer, first_head = (
        val.picked(layer, "layer", len(layers)),
        val.picked(head, "head", n_heads),
    )
    layer = widgets.ToggleButtons(
        options=[(f"layer {i + 1}", i) for i in range(len(layers))],
        value=first_layer,
        description="Layer",
        style={"button_width": "70px"},
    )
    head = widgets.ToggleButtons(
        options=[(f"head {i + 1}", i) for i in range(n_heads)],
        value=first_head,
        description="Head",
        style={"button_width": "70px"},
    )
    caption = widgets.HTML()
    output = widgets.Output()
    state: dict = {"layer": layer, "head": head, "caption": caption, "output": output, "shown": {}}

    def update(*_) -> None:
        """Redraw the chosen head's map."""
        w = layers[layer.value][head.value]
        text = describe_head(w)
        state["shown"] = {
            "layer": layer.value,
            "head": head.value,
            "weights": w,
            "description": text,
        }
        caption.value = f"<b>Layer {layer.value + 1}, head {head.value + 1}</b>: {text}"
        fig, ax = plt.subplots(figsize=(6.4, 5.2), layout="none")  # no layout engine: ~60 ms faster
        fig.subplots_adjust(left=0.14, right=0.95, bottom=0.14, top=0.92)
        heatmap(
            w,
            tokens,
            tokens,
            ax=ax,
            annotate=n <= 10,
            vmin=0,
            vmax=1,
            xlabel="key (looked at)",
            ylabel="query (looking)",
            colorbar_label="attention weight",
            title=f"{title}layer {layer.value + 1}, head {head.value + 1}",
        )
        show_figure(output, fig, alt=f"Attention map of layer {layer.value + 1}, head "
                    f"{head.value + 1}: {text}.")  # fmt: skip

    layer.observe(update, names="value")
    head.observe(update, names="value")
    update()
    controls = [head] if len(layers) == 1 else [layer, head]
    return widgets.VBox([*controls, caption, output]), state
