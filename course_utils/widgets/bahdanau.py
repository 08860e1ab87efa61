"""The alignment explorer (notebook 02): pick an example and an output step, see where it looks.

The attention weights of a trained ``Seq2Seq`` with attention are computed once for a few
test examples (``course_utils.bahdanau.alignment_examples``); the controls only choose which
one to draw, so moving them is instant.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch, Rectangle

from course_utils._validate import alignment_choice, float_array, non_negative_int, strings
from course_utils.plotting import COLORS, heatmap
from course_utils.toy_tasks import source_position, to_text
from course_utils.widgets import show_figure

__all__ = [
    "alignment_alt",
    "describe_step",
    "draw_alignment",
    "draw_attention_step",
    "make_alignment_explorer",
]


def draw_alignment(examples: dict, example: int = 0, step: int | None = None) -> plt.Figure:
    """The learned alignment of one example as a labelled heatmap (+ the chosen step's weights)."""
    example, step = alignment_choice(examples, example, step)
    src = to_text(examples["src"][example])
    out = to_text(examples["pred"][example])
    w = examples["weights"][example]  # (L_out, L_src)
    length = len(src)
    src_labels = [f"{t}\n{j}" for j, t in enumerate(src)]
    out_labels = [f"{i}: {t}" for i, t in enumerate(out)]
    if step is None:
        fig, ax = plt.subplots(figsize=(1.5 + 0.38 * length, 1.2 + 0.33 * length))
        axes = [ax]
    else:
        fig, axes = plt.subplots(
            1,
            2,
            figsize=(min(11.0, 3.5 + 0.62 * length), 1.4 + 0.33 * length),
            gridspec_kw={"width_ratios": [1, 1.15]},
        )
    heatmap(
        w,
        out_labels,
        src_labels,
        ax=axes[0],
        annotate=False,
        vmin=0,
        vmax=1,
        colorbar=True,
        colorbar_label=r"attention weight $\alpha_{ij}$",
        xlabel="source token, position j (dashed box: the digit being written)",
        ylabel="output step i: token written",
        title=f"Learned alignment, {examples['task']} (length {length})",
    )
    axes[0].tick_params(axis="x", labelrotation=0)
    for i, j in enumerate(source_position(examples["task"], length)):  # the digit being written
        axes[0].add_patch(
            Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, lw=1, ls="--", ec="white")
        )
    if step is not None:
        axes[0].add_patch(
            Rectangle((-0.5, step - 0.5), length, 1, fill=False, lw=3, ec=COLORS["vermillion"])
        )
        ideal = source_position(examples["task"], length)[step]
        colors = [COLORS["vermillion"] if j == ideal else COLORS["blue"] for j in range(length)]
        axes[1].bar(range(length), w[step], color=colors)
        axes[1].plot([ideal], [0.02], marker="^", ms=9, color=COLORS["vermillion"], clip_on=False)
        axes[1].set_xticks(range(length), labels=src_labels)
        axes[1].set_ylim(0, 1)
        top = int(np.argmax(w[step]))
        axes[1].set_ylabel(rf"attention weight $\alpha_{{{step}j}}$")
        axes[1].set_xlabel("source token and position j (vermillion: the digit being written)")
        axes[1].set_title(
            f"Step {step} writes '{out[step]}', looking mostly at position {top} ('{src[top]}')"
        )
    return fig


def describe_step(examples: dict, example: int = 0, step: int = 0) -> str:
    """One sentence (HTML) on what output step ``step`` of ``example`` attended to."""
    example, step = alignment_choice(examples, example, non_negative_int(step, "step"))
    src, tgt, pred = examples["src"][example], examples["tgt"][example], examples["pred"][example]
    w = examples["weights"][example][step]
    ideal = int(source_position(examples["task"], len(src))[step])
    top = int(np.argmax(w))
    verdict = "✅ right" if pred[step] == tgt[step] else f"❌ wrong (should be '{tgt[step]}')"
    where = (
        "exactly the position it has to copy"
        if top == ideal
        else f"not the position it has to copy ({ideal})"
    )
    return (
        f"Output step <b>{step}</b> writes <b>'{pred[step]}'</b> — {verdict}. It puts weight "
        f"<b>{w[top]:.2f}</b> on source position <b>{top}</b> (token '{src[top]}'), {where}; "
        f"weight on the ideal position: {w[ideal]:.2f}."
    )


def make_alignment_explorer(examples: dict, example: int = 0, step: int = 0):
    """Sliders for the example and the output step; returns ``(ui, state)``."""
    example, step = alignment_choice(examples, example, non_negative_int(step, "step"))
    n, length = examples["src"].shape
    state: dict = {
        "example": widgets.IntSlider(value=example, min=0, max=n - 1, description="example"),
        "step": widgets.IntSlider(value=step, min=0, max=length - 1, description="output step"),
        "text": widgets.HTML(),
        "output": widgets.Output(),
        "figure": None,
        "weights": None,
        "alt": "",
    }

    def update(_=None) -> None:
        e, i = state["example"].value, state["step"].value
        state["weights"] = examples["weights"][e][i]
        state["text"].value = describe_step(examples, e, i)
        state["figure"] = draw_alignment(examples, e, i)
        state["alt"] = alignment_alt(examples, e, i)
        show_figure(state["output"], state["figure"], alt=state["alt"])

    state["example"].observe(update, names="value")
    state["step"].observe(update, names="value")
    update()
    ui = widgets.VBox(
        [widgets.HBox([state["example"], state["step"]]), state["text"], state["output"]]
    )
    return ui, state


def alignment_alt(examples: dict, example: int = 0, step: int | None = None) -> str:
    """The alignment figure's one-sentence finding, for screen readers and exports."""
    example, step = alignment_choice(examples, example, step)
    w = examples["weights"][example]  # (L_out, L_src)
    length = w.shape[0]
    ideal = source_position(examples["task"], length)
    near = float(np.mean(np.abs(w.argmax(-1) - ideal) <= 1))
    text = (
        f"Learned alignment of a {examples['task']} example of length {length}: an "
        f"anti-diagonal, with {near:.0%} of the output steps looking within one position of the "
        "digit they write"
        if examples["task"] == "reverse"
        else f"Learned alignment of a {examples['task']} example of length {length}: "
        f"{near:.0%} of the steps look within one position of the digit they write"
    )
    if step is not None:
        top = int(np.argmax(w[step]))
        text += (
            f"; step {step} puts weight {w[step, top]:.2f} on position {top}, "
            f"the digit to write is at {int(ideal[step])}"
        )
    return text + "."


def draw_attention_step(tokens, weights, step_label: str = "i") -> plt.Figure:
    """One RNNsearch output step as a data flow, beside notebook 01's single vector c.

    Left: without attention every step gets the same c (the encoder's final states). Right:
    step ``i`` scores every annotation h_j against s_{i-1}; the line widths are the weights
    α_ij (``weights``, one per token), and their weighted sum is this step's own c_i.
    """
    from course_utils.widgets.rnn import _arrow, _box

    tokens, w = strings(tokens, "tokens"), float_array(weights, "weights", ndim=1)
    if w.shape != (len(tokens),):
        raise ValueError(f"give one weight per token: {len(tokens)} tokens, weights {w.shape}")
    n = len(tokens)
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(10.5, 3.8), gridspec_kw={"width_ratios": [1, 1.35]}
    )
    xs = np.arange(n) * 1.2
    for ax in (left, right):
        for x, token in zip(xs, tokens, strict=True):
            ax.text(x, -0.15, token, ha="center", va="center", fontsize=10, fontweight="bold")
            _box(ax, x, 0.5, f"$h_{{{tokens.index(token) + 1}}}$", w=0.9, color=COLORS["sky"])
        ax.axis("off")
        ax.set_xlim(xs[0] - 1.0, xs[-1] + (1.0 if ax is left else 2.2))
        ax.set_ylim(-0.5, 3.4)
    # left: the bottleneck
    mid = xs.mean()
    _box(
        left,
        mid,
        1.7,
        "c (the same\nat every step)",
        w=2.2,
        h=0.7,
        color=COLORS["vermillion"],
        size=9,
    )
    _arrow(left, (xs[0], 0.75), (mid - 0.6, 1.35))
    _arrow(left, (xs[-1], 0.75), (mid + 0.6, 1.35))
    _box(left, mid, 2.9, "every decoder step", w=2.4, h=0.5, color="#f6d3bd", size=9)
    _arrow(left, (mid, 2.05), (mid, 2.65), color=COLORS["vermillion"], lw=2)
    left.set_title("Notebook 01: one fixed c")
    # right: one attention step
    cx = mid
    _box(right, xs[-1] + 0.3, 2.9, "state $s_{i-1}$", w=1.3, h=0.5, color="#f6d3bd", size=9)
    right.add_patch(
        FancyArrowPatch(
            (xs[-1] + 0.3, 2.65),
            (xs[-1] + 0.2, 1.15),
            arrowstyle="-|>",
            mutation_scale=10,
            ls="--",
            color=COLORS["black"],
            lw=1,
        )
    )
    right.text(
        xs[-1] + 0.45,
        2.0,
        "scores every $h_j$:\n$e_{ij}$ → softmax → α",
        fontsize=8,
        ha="left",
        va="center",
    )
    for x, a in zip(xs, w, strict=True):
        right.plot([x, cx], [0.75, 1.5], color=COLORS["blue"], lw=0.5 + 9 * a, alpha=0.85, zorder=1)
        right.text(
            x,
            1.0,
            f"α={a:.2f}",
            ha="center",
            fontsize=9,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},
        )
    _box(
        right,
        cx,
        1.75,
        f"$c_{step_label}=\\sum_j \\alpha_{{{step_label}j}} h_j$",
        w=2.0,
        h=0.55,
        color=COLORS["blue"],
        size=10,
    )
    _box(right, cx - 0.6, 2.9, f"step {step_label} writes", w=1.6, h=0.5, color="#f6d3bd", size=9)
    _arrow(right, (cx - 0.4, 2.05), (cx - 0.5, 2.65), color=COLORS["blue"], lw=2)
    right.set_title(
        f"Attention: step {step_label} builds its own $c_{step_label}$ from every $h_j$"
    )
    return fig
