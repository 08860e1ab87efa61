"""The alignment explorer of notebook 02 responds to its controls (driven without a browser)."""

from __future__ import annotations

import time

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_utils.bahdanau import alignment_examples
from course_utils.seq2seq import make_model
from course_utils.toy_tasks import SequenceTask
from course_utils.widgets.bahdanau import (
    alignment_alt,
    describe_step,
    draw_alignment,
    make_alignment_explorer,
)


@pytest.fixture(scope="module")
def task():
    return SequenceTask("reverse", n_symbols=5, max_length=6, seed=0)


@pytest.fixture(scope="module")
def examples(task):
    model = make_model("attention", task, seed=0, emb_dim=4, enc_hidden=4, dec_hidden=8, attn_dim=4)
    return alignment_examples(model, task, length=5, n_examples=3)


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
    assert len(state["figure"].axes) == 3  # heatmap, its colour bar, the step's bars


def test_alignment_explorer_renders_through_its_output_only(examples):
    _, state = make_alignment_explorer(examples, step=1)
    state["step"].value = 2
    assert plt.get_fignums() == []
    (shown,) = state["output"].outputs
    assert "image/png" in shown["data"]
    assert shown["data"]["text/plain"] == state["alt"] == alignment_alt(examples, 0, 2)
    assert "step 2 puts weight" in state["alt"]


def test_alignment_explorer_updates_within_250_ms(examples):
    """The median update, so that one of Python's full garbage collections does not decide."""
    _, state = make_alignment_explorer(examples)
    seconds = []
    for step in (1, 2, 3, 1, 2, 3, 1):
        start = time.process_time()
        state["step"].value = step
        seconds.append(time.process_time() - start)
    assert sorted(seconds)[len(seconds) // 2] <= 0.25


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


# ------------------------------------------------------------------ fuzz: every bad input is named
def test_fuzz_the_alignment_figures(examples):
    from fuzz import assert_all_kind, fuzz

    from course_utils.widgets.bahdanau import draw_attention_step

    choice = {"examples": examples, "example": 0, "step": 1}
    first = [("example", "0"), ("step", "0")]  # example 0 and step 0 exist
    reports = [
        fuzz(draw_alignment, choice, allowed=first + [("step", "None")]),
        fuzz(describe_step, choice, allowed=first),
        fuzz(alignment_alt, choice, allowed=first + [("step", "None")]),
        fuzz(make_alignment_explorer, choice, allowed=first),
        fuzz(
            draw_attention_step, {"tokens": ["Der", "schlaue", "Fuchs"], "weights": [0.2, 0.5, 0.3]}
        ),
    ]
    plt.close("all")
    assert_all_kind(*reports)
