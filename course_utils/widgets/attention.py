"""The interactive attention formula (notebook 04): click Q, K or V to see what that vector does."""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from course_utils import _validate as check
from course_utils.attention import attention
from course_utils.plotting import COLORS, heatmap
from course_utils.widgets import show_figure

__all__ = ["draw_formula", "explain_vector", "formula_alt", "make_formula_explorer"]

PARTS = ("Q", "K", "V")


def _qkv(X, W_Q, W_K, W_V) -> tuple[np.ndarray, ...]:
    """Queries, keys, values, attention weights and output for embeddings X."""
    Q, K, V = X @ W_Q, X @ W_K, X @ W_V  # (n, d_k), (n, d_k), (n, d_v)
    out, weights = attention(Q, K, V)
    return Q, K, V, weights, out


def _token_index(tokens, X, W_Q, W_K, W_V, part, token) -> tuple:
    """The explorer's inputs checked: tokens, X and (W_Q, W_K, W_V) as floats, ``token``'s index."""
    tokens = check.strings(tokens, "tokens")
    X = check.float_array(X, "X", ndim=2)
    check.require(
        len(tokens) == X.shape[0],
        f"{len(tokens)} tokens but X has {X.shape[0]} rows: give one embedding per token",
    )
    Ws = []
    for name, W in (("W_Q", W_Q), ("W_K", W_K), ("W_V", W_V)):
        Ws.append(W := check.float_array(W, name, ndim=2))
        check.require(
            W.shape[0] == X.shape[1],
            f"{name} has {W.shape[0]} rows but X has {X.shape[1]} features: X @ {name} needs "
            f"{name}.shape[0] == X.shape[1]",
        )
    check.require(
        Ws[0].shape[1] == Ws[1].shape[1],
        f"W_Q gives d_k={Ws[0].shape[1]} but W_K gives d_k={Ws[1].shape[1]}: queries and keys "
        "must have the same width",
    )
    check.one_of(part, "part", PARTS)
    check.instance_of(token, "token", str, hint=f"Pick one of {tokens}.")
    check.require(token in tokens, f"token {token!r} is not in the sentence {tokens}")
    return tokens, X, Ws, tokens.index(token)


def _last(tokens):
    """The last token, the explorer's default choice (None when there is none to take)."""
    return tokens[-1] if isinstance(tokens, (list, tuple)) and tokens else None


def _fmt(v: np.ndarray) -> str:
    return "[" + ", ".join(f"{x:.2f}" for x in np.atleast_1d(v)) + "]"


def explain_vector(tokens: Sequence[str], X, W_Q, W_K, W_V, part: str, token: str) -> str:
    """What the chosen vector (Q, K or V of ``token``) does, with this example's numbers (HTML)."""
    tokens, X, (W_Q, W_K, W_V), i = _token_index(tokens, X, W_Q, W_K, W_V, part, token)
    Q, K, V, w, out = _qkv(X, W_Q, W_K, W_V)
    d_k = Q.shape[1]
    t = f"<b>{token}</b>"
    if part == "Q":
        scores = Q[i] @ K.T
        return (
            f"<b>Query</b> q = x·W_Q. The query of {t} is {_fmt(Q[i])}: it encodes what {t} is "
            f"<i>looking for</i>. It is compared with every key by a dot product: scores "
            f"{_fmt(scores)}, divided by √d_k = {np.sqrt(d_k):.2g}, then softmax gives {t}'s "
            f"attention weights {_fmt(w[i])} over ({', '.join(tokens)}). Framed: row {t} of Q, "
            "of the weights and of the output."
        )
    if part == "K":
        return (
            f"<b>Key</b> k = x·W_K. The key of {t} is {_fmt(K[i])}: it advertises what {t} "
            f"<i>offers</i>, so that queries can find it. Every query is compared with it: column "
            f"{t} of the weights, {_fmt(w[:, i])}, says how much each token attends to {t}, and "
            "so how much of its value each output row takes. Framed: column k of Kᵀ and of the "
            "weights, and every output row."
        )
    return (
        f"<b>Value</b> v = x·W_V. The value of {t} is {_fmt(V[i])}: it is what {t} "
        f"<i>hands over</i> once it is attended to. Each output row is the weighted sum "
        f"Σⱼ wᵢⱼ·vⱼ, so {t}'s value enters every output with the weights {_fmt(w[:, i])}. "
        "Framed: row v of V, the column of the weights, and every output row."
    )


def formula_alt(
    tokens: Sequence[str], X, W_Q, W_K, W_V, part: str = "Q", token: str | None = None
) -> str:
    """The formula figure's alt text: one sentence on what the chosen vector does, with numbers."""
    token = _last(tokens) if token is None else token
    tokens, X, (W_Q, W_K, W_V), i = _token_index(tokens, X, W_Q, W_K, W_V, part, token)
    _, _, _, w, _ = _qkv(X, W_Q, W_K, W_V)
    if part == "Q":
        top = tokens[int(w[i].argmax())]
        return (
            f"The query of “{token}” gives the weights {_fmt(w[i])} to ({', '.join(tokens)}), "
            f"most to “{top}”, so its output row is mostly the value of “{top}”."
        )
    role = "key" if part == "K" else "value"
    return (
        f"Column “{token}” of the weights, {_fmt(w[:, i])}, says how much each token takes of "
        f"the {role} of “{token}”; every output row uses it."
    )


def _frame(ax, row: int | None = None, col: int | None = None, shape=(1, 1)) -> None:
    """A thick box around one row, one column, or (neither given) the whole matrix."""
    n_rows, n_cols = shape
    x, y, w, h = -0.5, -0.5, n_cols, n_rows
    if row is not None:
        y, h = row - 0.5, 1
    if col is not None:
        x, w = col - 0.5, 1
    ax.add_patch(Rectangle((x, y), w, h, fill=False, lw=3.5, ec=COLORS["vermillion"]))


def _formula_axes(fig, Q, K, V, d_k: int) -> list:
    """Five axes with square cells in a row, and the formula's operators in the gaps between.

    Placed by hand (inches): a layout engine would triple the widget's update time."""
    width, height = fig.get_size_inches()
    cols = [Q.shape[1], K.shape[0], K.shape[0], V.shape[1], V.shape[1]]
    rows = [Q.shape[0], K.shape[1], Q.shape[0], K.shape[0], Q.shape[0]]
    gaps = [0.75, 1.45, 1.0, 0.45]  # room for "·", "→ softmax(·/√d_k) →", "·", "="
    left, right = 0.85, 0.1
    unit = min((width - left - right - sum(gaps)) / sum(cols), (height - 1.6) / max(rows))
    operators = ("·", f"$\\to$ softmax($\\cdot/\\sqrt{{{d_k}}}$) $\\to$", "·", "=")
    x, axes, mid = left, [], 0.5 * height  # the rows' centre line, in inches
    for k, (c, r) in enumerate(zip(cols, rows, strict=True)):
        box = [x / width, (mid - r * unit / 2) / height, c * unit / width, r * unit / height]
        axes.append(fig.add_axes(box))
        x += c * unit
        if k < len(gaps):
            label_room = {0: 0.3, 2: 0.6}.get(k, 0.0)  # the row labels of Kᵀ and V end gaps 0, 2
            size = 9 if k == 1 else 20
            fig.text((x + (gaps[k] - label_room) / 2) / width, mid / height, operators[k],
                     ha="center", va="center", fontsize=size)  # fmt: skip
            x += gaps[k]
    return axes


def draw_formula(
    tokens: Sequence[str], X, W_Q, W_K, W_V, part: str = "Q", token: str | None = None
) -> plt.Figure:
    """softmax(Q·Kᵀ/√d_k)·V as five labelled matrices with the operators between them; the
    chosen part and the chosen token's row or column framed."""
    token = _last(tokens) if token is None else token
    tokens, X, (W_Q, W_K, W_V), i = _token_index(tokens, X, W_Q, W_K, W_V, part, token)
    Q, K, V, w, out = _qkv(X, W_Q, W_K, W_V)
    d_k = Q.shape[1]
    dims = [f"d{j + 1}" for j in range(d_k)]
    vdims = [f"d{j + 1}" for j in range(V.shape[1])]
    fig = plt.figure(figsize=(10.8, 3.3), layout="none")
    fig.set_layout_engine("none")  # also where rcParams (or a notebook backend) ask for one
    mats = _formula_axes(fig, Q, K, V, d_k)
    panels = [
        (Q, tokens, dims, f"$Q$ {Q.shape}", "Q"),
        (K.T, dims, tokens, f"$K^T$ {K.T.shape}", "K"),
        (w, tokens, tokens, f"weights {w.shape}", None),
        (V, tokens, vdims, f"$V$ {V.shape}", "V"),
        (out, tokens, vdims, f"output {out.shape}", None),
    ]
    lim = max(abs(Q).max(), abs(K).max(), abs(V).max(), abs(out).max())
    for ax, (m, rows, cols, title, name) in zip(mats, panels, strict=True):
        is_weights = m is w
        whole = np.allclose(m, np.round(m))
        heatmap(m, rows, cols, ax=ax, title=title, colorbar=False,
                fmt=".0f" if whole and not is_weights else ".2f",
                cmap="viridis" if is_weights else "RdBu_r",
                vmin=0 if is_weights else -lim, vmax=1 if is_weights else lim,
                highlight=COLORS["vermillion"] if name == part else None)  # fmt: skip
        if name == part:
            ax.title.set_color(COLORS["vermillion"])
    if part == "Q":
        _frame(mats[0], row=i, shape=Q.shape)
        _frame(mats[2], row=i, shape=w.shape)
        _frame(mats[4], row=i, shape=out.shape)
    else:
        if part == "K":
            _frame(mats[1], col=i, shape=K.T.shape)
        else:
            _frame(mats[3], row=i, shape=V.shape)
        _frame(mats[2], col=i, shape=w.shape)
        _frame(mats[4], shape=out.shape)
    for ax in (mats[2], mats[4]):  # the same rows as Q: one set of query labels is enough
        ax.set_yticklabels([])
    mats[2].set_xlabel("key (attended to)")
    mats[0].set_ylabel("query (attending)")
    fig.suptitle(
        f"Attention(Q, K, V) = softmax(Q·Kᵀ/√d_k)·V — following the {part} of “{token}”",
        fontweight="bold",
    )
    return fig


def make_formula_explorer(
    tokens: Sequence[str], X, W_Q, W_K, W_V, part: str = "Q", token: str | None = None
):
    """Buttons for Q, K, V and a token picker; returns ``(ui, state)``."""
    token = _last(tokens) if token is None else token
    tokens, X, (W_Q, W_K, W_V), _ = _token_index(tokens, X, W_Q, W_K, W_V, part, token)
    state: dict = {
        "part": widgets.ToggleButtons(options=list(PARTS), value=part, description="Click:"),
        "token": widgets.Dropdown(options=list(tokens), value=token, description="Token:"),
        "explanation": widgets.HTML(),
        "output": widgets.Output(),
        "figure": None,
    }

    def update(_=None) -> None:
        p, t = state["part"].value, state["token"].value
        state["explanation"].value = explain_vector(tokens, X, W_Q, W_K, W_V, p, t)
        state["figure"] = draw_formula(tokens, X, W_Q, W_K, W_V, p, t)
        show_figure(state["output"], state["figure"], formula_alt(tokens, X, W_Q, W_K, W_V, p, t))

    state["part"].observe(update, names="value")
    state["token"].observe(update, names="value")
    update()
    controls = widgets.HBox([state["part"], state["token"]])
    return widgets.VBox([controls, state["explanation"], state["output"]]), state
