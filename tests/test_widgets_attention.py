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
