"""The fill-in-the-[MASK] box draws the same figure as its static state, reacts to its controls
quickly, and explains bad sentences."""

from __future__ import annotations

import time

import matplotlib.pyplot as plt
import pytest
import torch

from course_utils.bert import TinyBert, Tokenizer
from course_utils.widgets.bert import draw_fill, fill_figure, make_fill_mask

SENTENCES = ["the cook slices the pear", "the driver parks the car", "the cook eats the pear"]


def _model():
    torch.manual_seed(0)
    tok = Tokenizer(SENTENCES)
    return TinyBert(len(tok), d_model=16, n_heads=2, n_layers=1, d_ff=32), tok


def _png(out):
    (item,) = out.outputs
    return item["data"]["image/png"], item["data"]["text/plain"]


def test_box_shows_top_k_and_updates():
    model, tok = _model()
    ui, state = make_fill_mask(model, tok, "the cook slices the [MASK]", k=3)
    assert len(state["result"]) == 3 and state["error"] is None
    png, alt = _png(state["output"])
    assert png and "top 3 words" in alt
    state["k"].value = 5
    assert len(state["result"]) == 5 and "top 5 words" in _png(state["output"])[1]
    state["text"].value = "the [MASK] parks the car"
    assert "the [MASK] parks the car" in state["alt"] and len(state["result"]) == 5


def test_live_state_is_the_static_figure():
    model, tok = _model()
    _, state = make_fill_mask(model, tok, "the cook slices the [MASK]", k=4)
    fig, top, alt = fill_figure(model, tok, "the cook slices the [MASK]", k=4)
    plt.close(fig)
    assert state["result"] == top and state["alt"] == alt


def test_box_explains_bad_sentences_and_keeps_the_last_figure():
    model, tok = _model()
    ui, state = make_fill_mask(model, tok)
    before = _png(state["output"])
    state["text"].value = "the cook slices the unicorn"
    assert state["result"] == [] and "exactly one [MASK]" in state["message"].value
    state["text"].value = "the unicorn slices the [MASK]"
    assert "unknown word" in state["error"] and "⚠" in state["message"].value
    assert _png(state["output"]) == before
    state["text"].value = "the cook slices the [MASK]"
    assert state["message"].value == "" and state["error"] is None


def test_grammar_ticks_and_sentences_the_grammar_never_writes():
    torch.manual_seed(0)
    tok = Tokenizer(
        ["the cook slices the pear", "the cook eats the plum", "an owl is a kind of animal"]
    )
    model = TinyBert(len(tok), d_model=16, n_heads=2, n_layers=1, d_ff=32)
    fig, ax = plt.subplots()
    shown = draw_fill(ax, model, tok, "the cook slices the [MASK]", words=["pear", "plum"])
    assert {w for w, _ in shown} == {"pear", "plum"} and len(ax.collections) == 1  # the ticks
    fig2, ax2 = plt.subplots()
    draw_fill(ax2, model, tok, "the pear slices the [MASK]", k=2)
    assert "never writes" in " ".join(t.get_text() for t in ax2.texts)
    plt.close("all")


def test_update_is_fast():
    model, tok = _model()
    _, state = make_fill_mask(model, tok, "the cook slices the [MASK]", k=5)
    start = time.process_time()  # CPU time: a busy machine must not fail the test
    for k in (3, 7, 5, 9):
        state["k"].value = k
    per_update = (time.process_time() - start) / 4
    assert per_update < 0.25, per_update


def test_bad_arguments_are_named():
    model, tok = _model()
    with pytest.raises(TypeError, match="TinyBert"):
        make_fill_mask("model", tok)
    with pytest.raises(TypeError, match="one sentence"):
        make_fill_mask(model, tok, ["the [MASK]"])
