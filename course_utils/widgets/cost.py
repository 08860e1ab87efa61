"""The n/d explorer of notebook 07: where a Transformer layer's FLOPs go, and what one score matrix weighs."""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from course_utils.bench import layer_flops, score_matrix_bytes
from course_utils.plotting import COLORS

__all__ = ["N_OPTIONS", "D_OPTIONS", "cost_summary", "make_cost_explorer", "plot_layer_cost"]

N_OPTIONS = [2**k for k in range(7, 18)]  # 128 … 131072 tokens
D_OPTIONS = [64, 128, 256, 512, 768, 1024, 2048, 4096]
BYTES = {"fp32": 4, "fp16": 2}


def _human_bytes(b: float) -> str:
    """Bytes in the largest unit that keeps the number ≥ 1 (binary units: KiB, MiB, GiB)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if b < 1024 or unit == "TiB":
            return f"{b:.3g} {unit}" if unit != "B" else f"{b:.0f} B"
        b /= 1024
    return f"{b:.3g} TiB"  # pragma: no cover - the loop always returns


def attention_share(n: int, d_model: int) -> float:
    """Fraction of one layer's FLOPs spent in the n²·d part (Q·Kᵀ and weights·V)."""
    f = layer_flops(n, d_model)
    return f["attention"] / sum(f.values())


def cost_summary(n: int, d_model: int, heads: int = 8, precision: str = "fp16") -> str:
    """An HTML summary of one layer at (n, d_model): FLOPs by part and the score matrices' bytes."""
    if precision not in BYTES:
        raise ValueError(f"precision must be one of {sorted(BYTES)}, got {precision!r}")
    f = layer_flops(n, d_model)
    one = score_matrix_bytes(n, BYTES[precision])
    all_heads = score_matrix_bytes(n, BYTES[precision], heads=heads)
    return (
        f"<b>n = {n:,} tokens, d_model = {d_model}</b><br>"
        f"n²·d part (Q·Kᵀ, weights·V): {f['attention'] / 1e9:,.1f} GFLOP<br>"
        f"n·d² part (4 projections + FFN): {(f['projections'] + f['ffn']) / 1e9:,.1f} GFLOP<br>"
        f"share of the layer in the n² part: <b>{attention_share(n, d_model):.0%}</b><br>"
        f"one score matrix ({precision}): {_human_bytes(one)} per head per layer; "
        f"all {heads} heads: {_human_bytes(all_heads)}"
    )


def plot_layer_cost(n: int, d_model: int, ax: plt.Axes | None = None) -> plt.Figure:
    """Log–log FLOPs of one layer vs sequence length: the n² part, the n·d² part, and where they cross."""
    layer_flops(n, d_model)  # validates n and d_model
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 4.0))
    else:
        fig = ax.figure
    ns = np.array(N_OPTIONS, dtype=float)
    quad = 4 * ns**2 * d_model
    lin = 24 * ns * d_model**2  # 8·n·d² projections + 16·n·d² FFN (d_ff = 4d)
    ax.loglog(ns, quad, color=COLORS["vermillion"], label="n²·d part: Q·Kᵀ and weights·V")
    ax.loglog(ns, lin, color=COLORS["blue"], label="n·d² part: projections + FFN")
    ax.loglog(ns, quad + lin, color=COLORS["black"], ls="--", lw=1, label="whole layer")
    ax.axvline(6 * d_model, color="grey", lw=1, ls=":")
    ax.text(6 * d_model, ax.get_ylim()[0] * 3, " parts equal: n = 6·d", color="grey", fontsize=9)
    ax.axvline(n, color=COLORS["green"], lw=2, alpha=0.6, label=f"chosen n = {n:,}")
    ax.set_xlabel("sequence length n (tokens)")
    ax.set_ylabel("FLOPs per layer")
    share = attention_share(n, d_model)
    ax.set_title(f"n = {n:,}, d = {d_model}: {share:.0%} of the layer is the n² part")
    ax.legend(fontsize=9, loc="upper left")
    return fig


def make_cost_explorer(n: int = 4096, d_model: int = 512, heads: int = 8) -> tuple[widgets.Widget, dict]:
    """Sliders for n, d_model, heads and precision; returns ``(ui, state)`` (see the widgets package)."""
    if n not in N_OPTIONS:
        raise ValueError(f"n must be one of {N_OPTIONS}, got {n!r}")
    if d_model not in D_OPTIONS:
        raise ValueError(f"d_model must be one of {D_OPTIONS}, got {d_model!r}")
    n_slider = widgets.SelectionSlider(options=N_OPTIONS, value=n, description="n (tokens)")
    d_slider = widgets.SelectionSlider(options=D_OPTIONS, value=d_model, description="d_model")
    heads_slider = widgets.IntSlider(value=heads, min=1, max=64, description="heads")
    precision = widgets.ToggleButtons(options=list(BYTES), value="fp16", description="precision")
    summary = widgets.HTML()
    plot = widgets.Output()
    state = {"n": n_slider, "d_model": d_slider, "heads": heads_slider, "precision": precision,
             "summary": summary, "plot": plot, "share": None}

    def update(_change=None) -> None:
        """Redraw the summary and the plot for the current slider values."""
        n_, d_ = n_slider.value, d_slider.value
        state["share"] = attention_share(n_, d_)
        summary.value = cost_summary(n_, d_, heads_slider.value, precision.value)
        with plot:
            plot.clear_output(wait=True)
            fig = plot_layer_cost(n_, d_)
            display(fig)
            plt.close(fig)

    for control in (n_slider, d_slider, heads_slider, precision):
        control.observe(update, names="value")
    update()
    ui = widgets.VBox([widgets.HBox([widgets.VBox([n_slider, d_slider, heads_slider, precision]), summary]), plot])
    return ui, state
