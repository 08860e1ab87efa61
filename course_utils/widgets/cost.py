"""Notebook 07's figures and explorer: where a layer's FLOPs go, what its score matrices weigh,
and how tiled attention walks through the keys."""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from course_utils import _validate as val
from course_utils.cost import layer_flops, score_matrix_bytes, tiled_attention
from course_utils.plotting import COLORS
from course_utils.widgets import show_figure

__all__ = [
    "D_OPTIONS",
    "N_OPTIONS",
    "cost_alt",
    "cost_summary",
    "make_cost_explorer",
    "online_softmax_steps",
    "plot_cost",
    "plot_layer_cost",
    "plot_memory",
    "plot_tiling",
]

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


MAX_N, MAX_D = 2**30, 2**20  # far beyond any model, well inside a float


def _size(value, name: str, limit: int) -> int:
    """A positive whole number up to ``limit`` (the figures' axes end there)."""
    value = val.positive_int(value, name)
    val.require(value <= limit, f"{name} must be at most {limit:,} here; got {value:,}")
    return value


def attention_share(n: int, d_model: int) -> float:
    """Fraction of one layer's FLOPs spent in the n²·d part (Q·Kᵀ and weights·V)."""
    f = layer_flops(n, d_model)
    return f["attention"] / sum(f.values())


def cost_summary(n: int, d_model: int, heads: int = 8, precision: str = "fp16") -> str:
    """An HTML summary of one layer at (n, d_model): FLOPs by part and the score matrices' bytes."""
    precision = val.one_of(precision, "precision", list(BYTES))
    n, d_model = _size(n, "n", MAX_N), _size(d_model, "d_model", MAX_D)
    heads = _size(heads, "heads", 1024)
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
    """Log–log FLOPs of one layer vs n: the n² part, the n·d² part, and where they cross."""
    n, d_model = _size(n, "n", N_OPTIONS[-1]), _size(d_model, "d_model", D_OPTIONS[-1])
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
    _few_ticks(ax)
    ax.set_xlabel("sequence length n (tokens)")
    ax.set_ylabel("FLOPs per layer")
    share = attention_share(n, d_model)
    ax.set_title(f"n = {n:,}, d = {d_model}: {share:.0%} of the layer is the n² part")
    ax.legend(fontsize=9, loc="upper left")
    return fig


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _power_label(base: int):
    """A tick formatter writing 10¹³ or 2¹⁷ in plain text (mathtext would be parsed per redraw)."""

    def label(value: float, _pos=None) -> str:
        if value <= 0:
            return ""
        exponent = round(np.log(value) / np.log(base))
        return f"{base}{str(exponent).translate(_SUPERSCRIPT)}"

    return FuncFormatter(label)


def _few_ticks(ax: plt.Axes) -> None:
    """Major ticks only, labelled in plain text: log axes over many decades redraw fast."""
    ax.xaxis.set_major_locator(LogLocator(base=2, numticks=7))
    ax.xaxis.set_major_formatter(_power_label(2))
    ax.yaxis.set_major_locator(LogLocator(base=10, numticks=6))
    ax.yaxis.set_major_formatter(_power_label(10))
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_minor_locator(NullLocator())


GPU_BYTES = 80 * 2**30  # a large GPU's memory, the line on the memory panel


def plot_memory(n: int, heads: int = 8, precision: str = "fp16", ax: plt.Axes | None = None):
    """Log–log bytes of the score matrices of one layer vs n, against an 80 GiB GPU."""
    n, heads = _size(n, "n", N_OPTIONS[-1]), _size(heads, "heads", 1024)
    precision = val.one_of(precision, "precision", list(BYTES))
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.2, 4.0))
    else:
        fig = ax.figure
    ns = np.array(N_OPTIONS, dtype=float)
    bpv = BYTES[precision]
    ax.loglog(ns, ns**2 * bpv / 2**30, color=COLORS["orange"], label=f"one head, {precision}")
    ax.loglog(
        ns,
        ns**2 * bpv * heads / 2**30,
        color=COLORS["vermillion"],
        label=f"all {heads} heads of a layer",
    )
    ax.axhline(GPU_BYTES / 2**30, color="grey", ls=":", lw=1.5)
    ax.text(ns[0], GPU_BYTES / 2**30 * 1.3, "80 GiB GPU", color="grey", fontsize=9)
    ax.axvline(n, color=COLORS["green"], lw=2, alpha=0.6)
    ax.set_xscale("log", base=2)
    ax.set_ylim(1e-4, 1e4)
    _few_ticks(ax)
    ax.set_xlabel("sequence length n (tokens)")
    ax.set_ylabel("score matrices (GiB)")
    layer = score_matrix_bytes(n, bpv, heads=heads)
    ax.set_title(f"{_human_bytes(layer)} for {heads} heads at n = {n:,}")
    ax.legend(fontsize=9, loc="upper left")
    return fig


def plot_cost(n: int, d_model: int, heads: int = 8, precision: str = "fp16") -> plt.Figure:
    """The explorer's figure: FLOPs of one layer by part, and the bytes of its score matrices."""
    fig, (ax_f, ax_m) = plt.subplots(1, 2, figsize=(10.8, 4.0), width_ratios=[1.15, 1])
    plot_layer_cost(n, d_model, ax=ax_f)
    plot_memory(n, heads, precision, ax=ax_m)
    return fig


def cost_alt(n: int, d_model: int, heads: int = 8, precision: str = "fp16") -> str:
    """The explorer figure's one-sentence finding (its alt text)."""
    precision = val.one_of(precision, "precision", list(BYTES))
    n, d_model = _size(n, "n", MAX_N), _size(d_model, "d_model", MAX_D)
    heads = _size(heads, "heads", 1024)
    layer = score_matrix_bytes(n, BYTES[precision], heads=heads)
    return (
        f"At n = {n:,} and d = {d_model}, {attention_share(n, d_model):.0%} of a layer's FLOPs "
        f"are the n² part, and the {heads} heads' {precision} score matrices take "
        f"{_human_bytes(layer)}."
    )


def make_cost_explorer(
    n: int = 4096, d_model: int = 512, heads: int = 8
) -> tuple[widgets.Widget, dict]:
    """Sliders for n, d_model, heads and precision; returns ``(ui, state)`` (see ``widgets``)."""
    n = val.one_of(n, "n", N_OPTIONS)
    d_model = val.one_of(d_model, "d_model", D_OPTIONS)
    heads = _size(heads, "heads", 64)
    controls = {  # in the order of the arguments of cost_summary, plot_cost and cost_alt
        "n": widgets.SelectionSlider(options=N_OPTIONS, value=n, description="n (tokens)"),
        "d_model": widgets.SelectionSlider(options=D_OPTIONS, value=d_model, description="d_model"),
        "heads": widgets.IntSlider(value=heads, min=1, max=64, description="heads"),
        "precision": widgets.ToggleButtons(
            options=list(BYTES), value="fp16", description="precision"
        ),
    }
    summary, plot = widgets.HTML(), widgets.Output()
    state = {**controls, "summary": summary, "plot": plot, "share": None}

    def update(_change=None) -> None:
        """Redraw the summary and both panels for the current control values."""
        args = [control.value for control in controls.values()]
        state["share"] = attention_share(*args[:2])
        summary.value = cost_summary(*args)
        show_figure(plot, plot_cost(*args), alt=cost_alt(*args))

    for control in controls.values():
        control.observe(update, names="value")
    update()
    sliders = widgets.VBox(list(controls.values()))
    return widgets.VBox([widgets.HBox([sliders, summary]), plot]), state


# The example row of the tiling diagram: 12 scores of one query, 3 blocks of 4 keys. The
# maximum rises in block 2 (so the sums of block 1 are rescaled) and not in block 3.
TILING_SCORES = np.array([0.5, 1.2, -0.3, 0.8, 2.1, 0.1, 2.6, -1.0, 1.9, 0.4, -0.6, 1.1])


def online_softmax_steps(scores, block: int) -> list[dict[str, float]]:
    """The running m and l of one query row after each block, with the correction applied:
    ``cost.tiled_attention``'s own trace, for a query whose scores are ``scores``."""
    scores, block = val.float_array(scores, "scores", ndim=1), val.positive_int(block, "block")
    keys = torch.as_tensor(scores, dtype=torch.float64)[:, None]  # (n, 1): q·k_j = scores[j]
    one = torch.ones(1, 1, dtype=torch.float64)  # the query (d_k = 1, so no scaling)
    trace: list = []
    tiled_attention(one, keys, torch.ones_like(keys), block, trace=trace)
    return [{k: v if k == "start" else v.item() for k, v in step.items()} for step in trace]


def plot_tiling(n: int = 12, block: int = 4, query: int = 5) -> plt.Figure:
    """The tiling diagram of notebook 07 §5: the n×n score matrix cut into key blocks, one query
    row streaming through them, and its running m and l after each block, corrections marked."""
    n, block, query = (
        _size(n, "n", 48),
        _size(block, "block", 48),
        val.non_negative_int(query, "query"),
    )
    val.require(query < n, f"query must be one of the n = {n} rows (0 … {n - 1}); got {query}")
    blocks = -(-n // block)
    scores = TILING_SCORES[:n] if n <= len(TILING_SCORES) else np.resize(TILING_SCORES, n)
    steps = online_softmax_steps(scores, block)
    fig, (ax_m, ax_t) = plt.subplots(1, 2, figsize=(10.5, 4.2), width_ratios=[1, 1.5])
    shades = [COLORS["sky"], COLORS["orange"], COLORS["green"], COLORS["purple"]]
    for b in range(blocks):  # the key blocks: columns of the (never stored) score matrix
        ax_m.add_patch(
            plt.Rectangle((b * block, 0), block, n, color=shades[b % 4], alpha=0.18, lw=0)
        )
        ax_m.text(
            b * block + block / 2, -0.5, f"key block {b + 1}", ha="center", va="bottom", fontsize=9
        )
    for b in range(blocks):  # the one slice that exists at a time: this query row × one block
        ax_m.add_patch(
            plt.Rectangle((b * block, query), block, 1, color=shades[b % 4], alpha=0.9, lw=0)
        )
    ax_m.annotate(
        "",
        xy=(n + 0.2, query + 0.5),
        xytext=(-0.2, query + 0.5),
        arrowprops={"arrowstyle": "->", "lw": 1.5},
    )
    ax_m.text(
        n / 2,
        query + 1.9,
        f"query {query}: its scores, one block at a time",
        ha="center",
        fontsize=9,
    )
    ax_m.text(
        n / 2,
        n - 1.2,
        "at a time only one block's columns exist:\nan (n, block) slice, not the (n, n) matrix",
        ha="center",
        fontsize=9,
        color="#444444",
    )
    ax_m.set_xlim(-0.3, n + 0.5)
    ax_m.set_ylim(n + 0.2, -1.6)
    ax_m.set_xticks([0, n])
    ax_m.set_xticklabels(["0", f"n = {n}"])
    ax_m.set_yticks([0, n])
    ax_m.set_yticklabels(["0", f"n = {n}"])
    ax_m.set_xlabel("keys j")
    ax_m.set_ylabel("queries i")
    ax_m.set_title("The n × n scores, cut into key blocks", fontsize=11)
    for spine in ax_m.spines.values():
        spine.set_visible(False)

    ax_t.axis("off")
    ax_t.set_title(f"Query {query}'s running maximum m and sum l", fontsize=11)
    rows = [["block", f"its {block} scores", "max", "m", "correction\nexp(m_old − m_new)", "l"]]
    for b, st in enumerate(steps):
        s = scores[st["start"] : st["start"] + block]
        rows.append(
            [
                f"{b + 1}",
                " ".join(f"{x:.1f}" for x in s),
                f"{st['block_max']:.1f}",
                f"{st['m']:.1f}",
                "— (first block)" if b == 0 else f"{st['correction']:.2f}",
                f"{st['l']:.2f}",
            ]
        )
    table = ax_t.table(
        cellText=rows,
        cellLoc="center",
        bbox=[0.0, 0.42, 1.0, 0.52],
        colWidths=[0.09, 0.31, 0.08, 0.08, 0.32, 0.1],
    )
    table.auto_set_font_size(False)
    table.set_fontsize(9)
    for (r, c), cell in table.get_celld().items():
        cell.set_edgecolor("#bbbbbb")
        if r == 0:
            cell.set_text_props(weight="bold")
        elif c == 0:
            cell.set_facecolor(shades[(r - 1) % 4])
            cell.set_alpha(0.5)
        if r > 1 and c == 4 and steps[r - 1]["correction"] < 1:
            cell.set_facecolor("#fde0c5")
            cell.set_text_props(weight="bold", color=COLORS["vermillion"])
    raised = [b + 1 for b, st in enumerate(steps) if b > 0 and st["correction"] < 1]
    note = (
        f"Block {raised[0]} raises the maximum m, so l and acc, summed so far against the\n"
        "old maximum, are multiplied by the correction exp(m_old − m_new) < 1 (marked).\n"
        "A block that does not raise m multiplies them by 1. After the last block,\n"
        "acc / l is exactly this query's row of softmax(scores)·V."
        if raised
        else "The maximum never rose after block 1."
    )
    ax_t.text(0.0, 0.05, note, transform=ax_t.transAxes, fontsize=9.5, va="bottom", linespacing=1.5)
    return fig
