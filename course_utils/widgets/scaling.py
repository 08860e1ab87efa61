"""Notebook 05's explorer: a d_k slider and a "divide by √d_k" switch, showing one query's weights.

One query and ``n_keys`` keys are drawn once with unit-variance components up to d_k = 1024;
a smaller d_k uses their first d_k components, so moving the slider keeps the same keys and
only adds dimensions. The figure shows the scores and the softmax weights over the keys.
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from course_utils import _validate
from course_utils.attention import softmax
from course_utils.plotting import COLORS
from course_utils.widgets import show_figure

__all__ = ["DK_CHOICES", "entropy", "make_scaling_explorer", "query_and_keys", "weights_for"]

DK_CHOICES = (4, 8, 16, 32, 64, 128, 256, 512, 1024)


def entropy(weights) -> np.ndarray:
    """Entropy in nats of each row of attention weights (0·log 0 counts as 0)."""
    p = _validate.weight_rows(weights)
    safe = np.where(p > 0, p, 1.0)
    return -(p * np.log(safe)).sum(axis=-1)


def query_and_keys(n_keys: int = 16, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """One query (1024,) and ``n_keys`` keys (n_keys, 1024), components independent N(0, 1)."""
    n_keys, seed = _validate.size(n_keys, "n_keys", 4096), _validate.seed(seed)
    _validate.require(n_keys >= 2, f"n_keys must be ≥ 2 (softmax over one key is 1), got {n_keys}")
    rng = np.random.default_rng(seed)
    q = rng.standard_normal(max(DK_CHOICES))  # (1024,)
    K = rng.standard_normal((int(n_keys), max(DK_CHOICES)))  # (n_keys, 1024)
    return q, K


def weights_for(
    q: np.ndarray, K: np.ndarray, d_k: int, scale: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Scores q·k over the first ``d_k`` components (÷ √d_k if ``scale``) and their softmax."""
    (q, K, d_k), scale = _validate.query_keys(q, K, d_k), _validate.flag(scale, "scale")
    scores = K[:, :d_k] @ q[:d_k]  # (n_keys,)
    if scale:
        scores = scores / math.sqrt(d_k)
    return scores, softmax(scores)


def make_scaling_explorer(
    n_keys: int = 16, seed: int = 0, d_k: int = 256, scale: bool = False
) -> tuple[widgets.Widget, dict]:
    """A d_k slider and a scale switch over one query's scores and weights; returns ``(ui, state)``.

    ``state`` holds the controls (``"d_k"``, ``"scale"``), the figure (``"fig"``), the weight
    bars (``"bars"``), the summary line (``"label"``), the current ``"weights"`` and the
    figure's one-sentence description (``"alt"``). The score axis is fixed for every d_k.
    """
    d_k, scale = _validate.one_of(d_k, "d_k", DK_CHOICES), _validate.flag(scale, "scale")
    q, K = query_and_keys(n_keys, seed)
    keys = np.arange(1, n_keys + 1)

    # one fixed score axis for every slider position, wide enough for the largest unscaled
    # score: the bars then grow visibly with d_k (and stay small when scaled)
    top = 1.1 * max(float(np.abs(weights_for(q, K, d, False)[0]).max()) for d in DK_CHOICES)

    fig, (ax_s, ax_w) = plt.subplots(1, 2, figsize=(9.0, 3.6), layout="none")
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.80, wspace=0.25)
    plt.close(fig)  # shown through the Output widget (or as a static figure), not twice
    score_bars = ax_s.bar(keys, np.zeros(n_keys), color=COLORS["sky"])
    ax_s.axhline(0, color="black", lw=0.8)
    ax_s.axhspan(-2, 2, color="grey", alpha=0.35, lw=0, label="±2: where softmax responds")
    ax_s.set_ylim(-top, top)
    ax_s.set_xlabel("key")
    ax_s.legend(loc="lower right", fontsize=8)
    weight_bars = ax_w.bar(keys, np.zeros(n_keys), color=COLORS["blue"])
    ax_w.axhline(
        1 / n_keys, color=COLORS["orange"], ls="--", lw=1.2, label=f"even weights (1/{n_keys})"
    )
    ax_w.set_ylim(0, 1.05)
    ax_w.set_xlabel("key")
    ax_w.set_ylabel("attention weight")
    ax_w.legend(loc="upper right", fontsize=8)
    for ax in (ax_s, ax_w):
        ax.set_xticks(keys[::3])

    dk_slider = widgets.SelectionSlider(options=list(DK_CHOICES), value=d_k, description="d_k")
    scale_box = widgets.Checkbox(value=scale, description="divide by √d_k")
    label = widgets.HTML()
    out = widgets.Output()
    state: dict = {"d_k": dk_slider, "scale": scale_box, "label": label, "out": out}
    state.update(fig=fig, bars=weight_bars, score_bars=score_bars)  # what update redraws

    def update(_change=None) -> None:
        dk, scaled = dk_slider.value, scale_box.value
        scores, w = weights_for(q, K, dk, scaled)
        best = int(np.argmax(scores))  # the winning key, vermillion in both panels
        for j, (bar, s) in enumerate(zip(score_bars, scores, strict=True)):
            bar.set_height(s)
            bar.set_color(COLORS["vermillion"] if j == best else COLORS["sky"])
        for j, (bar, p) in enumerate(zip(weight_bars, w, strict=True)):
            bar.set_height(p)
            bar.set_color(COLORS["vermillion"] if j == best else COLORS["blue"])
        ax_s.set_ylabel(r"score $q\cdot k/\sqrt{d_k}$" if scaled else r"score $q\cdot k$")
        ax_s.set_title(f"Scores: standard deviation {scores.std():.1f}")
        h = float(entropy(w))
        ax_w.set_title(f"Weights: max {w.max():.2f}, entropy {h:.2f} nats")
        saturated = w.max() > 0.9
        fig.suptitle(
            f"$d_k$ = {dk}, {'divided by √$d_k$' if scaled else 'not scaled'}: "
            + (
                "softmax is saturated (one key takes almost all)"
                if saturated
                else "weight is shared"
            ),
            fontweight="bold",
        )
        state["weights"] = w
        state["alt"] = (
            f"At d_k = {dk}, {'scaled' if scaled else 'unscaled'}, the 16 scores have standard "
            f"deviation {scores.std():.1f} on a fixed axis of ±{top:.0f}, and the largest weight "
            "is "
            f"{w.max():.2f} (entropy {h:.2f} nats): "
            + ("one key takes almost all the weight." if saturated else "the weight is shared.")
        )
        label.value = (
            f"<b>d_k = {dk}</b>, {'scaled' if scaled else 'unscaled'}: largest weight "
            f"<b>{w.max():.3f}</b>, entropy <b>{h:.2f}</b> nats (even weights over {n_keys} keys: "
            f"{math.log(n_keys):.2f})"
        )
        show_figure(out, fig, state["alt"])

    dk_slider.observe(update, names="value")
    scale_box.observe(update, names="value")
    update()
    ui = widgets.VBox([widgets.HBox([dk_slider, scale_box]), label, out])
    return ui, state
