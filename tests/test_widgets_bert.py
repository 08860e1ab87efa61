"""The fill-in-the-[MASK] box reacts to its controls and explains bad sentences."""

from __future__ import annotations

import torch

from course_utils.bert import TinyBert, Tokenizer
from course_utils.widgets.bert import make_fill_mask, topk_html


def _model():
    torch.manual_seed(0)
    tok = Tokenizer(["the cook slices the pear", "the driver parks the car"])
    return TinyBert(len(tok), d_model=16, n_heads=2, n_layers=1, d_ff=32), tok


def test_box_shows_top_k_and_updates():
    model, tok = _model()
    ui, state = make_fill_mask(model, tok, "the cook slices the [MASK]", k=3)
    assert len(state["result"]) == 3 and state["error"] is None
    assert state["table"].value.count("<tr>") == 3
    state["k"].value = 5
    assert len(state["result"]) == 5 and state["table"].value.count("<tr>") == 5
    state["text"].value = "the [MASK] parks the car"
    assert "the [MASK] parks the car" in state["table"].value and len(state["result"]) == 5


def test_box_explains_bad_sentences():
    model, tok = _model()
    ui, state = make_fill_mask(model, tok)
    state["text"].value = "the cook slices the unicorn"
    assert state["result"] == [] and "exactly one [MASK]" in state["table"].value
    state["text"].value = "the unicorn slices the [MASK]"
    assert "unknown word" in state["error"] and "⚠" in state["table"].value


def test_topk_html_escapes_and_scales():
    out = topk_html("a <b>", [("x<y", 0.5), ("z", 0.25)])
    assert "&lt;b&gt;" in out and "x&lt;y" in out and "50.0%" in out and "25.0%" in out
