"""The explorers of notebook 01 respond to their controls (driven without a browser)."""

from __future__ import annotations

import time

import matplotlib.pyplot as plt
import pytest

from course_utils.seq2seq import make_model
from course_utils.toy_tasks import SequenceTask
from course_utils.widgets.rnn import (
    draw_distance_reading,
    draw_gradient_curves,
    make_distance_explorer,
    make_length_explorer,
    predictions_html,
    shrink_text,
)

DISTANCES = [1, 10, 20]
CURVES = {"tanh RNN": [1.0, 1e-3, 1e-6], "LSTM": [0.5, 0.4, 0.3]}


@pytest.fixture(scope="module")
def task():
    return SequenceTask("reverse", n_symbols=5, max_length=6, seed=0)


# ------------------------------------------------------------------ 01: distance explorer
def test_distance_explorer_follows_the_slider():
    ui, state = make_distance_explorer(DISTANCES, CURVES)
    assert state["distance"].value == 20 and "1e+06×" in state["text"].value
    first = state["output"].outputs[0]["data"]["image/png"]
    state["distance"].value = 10
    assert "At distance <b>10</b>" in state["text"].value and "1e+03×" in state["text"].value
    assert state["output"].outputs[0]["data"]["image/png"] != first
    assert state["figure"].axes[1].get_title() == "What is left of token 1 after 10 steps"
    assert ui.children


def test_distance_explorer_renders_through_its_output_only():
    """No figure is left open to leak under the next cell; the Output holds one PNG, alt text."""
    _, state = make_distance_explorer(DISTANCES, CURVES, distance=10)
    state["distance"].value = 20
    assert plt.get_fignums() == []
    (shown,) = state["output"].outputs
    assert "image/png" in shown["data"] and "tanh RNN" in shown["data"]["text/plain"]
    assert "20 steps" in state["alt"]


def test_distance_figure_keeps_its_axis_fixed_while_the_bars_shrink():
    near, far = (draw_distance_reading(DISTANCES, CURVES, k) for k in (1, 20))
    assert near.axes[1].get_xlim() == far.axes[1].get_xlim()
    widths = [[bar.get_width() for bar in fig.axes[1].patches] for fig in (near, far)]
    assert widths[1][0] < widths[0][0]  # the tanh RNN's bar is shorter at distance 20
    assert near.get_size_inches()[0] <= 11


def test_distance_explorer_updates_within_250_ms():
    """The median update, so that one of Python's full garbage collections does not decide."""
    _, state = make_distance_explorer(DISTANCES, CURVES)
    seconds = []
    for k in (1, 10, 20, 1, 10, 20, 1):
        start = time.process_time()
        state["distance"].value = k
        seconds.append(time.process_time() - start)
    assert sorted(seconds)[len(seconds) // 2] <= 0.25


def test_gradient_curves_figure_is_log_scale_and_labelled():
    fig = draw_gradient_curves(DISTANCES, CURVES, marker=10)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_xlabel() and ax.get_title()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(CURVES)


def test_distance_explorer_validates():
    with pytest.raises(ValueError, match="at least two"):
        make_distance_explorer([1], {"a": [1.0]})
    with pytest.raises(ValueError, match="has 2 values for 3"):
        draw_gradient_curves(DISTANCES, {"a": [1.0, 2.0]})
    with pytest.raises(ValueError, match="not measured"):
        shrink_text(DISTANCES, CURVES, 7)
    with pytest.raises(TypeError, match="non-empty dict"):
        draw_gradient_curves(DISTANCES, {})
    with pytest.raises(TypeError, match="distances must be a list"):
        draw_gradient_curves("1 10 20", CURVES)
    with pytest.raises(ValueError, match="negative"):
        draw_gradient_curves(DISTANCES, {"a": [1.0, -1.0, 0.5]})
    with pytest.raises(TypeError, match="marker"):
        draw_gradient_curves(DISTANCES, CURVES, marker="10")


# ------------------------------------------------------------------ 01: length explorer
def test_length_explorer_follows_the_slider(task):
    model = make_model("baseline", task, emb_dim=4, enc_hidden=4, dec_hidden=8)
    ui, state = make_length_explorer(model, task, [2, 6], n_examples=3)
    assert "Tokens right at length 2" in state["table"].value
    state["length"].value = 6
    assert "Tokens right at length 6 (3 strings)" in state["table"].value
    assert state["table"].value.count("<tr>") == 4  # header + 3 examples
    assert 0 <= state["accuracy"] <= 1


def test_length_explorer_can_start_at_any_offered_length(task):
    model = make_model("baseline", task, emb_dim=4, enc_hidden=4, dec_hidden=8)
    _, state = make_length_explorer(model, task, [2, 4, 6], n_examples=2, length=4)
    assert state["length"].value == 4 and "Tokens right at length 4" in state["table"].value
    with pytest.raises(ValueError, match="not one of the slider's lengths"):
        make_length_explorer(model, task, [2, 4, 6], length=5)


def test_predictions_html_marks_wrong_tokens():
    html = predictions_html([[1, 2, 3]], [[3, 2, 1]], [[3, 0, 1]])
    assert "2/3" in html and html.count("font-weight:bold") == 1
    with pytest.raises(ValueError, match="same shape"):
        predictions_html([[1, 2]], [[1, 2, 3]], [[1, 2, 3]])


# ------------------------------------------------------------------ fuzz: every bad input is named
def test_fuzz_the_explorers_and_figures(task):
    from fuzz import assert_all_kind, fuzz

    d, curves = [1, 5, 9], {"a": [1.0, 0.1, 0.01], "b": [1.0, 0.9, 0.8]}
    model = make_model("baseline", task, emb_dim=4, enc_hidden=4, dec_hidden=8)
    markers = ["None", "0", "2.5", "0.0", "1e308", "as float", "huge"]  # any x position is fine
    reports = [
        fuzz(
            draw_gradient_curves,
            {"distances": d, "curves": curves, "marker": 5},
            allowed=[("marker", m) for m in markers],
        ),
        fuzz(shrink_text, {"distances": d, "curves": curves, "distance": 5}),
        fuzz(draw_distance_reading, {"distances": d, "curves": curves, "distance": 5}),
        fuzz(
            make_distance_explorer,
            {"distances": d, "curves": curves, "distance": 5},
            allowed=[("distance", "None")],
        ),
        fuzz(predictions_html, {"src": [[1, 2]], "tgt": [[2, 1]], "pred": [[2, 2]]}),
        fuzz(
            make_length_explorer,
            {
                "model": model,
                "task": task,
                "lengths": [2, 3],
                "n_examples": 2,
                "seed": 1,
                "length": 2,
            },
            allowed=[("length", "None"), ("seed", "0"), ("seed", "huge")],
        ),
    ]
    plt.close("all")
    assert_all_kind(*reports)
