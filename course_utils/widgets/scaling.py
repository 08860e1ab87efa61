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

from course_utils.attention import softmax
from course_utils.plotting import COLORS
from course_utils.widgets import show_figure

__all__ = ["DK_CHOICES", "entropy", "make_scaling_explorer", "query_and_keys", "weights_for"]

DK_CHOICES = (4, 8, 16, 32, 64, 128, 256, 512, 1024)




def entropy(weights) -> np.ndarray:
    """Entropy in nats of each row of attention weights (0·log 0 counts as 0)."""
    p = np.asarray(weights, dtype=float)
    safe = np.where(p > 0, p, 1.0)
    return -(p * np.log(safe)).sum(axis=-1)


def query_and_keys(n_keys: int = 16, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """One query (1024,) and ``n_keys`` keys (n_keys, 1024), components independent N(0, 1)."""
    if isinstance(n_keys, bool) or not isinstance(n_keys, (int, np.integer)) or n_keys < 2:
        raise ValueError(f"n_keys must be a whole number ≥ 2 (softmax over one key is always 1), got {n_keys!r}")
    rng = np.random.default_rng(seed)
    q = rng.standard_normal(max(DK_CHOICES))  # (1024,)
    K = rng.standard_normal((int(n_keys), max(DK_CHOICES)))  # (n_keys, 1024)
    return q, K


def weights_for(q: np.ndarray, K: np.ndarray, d_k: int, scale: bool) -> tuple[np.ndarray, np.ndarray]:
    """Scores q·k over the first ``d_k`` components (divided by √d_k if ``scale``) and their softmax."""
    if isinstance(d_k, bool) or not isinstance(d_k, (int, np.integer)) or not 1 <= d_k <= q.shape[-1]:
        raise ValueError(f"d_k must be a whole number between 1 and {q.shape[-1]}, got {d_k!r}")
    scores = K[:, :d_k] @ q[:d_k]  # (n_keys,)
    if scale:
        scores = scores / math.sqrt(d_k)
    return scores, softmax(scores)


def make_scaling_explorer(
    n_keys: int = 16, seed: int = 0, d_k: int = 256, scale: bool = False
) -> tuple[widgets.Widget, dict]:
    """A d_k slider and a scale switch over one query's scores and weights; returns ``(ui, state)``.

    ``state`` holds the controls (``"d_k"``, ``"scale"``), the figure (``"fig"``), the weight
    bars (``"bars"``), the summary line (``"label"``) and the current ``"weights"``.
    """
    if d_k not in DK_CHOICES:
        raise ValueError(f"d_k must be one of {DK_CHOICES}, got {d_k!r}")
    q, K = query_and_keys(n_keys, seed)
    keys = np.arange(1, n_keys + 1)

    fig, (ax_s, ax_w) = plt.subplots(1, 2, figsize=(9.0, 3.4))
    plt.close(fig)  # shown through the Output widget (or as a static figure), not twice
    score_bars = ax_s.bar(keys, np.zeros(n_keys), color=COLORS["sky"])
    ax_s.axhline(0, color="black", lw=0.8)
    ax_s.set_xlabel("key")
    weight_bars = ax_w.bar(keys, np.zeros(n_keys), color=COLORS["blue"])
    ax_w.axhline(1 / n_keys, color=COLORS["orange"], ls="--", lw=1.2, label=f"uniform (1/{n_keys})")
    ax_w.set_ylim(0, 1.05)
    ax_w.set_xlabel("key")
    ax_w.set_ylabel("attention weight")
    ax_w.legend(loc="upper right")
    for ax in (ax_s, ax_w):
        ax.set_xticks(keys[::3])

    dk_slider = widgets.SelectionSlider(options=list(DK_CHOICES), value=d_k, description="d_k")
    scale_box = widgets.Checkbox(value=scale, description="divide by √d_k")
    label = widgets.HTML()
    out = widgets.Output()
    state: dict = {"d_k": dk_slider, "scale": scale_box, "label": label, "out": out,
                   "fig": fig, "bars": weight_bars, "score_bars": score_bars}

    def update(_change=None) -> None:
        dk, scaled = dk_slider.value, scale_box.value
        scores, w = weights_for(q, K, dk, scaled)
        for bar, s in zip(score_bars, scores, strict=True):
            bar.set_height(s)
        for bar, p in zip(weight_bars, w, strict=True):
            bar.set_height(p)
        top = max(float(np.abs(scores).max()), 1.0) * 1.1
        ax_s.set_ylim(-top, top)
        ax_s.set_ylabel("score q·k / √d_k" if scaled else "score q·k")
        ax_s.set_title(f"Scores: standard deviation {scores.std():.1f}")
        h = float(entropy(w))
        ax_w.set_title(f"Weights: max {w.max():.2f}, entropy {h:.2f} nats")
        fig.suptitle(
            f"d_k = {dk}, {'scaled by 1/√d_k' if scaled else 'not scaled'}: "
            + ("softmax is saturated (one key takes almost all)" if w.max() > 0.9 else "weight is shared"),
            fontweight="bold",
        )
        state["weights"] = w
        label.value = (
            f"<b>d_k = {dk}</b>, {'scaled' if scaled else 'unscaled'}: largest weight "
            f"<b>{w.max():.3f}</b>, entropy <b>{h:.2f}</b> nats (uniform over {n_keys} keys: "
            f"{math.log(n_keys):.2f})"
        )
        show_figure(out, fig)

    dk_slider.observe(update, names="value")
    scale_box.observe(update, names="value")
    update()
    ui = widgets.VBox([widgets.HBox([dk_slider, scale_box]), label, out])
    return ui, state
