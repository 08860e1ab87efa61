"""Notebook 03's explorer: self-attention step by step for one token of "Der schlaue Fuchs".

Pick a token (its query) and a step: 1 its scores against every key, 2 the softmax weights,
3 the output as the weighted sum of the values. Each step is drawn and written out in numbers.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from course_utils import _validate
from course_utils.attention import attention
from course_utils.plotting import COLORS, diverging
from course_utils.widgets import show_figure

__all__ = ["make_self_attention_explorer", "token_step"]

STEPS = {1: "1 · scores", 2: "2 · weights", 3: "3 · output"}


def token_step(Q, K, V, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the query of token ``i``: scores q_i·k_j/√d_k (n,), weights (n,), Σ_j w_j v_j (d_v,)."""
    Q, K, V, i = _validate.qkv_rows(Q, K, V, i)
    output, weights = attention(Q[i : i + 1], K, V)  # notebook 04's attention, one query row
    scores = K @ Q[i] / math.sqrt(Q.shape[1])  # (n,), what its softmax saw
    return scores, weights[0], output[0]  # (n,), (d_v,)


def make_self_attention_explorer(
    tokens: Sequence[str], Q, K, V, token: str | None = None, step: int = 3
) -> tuple[widgets.Widget, dict]:
    """Pick a token and a step, see its scores, weights and output; returns ``(ui, state)``.

    ``state`` holds the controls (``"token"``, ``"step"``), the figure (``"fig"``), the bars
    (``"score_bars"``, ``"weight_bars"``), the numbers (``"label"``) and the current
    ``"scores"``, ``"weights"`` and ``"output"``.
    """
    tokens, Q, K, V = _validate.token_vectors_qkv(tokens, Q, K, V)
    token = _validate.one_of(tokens[-1] if token is None else token, "token", tokens)
    step = _validate.one_of(step, "step (1, 2 or 3)", tuple(STEPS))
    n, d_k, d_v = len(tokens), Q.shape[1], V.shape[1]
    x = np.arange(n)

    fig, (ax_s, ax_w, ax_o) = plt.subplots(
        1, 3, figsize=(10.8, 3.6), gridspec_kw={"width_ratios": [1, 1, 1.35]}, layout="none"
    )
    plt.close(fig)  # shown through the Output widget (or as a static figure), not twice
    score_bars = ax_s.bar(x, np.zeros(n), color=COLORS["sky"])
    ax_s.axhline(0, color="black", lw=0.8)
    ax_s.set_ylabel(f"score q·k / √{d_k}")
    weight_bars = ax_w.bar(x, np.zeros(n), color=COLORS["blue"])
    ax_w.set_ylim(0, 1.12)
    ax_w.set_ylabel("attention weight")
    for ax in (ax_s, ax_w):
        ax.set_xticks(x, labels=tokens)
        ax.set_xlabel("key token")
    score_text = [ax_s.text(j, 0, "", ha="center", fontsize=9) for j in x]
    weight_text = [ax_w.text(j, 0, "", ha="center", va="bottom", fontsize=9) for j in x]
    scale = diverging(V)  # signed values: one scale centred on 0, white at 0
    image = ax_o.imshow(np.zeros((n + 1, d_v)), aspect="auto", **scale)
    ax_o.set_xticks(range(d_v), labels=[f"f{f + 1}" for f in range(d_v)])
    ax_o.set_xlabel("value feature")
    ax_o.axhline(n - 0.5, color="white", lw=3)
    cells = [
        [ax_o.text(f, r, "", ha="center", va="center", fontsize=9) for f in range(d_v)]
        for r in range(n + 1)
    ]
    fig.colorbar(image, ax=ax_o, shrink=0.8, label="weight × value", fraction=0.06, pad=0.03)
    fig.subplots_adjust(left=0.06, right=0.955, bottom=0.17, top=0.80, wspace=0.75)

    token_buttons = widgets.ToggleButtons(options=tokens, value=token, description="query")
    step_buttons = widgets.ToggleButtons(
        options=[(v, k) for k, v in STEPS.items()], value=step, description="step"
    )
    label = widgets.HTML()
    out = widgets.Output()
    state: dict = {"token": token_buttons, "step": step_buttons, "label": label, "out": out}
    state.update(fig=fig, score_bars=score_bars, weight_bars=weight_bars)  # what update redraws

    def update(_change=None) -> None:
        i, shown = tokens.index(token_buttons.value), step_buttons.value
        scores, weights, output = token_step(Q, K, V, i)
        state.update(scores=scores, weights=weights, output=output)
        top = max(float(np.abs(scores).max()), 0.5) * 1.3
        ax_s.set_ylim(-top, top)
        for j in x:
            score_bars[j].set_height(scores[j])
            score_text[j].set(
                text=f"{scores[j]:.2f}",
                y=scores[j] + (0.04 if scores[j] >= 0 else -0.12) * top,
                va="bottom" if scores[j] >= 0 else "top",
            )
            weight_bars[j].set_height(weights[j])
            weight_text[j].set(text=f"{weights[j]:.2f}", y=weights[j] + 0.02)
        rows = np.vstack([weights[:, None] * V, output[None, :]])  # (n + 1, d_v)
        image.set_data(rows)
        for r in range(n + 1):
            for f in range(d_v):  # dark text on the light middle of the scale, white on its ends
                strong = abs(rows[r, f]) > 0.6 * scale["vmax"]
                cells[r][f].set(text=f"{rows[r, f]:.2f}", color="white" if strong else "black")
        ax_o.set_yticks(
            range(n + 1),
            labels=[f"{weights[j]:.2f} × v({t})" for j, t in enumerate(tokens)]
            + [f"output({tokens[i]})"],
        )
        winner = tokens[int(np.argmax(weights))]
        ax_s.set_title(f"1 · scores of '{tokens[i]}'")
        ax_w.set_title(
            f"2 · weights: '{winner}' gets most" if shown >= 2 else "2 · weights (next step)"
        )
        ax_o.set_title("3 · output = Σ weight × value" if shown >= 3 else "3 · output (step 3)")
        for k, ax in enumerate((ax_s, ax_w, ax_o), start=1):
            visible = k <= shown  # later steps stay hidden until their turn: no spoilers
            for artist in ax.patches + ax.images + ax.texts:
                artist.set_alpha(1.0 if visible else 0.0)
            for tick in ax.get_yticklabels() * (ax is ax_o):
                tick.set_alpha(1.0 if visible else 0.0)
            ax.title.set_alpha(1.0 if visible else 0.4)
        fig.suptitle(
            f"Self-attention for the query of '{tokens[i]}', step {shown} of 3", fontweight="bold"
        )
        parts = [
            "<b>scores</b> q·k/√"
            + str(d_k)
            + ": "
            + ", ".join(f"{html.escape(t)} {s:.2f}" for t, s in zip(tokens, scores, strict=True)),
        ]
        if shown >= 2:
            parts.append(
                "<b>weights</b> softmax: "
                + ", ".join(
                    f"{html.escape(t)} {w:.2f}" for t, w in zip(tokens, weights, strict=True)
                )
                + f" (sum {weights.sum():.2f})"
            )
        if shown >= 3:
            parts.append(
                f"<b>output</b> of {html.escape(tokens[i])}: ["
                + ", ".join(f"{v:.2f}" for v in output)
                + "]"
            )
        label.value = "<br>".join(parts)
        found = [
            f"'{tokens[i]}' scores the keys "
            + ", ".join(f"{t} {s:.2f}" for t, s in zip(tokens, scores, strict=True))
        ]
        if shown >= 2:
            found.append(f"its softmax gives '{winner}' the largest weight, {weights.max():.2f}")
        if shown >= 3:
            found.append(
                "its output is the weighted sum of the values, ["
                + ", ".join(f"{v:.2f}" for v in output)
                + "]"
            )
        state["alt"] = "Self-attention step " + str(shown) + ": " + "; ".join(found) + "."
        show_figure(out, fig, state["alt"])

    token_buttons.observe(update, names="value")
    step_buttons.observe(update, names="value")
    update()
    return widgets.VBox([token_buttons, step_buttons, label, out]), state
