"""Fill in the [MASK]: type a sentence, see the tiny BERT's top-k words next to the grammar's
true probabilities (notebook 08). The static figure and the live widget are the same drawing."""

from __future__ import annotations

import html

import ipywidgets as w
import matplotlib.pyplot as plt

from course_utils import _validate as v
from course_utils.bert import TinyBert, Tokenizer, fill_mask
from course_utils.corpus import grammar_fill
from course_utils.plotting import COLORS
from course_utils.widgets import show_figure

__all__ = ["draw_fill", "fill_figure", "make_fill_mask"]


def draw_fill(
    ax: plt.Axes,
    model: TinyBert,
    tok: Tokenizer,
    sentence: str,
    k: int = 5,
    words: list[str] | None = None,
) -> list[tuple[str, float]]:
    """On ``ax``: the model's probability of its top-k words (bars) and the grammar's true
    probability of the same words (black ticks). ``words`` plots those words instead of the
    model's top k. Returns the (word, model probability) pairs drawn, most likely first."""
    sentence, k = v.bert_masked_sentence(model, tok, sentence, k)
    words = None if words is None else sorted(v.bert_words(words, "words"))
    ranked = fill_mask(model, tok, sentence, k=len(tok) - tok.n_special)  # every word, once
    if words is None:
        shown = ranked[:k]
    else:
        everything = dict(ranked)
        shown = sorted(((w_, everything[w_]) for w_ in words), key=lambda item: -item[1])
    try:
        truth = grammar_fill(sentence)
    except ValueError:  # a sentence the grammar never writes: no true probabilities to show
        truth = None
    names = [word for word, _ in shown][::-1]
    ax.barh(names, [p for _, p in shown][::-1], color=COLORS["blue"], label="model")
    if truth is not None:
        ax.scatter(
            [truth.get(word, 0.0) for word in names],
            names,
            marker="|",
            s=300,
            color="black",
            zorder=3,
            label="grammar (true)",
            clip_on=False,
        )
    top = max([p for _, p in shown] + ([truth.get(n, 0.0) for n in names] if truth else []))
    ax.set_xlim(0, max(0.1, 1.15 * top))
    ax.set_title(sentence.replace("[MASK]", "___"), fontsize=10)
    ax.set_xlabel("probability")
    if truth is None:
        ax.text(
            0.98,
            0.02,
            "the grammar never writes this sentence",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=8,
            color=COLORS["vermillion"],
        )
    return shown


def fill_figure(
    model: TinyBert, tok: Tokenizer, sentence: str, k: int = 5
) -> tuple[plt.Figure, list[tuple[str, float]], str]:
    """The fill-mask figure for one sentence: (figure, top-k, alt text)."""
    sentence, k = v.bert_masked_sentence(model, tok, sentence, k)
    fig, ax = plt.subplots(figsize=(6.5, 0.45 * k + 1.4))
    top = draw_fill(ax, model, tok, sentence, k)
    ax.legend(loc="lower right", fontsize=9)
    alt = (
        f"For '{sentence}' the model's top {k} words are "
        + ", ".join(f"{word} {p:.2f}" for word, p in top)
        + "; black ticks mark the "
        "grammar's true probabilities of the same words."
    )
    return fig, top, alt


def make_fill_mask(
    model: TinyBert, tok: Tokenizer, sentence: str = "the cook slices the [MASK]", k: int = 5
) -> tuple[w.Widget, dict]:
    """A text box and a k slider; the figure shows the model's top-k words for the [MASK]
    beside the grammar's true probabilities (the same figure as ``fill_figure``)."""
    v.bert_model(model), v.bert_tokenizer(tok)
    v.require(
        v.positive_int(k, "k") <= 10, f"k must be between 1 and 10 (the slider's range), got {k}"
    )
    text = w.Text(
        value=v.bert_sentence(sentence, "sentence"),
        description="sentence",
        continuous_update=False,
        layout=w.Layout(width="480px"),
    )
    k_slider = w.IntSlider(value=v.positive_int(k, "k"), min=1, max=10, description="top k")
    out = w.Output()
    message = w.HTML()
    state = {"text": text, "k": k_slider, "output": out, "message": message}
    state.update(result=[], error=None, alt="")  # what the last update showed

    def update(_=None) -> None:
        """Draw the figure for the box's sentence, or say what to change."""
        try:
            fig, top, alt = fill_figure(model, tok, text.value.strip(), k_slider.value)
        except (TypeError, ValueError) as exc:
            state["result"], state["error"] = [], str(exc)
            message.value = (
                f"<div style='color:{COLORS['vermillion']}'>⚠ {html.escape(str(exc))}</div>"
            )
            return
        state["result"], state["error"], state["alt"] = top, None, alt
        message.value = ""
        show_figure(out, fig, alt)

    text.observe(update, names="value")
    k_slider.observe(update, names="value")
    update()
    hint = w.HTML(
        "Type a sentence with one <code>[MASK]</code>, using the corpus's words "
        "(press Enter to update)."
    )
    return w.VBox([hint, text, k_slider, message, out]), state
