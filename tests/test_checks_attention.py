"""check_attention accepts a right answer and names each typical mistake; it never crashes."""

import numpy as np
import pytest
import torch

from course_utils.attention import attention, softmax
from course_utils.checks import Feedback
from course_utils.checks.attention import check_attention, check_causal_attention


def right(Q, K, V):
    return softmax(Q @ K.T / np.sqrt(Q.shape[-1])) @ V


def test_accepts_right_answers_numpy_and_torch():
    assert check_attention(right).passed
    assert check_attention(lambda Q, K, V: attention(Q, K, V)[0]).passed
    torch_fn = lambda Q, K, V: torch.softmax(torch.tensor(Q) @ torch.tensor(K).T / 2.0, -1) @ torch.tensor(V)  # noqa: E731
    assert check_attention(torch_fn).passed


def _not_implemented(Q, K, V):
    raise NotImplementedError


def _crash(Q, K, V):
    return Q @ np.ones((7, 7))  # the shapes never fit


def _square_only(Q, K, V):
    if Q.shape[0] != K.shape[0]:
        raise ValueError("shapes do not fit")
    return right(Q, K, V)


def _no_return(Q, K, V):
    _ = right(Q, K, V)


MISTAKES = [
    (lambda Q, K, V: softmax(Q @ K.T / np.sqrt(Q.shape[-1])), "returned the attention weights"),
    (lambda Q, K, V: softmax(Q @ K.T) @ V, "not scaled"),
    (lambda Q, K, V: softmax(Q @ K.T / Q.shape[-1]) @ V, "divided by d_k"),
    (lambda Q, K, V: softmax(Q @ K.T / np.sqrt(Q.shape[-1]), axis=0) @ V, "wrong axis"),
    (lambda Q, K, V: (Q @ K.T / np.sqrt(Q.shape[-1])) @ V, "softmax is missing"),
    (lambda Q, K, V: softmax(Q @ K / np.sqrt(Q.shape[-1])) @ V, "K is not transposed"),
    (lambda Q, K, V: V @ softmax(Q @ K.T / 2), "wrong order"),
    (lambda Q, K, V: (right(Q, K, V), None), "tuple"),
    (lambda Q, K, V: right(Q, K, V) + 0.1, "wrong values"),
    (lambda Q, K, V: np.full((3, 3), np.nan), "NaN"),
    (lambda Q, K, V: "output", "not an array"),
    (_not_implemented, "not written yet"),
    (_crash, "raised ValueError"),
    (_no_return, "returned None"),
    (_square_only, "works for square matrices but fails"),
    (None, "is None"),
    (42, "expected a function"),
]


@pytest.mark.parametrize("fn,phrase", MISTAKES)
def test_names_each_typical_mistake(fn, phrase):
    feedback = check_attention(fn)
    assert isinstance(feedback, Feedback) and not feedback.passed
    assert phrase in feedback.message, feedback.message


def test_feedback_renders_as_text_and_html():
    fb = check_attention(None)
    assert repr(fb).startswith("❌ Not yet:") and "<div" in fb._repr_html_()
    assert repr(check_attention(right)).startswith("✅ Correct:")


def causal_right(Q, K, V):
    n = Q.shape[0]
    return attention(Q, K, V, mask=np.tril(np.ones((n, n), dtype=bool)))[0]


def _masked_after_softmax(Q, K, V):
    return np.tril(softmax(Q @ K.T / 2.0)) @ V


def _zero_not_inf(Q, K, V):
    n = Q.shape[0]
    return softmax(np.where(np.triu(np.ones((n, n), dtype=bool), k=1), 0.0, Q @ K.T / 2.0)) @ V


CAUSAL_MISTAKES = [
    (lambda Q, K, V: attention(Q, K, V)[0], "no mask is applied"),
    (lambda Q, K, V: attention(Q, K, V, mask=np.triu(np.ones((Q.shape[0],) * 2, dtype=bool)))[0], "wrong way round"),
    (_zero_not_inf, "not -inf"),
    (_masked_after_softmax, "after the softmax"),
    (lambda Q, K, V: causal_right(Q, K, V) * 2, "wrong values"),
    (lambda Q, K, V: None, "returned None"),
    ("causal", "expected a function"),
]


def test_causal_checker_accepts_right_answer():
    assert check_causal_attention(causal_right).passed


@pytest.mark.parametrize("fn,phrase", CAUSAL_MISTAKES)
def test_causal_checker_names_each_mistake(fn, phrase):
    feedback = check_causal_attention(fn)
    assert not feedback.passed and phrase in feedback.message, feedback.message
