"""The interactive attention formula (notebook 04): click Q, K or V to see what that vector does."""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from course_utils.attention import attention
from course_utils.plotting import COLORS, heatmap
from course_utils.widgets import show_figure

__all__ = ["draw_formula", "explain", "make_formula_explorer"]

PARTS = ("Q", "K", "V")


def _qkv(X, W_Q, W_K, W_V) -> tuple[np.ndarray, ...]:
    """Queries, keys, values, attention weights and output for embeddings X."""
    X = np.asarray(X, dtype=float)
    Q, K, V = X @ W_Q, X @ W_K, X @ W_V  # (n, d_k), (n, d_k), (n, d_v)
    out, weights = attention(Q, K, V)
    return Q, K, V, weights, out


def _check(tokens: Sequence[str], X, part: str, token: str) -> int:
    """Validate the explorer's inputs; return the index of ``token``."""
    if part not in PARTS:
        raise ValueError(f"part must be one of {PARTS}, got {part!r}")
    if token not in tokens:
        raise ValueError(f"token {token!r} is not in the sentence {list(tokens)}")
    if len(tokens) != np.asarray(X).shape[0]:
        raise ValueError(f"{len(tokens)} tokens but X has {np.asarray(X).shape[0]} rows: give one embedding per token")
    return list(tokens).index(token)


def _fmt(v: np.ndarray) -> str:
    return "[" + ", ".join(f"{x:.2f}" for x in np.atleast_1d(v)) + "]"


def explain(tokens: Sequence[str], X, W_Q, W_K, W_V, part: str, token: str) -> str:
    """What the chosen vector (Q, K or V of ``token``) does, with this example's numbers (HTML)."""
    i = _check(tokens, X, part, token)
    Q, K, V, w, out = _qkv(X, W_Q, W_K, W_V)
    d_k = Q.shape[1]
    t = f"<b>{token}</b>"
    if part == "Q":
        scores = Q[i] @ K.T
        return (
            f"<b>Query</b> q = x·W_Q. The query of {t} is {_fmt(Q[i])}: it encodes what {t} is "
            f"<i>looking for</i>. It is compared with every key by a dot product: scores "
            f"{_fmt(scores)}, divided by √d_k = {np.sqrt(d_k):.0f}, then softmax gives {t}'s "
            f"attention weights {_fmt(w[i])} over ({', '.join(tokens)}). Highlighted: row {t} of Q "
            "and of the weights."
        )
    if part == "K":
        return (
            f"<b>Key</b> k = x·W_K. The key of {t} is {_fmt(K[i])}: it advertises what {t} "
            f"<i>offers</i>, so that queries can find it. Every query is compared with it: column "
            f"{t} of the weights, {_fmt(w[:, i])}, says how much each token attends to {t}. "
            "Highlighted: column k of Kᵀ and of the weights."
        )
    return (
        f"<b>Value</b> v = x·W_V. The value of {t} is {_fmt(V[i])}: it is what {t} "
        f"<i>hands over</i> once it is attended to. Each output row is the weighted sum "
        f"Σⱼ wᵢⱼ·vⱼ, so {t}'s value enters every output with the weights {_fmt(w[:, i])}. "
        "Highlighted: row v of V and column of the weights."
    )


def _frame(ax, row: int | None = None, col: int | None = None, shape=(1, 1)) -> None:
    """Draw a thick box around one row or one column of a heatmap."""
    n_rows, n_cols = shape
    if row is not None:
        ax.add_patch(Rectangle((-0.5, row - 0.5), n_cols, 1, fill=False, lw=3.5, ec=COLORS["vermillion"]))
    if col is not None:
        ax.add_patch(Rectangle((col - 0.5, -0.5), 1, n_rows, fill=False, lw=3.5, ec=COLORS["vermillion"]))


def draw_formula(tokens: Sequence[str], X, W_Q, W_K, W_V, part: str = "Q", token: str | None = None) -> plt.Figure:
    """softmax(Q·Kᵀ/√d_k)·V as five labelled matrices, the chosen part and token highlighted."""
    token = tokens[-1] if token is None else token
    i = _check(tokens, X, part, token)
    Q, K, V, w, out = _qkv(X, W_Q, W_K, W_V)
    dims = [f"d{j + 1}" for j in range(Q.shape[1])]
    vdims = [f"d{j + 1}" for j in range(V.shape[1])]
    fig, axes = plt.subplots(1, 5, figsize=(15, 3.4), gridspec_kw={"width_ratios": [4, 3, 3, 4, 4]})
    panels = [
        (Q, tokens, dims, f"Q {Q.shape}", "Q"),
        (K.T, dims, tokens, f"Kᵀ {K.T.shape}", "K"),
        (w, tokens, tokens, f"softmax(QKᵀ/√{Q.shape[1]}) {w.shape}", None),
        (V, tokens, vdims, f"V {V.shape}", "V"),
        (out, tokens, vdims, f"output {out.shape}", None),
    ]
    lim = max(abs(Q).max(), abs(K).max(), abs(V).max(), abs(out).max())
    for ax, (m, rows, cols, title, name) in zip(axes, panels, strict=True):
        is_weights = m is w
        heatmap(m, rows, cols, ax=ax, title=title, colorbar=False, fmt=".2f",
                cmap="viridis" if is_weights else "cividis",
                vmin=0 if is_weights else -lim, vmax=1 if is_weights else lim,
                highlight=COLORS["vermillion"] if name == part else None)
        if name == part:
            ax.title.set_color(COLORS["vermillion"])
    if part == "Q":
        _frame(axes[0], row=i, shape=Q.shape)
        _frame(axes[2], row=i, shape=w.shape)
        _frame(axes[4], row=i, shape=out.shape)
    elif part == "K":
        _frame(axes[1], col=i, shape=K.T.shape)
        _frame(axes[2], col=i, shape=w.shape)
    else:
        _frame(axes[3], row=i, shape=V.shape)
        _frame(axes[2], col=i, shape=w.shape)
    axes[2].set_xlabel("key (attended to)")
    axes[2].set_ylabel("query (attending)")
    fig.suptitle(f"Attention(Q, K, V) = softmax(Q·Kᵀ/√d_k)·V — following the {part} of “{token}”",
                 fontweight="bold")
    return fig


def make_formula_explorer(tokens: Sequence[str], X, W_Q, W_K, W_V, part: str = "Q", token: str | None = None):
    """Buttons for Q, K, V and a token picker; returns ``(ui, state)``."""
    token = tokens[-1] if token is None else token
    _check(tokens, X, part, token)
    state: dict = {
        "part": widgets.ToggleButtons(options=list(PARTS), value=part, description="Click:"),
        "token": widgets.Dropdown(options=list(tokens), value=token, description="Token:"),
        "explanation": widgets.HTML(),
        "output": widgets.Output(),
        "figure": None,
    }

    def update(_=None) -> None:
        p, t = state["part"].value, state["token"].value
        state["explanation"].value = explain(tokens, X, W_Q, W_K, W_V, p, t)
        state["figure"] = draw_formula(tokens, X, W_Q, W_K, W_V, p, t)
        show_figure(state["output"], state["figure"])

    state["part"].observe(update, names="value")
    state["token"].observe(update, names="value")
    update()
    ui = widgets.VBox([widgets.HBox([state["part"], state["token"]]), state["explanation"], state["output"]])
    return ui, state
