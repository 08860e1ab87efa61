"""The alignment explorer (notebook 02): pick an example and an output step, see where it looks.

The attention weights of a trained ``Seq2Seq`` with attention are computed once for a few
test examples; the controls only choose which one to draw, so moving them is instant.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display
from matplotlib.patches import Rectangle

from course_utils.plotting import COLORS, heatmap
from course_utils.toy_tasks import SequenceTask, source_position, to_text

__all__ = ["alignment_examples", "describe_step", "draw_alignment", "make_alignment_explorer"]


def alignment_examples(
    model, task: SequenceTask, length: int, n_examples: int = 5, seed: int = 2015
) -> dict:
    """Greedy-decode ``n_examples`` fresh strings of ``length``: sources, outputs, targets, weights."""
    if getattr(model, "attention", None) is None:
        raise ValueError(
            "this model has no attention to explore: build it with make_model('attention', task)"
        )
    src, tgt = SequenceTask(task.name, task.n_symbols, 1, length, seed).batch(n_examples, length)
    preds, weights = model.greedy(src, task.bos)
    return {
        "src": src.numpy(),  # (n, L)
        "tgt": tgt.numpy(),  # (n, L)
        "pred": preds.numpy(),  # (n, L)
        "weights": weights.numpy(),  # (n, L_out, L_src)
        "task": task.name,
    }


def _check_choice(examples: dict, example: int, step: int | None) -> None:
    n, length = examples["src"].shape
    if not 0 <= example < n:
        raise ValueError(f"example must be between 0 and {n - 1}, got {example}")
    if step is not None and not 0 <= step < length:
        raise ValueError(f"step must be between 0 and {length - 1}, got {step}")


def draw_alignment(examples: dict, example: int = 0, step: int | None = None) -> plt.Figure:
    """The learned alignment of one example as a labelled heatmap (+ the chosen step's weights)."""
    _check_choice(examples, example, step)
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
            figsize=(3.5 + 0.7 * length, 1.4 + 0.33 * length),
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
        colorbar=step is None,
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
    _check_choice(examples, example, step)
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
    _check_choice(examples, example, step)
    n, length = examples["src"].shape
    state: dict = {
        "example": widgets.IntSlider(value=example, min=0, max=n - 1, description="example"),
        "step": widgets.IntSlider(value=step, min=0, max=length - 1, description="output step"),
        "text": widgets.HTML(),
        "output": widgets.Output(),
        "figure": None,
        "weights": None,
    }

    def update(_=None) -> None:
        e, i = state["example"].value, state["step"].value
        state["weights"] = examples["weights"][e][i]
        state["text"].value = describe_step(examples, e, i)
        if state["figure"] is not None:
            plt.close(state["figure"])
        state["figure"] = draw_alignment(examples, e, i)
        with state["output"]:
            state["output"].clear_output(wait=True)
            display(state["figure"])

    state["example"].observe(update, names="value")
    state["step"].observe(update, names="value")
    update()
    ui = widgets.VBox(
        [widgets.HBox([state["example"], state["step"]]), state["text"], state["output"]]
    )
    return ui, state
