"""The explorers of notebooks 01 and 02 respond to their controls (driven without a browser)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils.seq2seq import make_model  # noqa: E402
from course_utils.toy_tasks import SequenceTask  # noqa: E402
from course_utils.widgets.alignment import (  # noqa: E402
    alignment_examples,
    describe_step,
    draw_alignment,
    make_alignment_explorer,
)
from course_utils.widgets.rnn import (  # noqa: E402
    draw_gradient_curves,
    make_distance_explorer,
    make_length_explorer,
    predictions_html,
    shrink_text,
)

DISTANCES = [1, 10, 20]
CURVES = {"tanh RNN": [1.0, 1e-3, 1e-6], "LSTM": [0.5, 0.4, 0.3]}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def task():
    return SequenceTask("reverse", n_symbols=5, max_length=6, seed=0)


@pytest.fixture(scope="module")
def examples(task):
    model = make_model("attention", task, seed=0, emb_dim=4, enc_hidden=4, dec_hidden=8, attn_dim=4)
    return alignment_examples(model, task, length=5, n_examples=3)


# ------------------------------------------------------------------ 01: distance explorer
def test_distance_explorer_follows_the_slider():
    ui, state = make_distance_explorer(DISTANCES, CURVES)
    assert state["distance"].value == 20 and "1e+06×" in state["text"].value
    first = state["figure"]
    state["distance"].value = 10
    assert "At distance <b>10</b>" in state["text"].value and "1e+03×" in state["text"].value
    assert state["figure"] is not first
    assert ui.children


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
    with pytest.raises(ValueError, match="empty"):
        draw_gradient_curves(DISTANCES, {})


# ------------------------------------------------------------------ 01: length explorer
def test_length_explorer_follows_the_slider(task):
    model = make_model("baseline", task, emb_dim=4, enc_hidden=4, dec_hidden=8)
    ui, state = make_length_explorer(model, task, [2, 6], n_examples=3)
    assert "Tokens right at length 2" in state["table"].value
    state["length"].value = 6
    assert "Tokens right at length 6" in state["table"].value
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


# ------------------------------------------------------------------ 02: alignment explorer
def test_alignment_examples_shapes(examples):
    assert examples["src"].shape == examples["pred"].shape == (3, 5)
    assert examples["weights"].shape == (3, 5, 5)
    np.testing.assert_allclose(examples["weights"].sum(-1), 1, rtol=1e-5)


def test_alignment_explorer_follows_both_sliders(examples):
    ui, state = make_alignment_explorer(examples)
    np.testing.assert_array_equal(state["weights"], examples["weights"][0][0])
    state["step"].value = 3
    np.testing.assert_array_equal(state["weights"], examples["weights"][0][3])
    assert "Output step <b>3</b>" in state["text"].value
    state["example"].value = 2
    np.testing.assert_array_equal(state["weights"], examples["weights"][2][3])
    assert len(state["figure"].axes) == 2


def test_alignment_figure_has_token_labels(examples):
    fig = draw_alignment(examples, example=1)
    ax = fig.axes[0]
    src_labels = [t.get_text() for t in ax.get_xticklabels()]
    assert src_labels == [f"{t}\n{j}" for j, t in enumerate(examples["src"][1])]
    out_labels = [t.get_text() for t in ax.get_yticklabels()]
    assert out_labels == [f"{i}: {t}" for i, t in enumerate(examples["pred"][1])]


def test_step_panel_title_names_where_the_step_looked(examples):
    fig = draw_alignment(examples, example=1, step=2)
    top = int(np.argmax(examples["weights"][1][2]))
    title = fig.axes[1].get_title()
    assert f"Step 2 writes '{examples['pred'][1][2]}'" in title
    assert f"position {top} ('{examples['src'][1][top]}')" in title


def test_describe_step_names_the_ideal_position(examples):
    text = describe_step(examples, 0, 0)
    assert "weight on the ideal position" in text
    with pytest.raises(ValueError, match="step must be between 0 and 4"):
        describe_step(examples, 0, 5)
    with pytest.raises(ValueError, match="example must be between 0 and 2"):
        make_alignment_explorer(examples, example=3)


def test_alignment_needs_an_attention_model(task):
    with pytest.raises(ValueError, match="no attention"):
        alignment_examples(make_model("baseline", task), task, 4)
