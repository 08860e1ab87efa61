"""check_self_attention accepts right answers, names each typical mistake, never crashes."""

import numpy as np
import pytest
import torch

from course_utils.attention import softmax
from course_utils.checks import Feedback
from course_utils.checks.self_attention import check_self_attention


def right(X, W_Q, W_K, W_V):
    Q, K, V = X @ W_Q, X @ W_K, X @ W_V
    return softmax(Q @ K.T / np.sqrt(K.shape[-1])) @ V


def via_torch(X, W_Q, W_K, W_V):
    X, W_Q, W_K, W_V = (torch.tensor(a) for a in (X, W_Q, W_K, W_V))
    return torch.nn.functional.scaled_dot_product_attention(X @ W_Q, X @ W_K, X @ W_V)


def test_accepts_right_answers_numpy_and_torch():
    assert check_self_attention(right).passed
    assert check_self_attention(via_torch).passed


def _square_only(X, W_Q, W_K, W_V):
    if X.shape[0] != 3:
        raise ValueError("shapes do not fit")
    return right(X, W_Q, W_K, W_V)


def _not_implemented(X, W_Q, W_K, W_V):
    raise NotImplementedError


MISTAKES = [
    (lambda X, a, b, c: softmax((X @ a) @ (X @ b).T / 2), "returned the attention weights"),
    (lambda X, a, b, c: softmax((X @ a) @ (X @ b).T) @ (X @ c), "not scaled"),
    (lambda X, a, b, c: softmax((X @ a) @ (X @ b).T / 4) @ (X @ c), "divided by d_k"),
    (lambda X, a, b, c: softmax((X @ a) @ (X @ b).T / np.sqrt(X.shape[1])) @ (X @ c), "√d_model"),
    (lambda X, a, b, c: softmax((X @ a) @ (X @ b).T / 2, axis=0) @ (X @ c), "wrong axis"),
    (lambda X, a, b, c: ((X @ a) @ (X @ b).T / 2) @ (X @ c), "softmax is missing"),
    (lambda X, a, b, c: softmax((X @ a) @ (X @ b).T / 2) @ X, "values are not projected"),
    (lambda X, a, b, c: softmax((X @ a) @ (X @ a).T / 2) @ (X @ c), "keys use W_Q"),
    (lambda X, a, b, c: softmax((X @ b) @ (X @ a).T / 2) @ (X @ c), "K @ Q.T"),
    (lambda X, a, b, c: right(X, a, b, c) + 0.1, "wrong values"),
    (lambda X, a, b, c: right(X, a, b, c)[:, :2], "should be"),
    (lambda X, a, b, c: (right(X, a, b, c), None), "tuple"),
    (lambda X, a, b, c: np.full((3, 3), np.inf), "NaN or inf"),
    (lambda X, a, b, c: {"out": 1}, "not an array"),
    (lambda X, a, b, c: X @ X, "raised ValueError"),
    (_square_only, "works when every size is 4"),
    (_not_implemented, "not written yet"),
    (lambda X, a, b, c: None, "returned None"),
    (None, "is None"),
    (3.0, "expected a function"),
]


@pytest.mark.parametrize("fn, phrase", MISTAKES)
def test_names_the_mistake_and_never_crashes(fn, phrase):
    feedback = check_self_attention(fn)
    assert isinstance(feedback, Feedback)
    assert not feedback.passed
    assert phrase in feedback.message, feedback.message
