"""Fill in the [MASK]: type a sentence, see the tiny BERT's top-k words with their probabilities."""

from __future__ import annotations

import html

import ipywidgets as w

from course_utils.bert import TinyBert, Tokenizer, fill_mask
from course_utils.plotting import COLORS

__all__ = ["make_fill_mask", "topk_html"]


def topk_html(sentence: str, top: list[tuple[str, float]]) -> str:
    """An HTML table of the top-k words, each with a bar as long as its probability."""
    rows = "".join(
        f"<tr><td style='padding:2px 8px'><b>{html.escape(word)}</b></td>"
        f"<td style='padding:2px 8px;width:260px'><div style='background:{COLORS['blue']};"
        f"height:14px;width:{max(1, round(240 * p))}px'></div></td>"
        f"<td style='padding:2px 8px;text-align:right'>{p:.1%}</td></tr>"
        for word, p in top
    )
    return (f"<div><i>{html.escape(sentence)}</i></div>"
            f"<table style='border-collapse:collapse'>{rows}</table>")


def make_fill_mask(model: TinyBert, tok: Tokenizer, sentence: str = "the cook slices the [MASK]",
                   k: int = 5) -> tuple[w.Widget, dict]:
    """A text box and a k slider; the table shows the model's top-k words for the [MASK]."""
    text = w.Text(value=sentence, description="sentence", continuous_update=False,
                  layout=w.Layout(width="480px"))
    k_slider = w.IntSlider(value=k, min=1, max=10, description="top k")
    table = w.HTML()
    state = {"text": text, "k": k_slider, "table": table, "result": [], "error": None}

    def update(_=None) -> None:
        """Run fill_mask on the box's sentence; show the table, or say what to change."""
        try:
            top = fill_mask(model, tok, text.value.strip(), k_slider.value)
        except ValueError as exc:
            state["result"], state["error"] = [], str(exc)
            table.value = f"<div style='color:{COLORS['vermillion']}'>⚠ {html.escape(str(exc))}</div>"
            return
        state["result"], state["error"] = top, None
        table.value = topk_html(text.value.strip(), top)

    text.observe(update, names="value")
    k_slider.observe(update, names="value")
    update()
    hint = w.HTML("Type a sentence with one <code>[MASK]</code>, using the corpus's words "
                  "(press Enter to update).")
    return w.VBox([hint, text, k_slider, table]), state
