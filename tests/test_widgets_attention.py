"""The interactive attention formula reacts to clicks on Q, K and V, without a browser."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils.widgets.attention import draw_formula, explain_vector, make_formula_explorer  # noqa: E402

TOKENS = ["Der", "schlaue", "Fuchs"]
X = np.array([[2.0, 0, 0, 0], [0, 1, 1, 0], [0, 2, 0, 0]])
W = np.eye(4)


def framed_titles(fig):
    return [ax.get_title() for ax in fig.axes if any(s.get_visible() for s in ax.spines.values())]


def test_clicking_q_k_v_changes_explanation_and_highlight():
    ui, st = make_formula_explorer(TOKENS, X, W, W, W)
    assert "Query" in st["explanation"].value and "Fuchs" in st["explanation"].value
    assert framed_titles(st["figure"]) == ["$Q$ (3, 4)"]
    st["part"].value = "K"
    assert "Key" in st["explanation"].value
    assert framed_titles(st["figure"]) == ["$K^T$ (4, 3)"]
    st["part"].value = "V"
    st["token"].value = "Der"
    assert "Value" in st["explanation"].value and "<b>Der</b>" in st["explanation"].value
    assert framed_titles(st["figure"]) == ["$V$ (3, 4)"]


def test_explanation_quotes_the_weights():
    text = explain_vector(TOKENS, X, W, W, W, "Q", "Fuchs")
    assert "attention weights [" in text


@pytest.mark.parametrize(
    "kwargs,message",
    [({"part": "Z"}, "part must be one of"), ({"token": "Hund"}, "not in the sentence")],
)
def test_bad_choices_are_explained(kwargs, message):
    with pytest.raises(ValueError, match=message):
        draw_formula(TOKENS, X, W, W, W, **kwargs)


def test_token_count_must_match_embeddings():
    with pytest.raises(ValueError, match="one embedding per token"):
        make_formula_explorer(["Der", "Fuchs"], X, W, W, W)


WIDGET_FUNCTIONS = ["draw_formula", "explain_vector", "formula_alt", "make_formula_explorer"]


@pytest.mark.parametrize("name", WIDGET_FUNCTIONS)
def test_fuzz_the_widget_functions(name):
    """Every argument of every public function, in turn, given the fuzz's bad values."""
    import matplotlib.pyplot as plt
    from fuzz import assert_all_kind, fuzz

    import course_utils.widgets.attention as module

    valid = {"tokens": TOKENS, "X": X, "W_Q": W, "W_K": W, "W_V": W, "part": "K", "token": "Der"}
    same = [(a, s) for a in ("X", "W_Q", "W_K", "W_V") for s in ("a list", "float32", "int")]
    allowed = [*same, ("token", "None"), ("tokens", "a tuple")]
    report = fuzz(getattr(module, name), valid, allowed=allowed, name=name, timeout=30)
    plt.close("all")
    assert_all_kind(report)


def test_the_widget_fuzz_covers_every_public_function():
    from fuzz import public_callables

    import course_utils.widgets.attention as module

    assert public_callables(module) == WIDGET_FUNCTIONS


def test_an_update_costs_little_cpu():
    """Python side of one click: draw and render (CPU time, so a busy machine reads the same)."""
    import statistics
    import time

    _, st = make_formula_explorer(TOKENS, X, W, W, W)
    cpu = []
    for part in ["K", "V", "Q"] * 2:
        start = time.process_time()
        st["part"].value = part
        cpu.append((time.process_time() - start) * 1000)
    assert statistics.median(cpu) < 500  # measured ≈ 150 ms; a layout engine would triple it


def test_the_widget_figure_carries_alt_text():
    _, st = make_formula_explorer(TOKENS, X, W, W, W, part="V", token="Der")
    [shown] = st["output"].outputs
    assert shown["data"]["text/plain"].startswith("Column “Der” of the weights")
