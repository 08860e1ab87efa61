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


# --- Exercise 2: the permutation-equivariance test ------------------------------------------

from course_utils.checks.self_attention import (  # noqa: E402
    _equivariance_cases,
    _equivariance_layers,
    check_equivariance_test,
)


def equivariant(layer, X, perm):
    return np.allclose(layer(X[perm]), layer(X)[perm])


def test_equivariance_accepts_right_tests_numpy_and_torch():
    assert check_equivariance_test(equivariant).passed
    assert check_equivariance_test(
        lambda layer, X, perm: torch.allclose(torch.tensor(layer(X[perm])), torch.tensor(layer(X)[perm]))
    ).passed
    assert check_equivariance_test(
        lambda layer, X, perm: np.abs(layer(X[perm]) - layer(X)[perm]).max() < 1e-9
    ).passed


def test_equivariance_cases_hold_and_self_attention_differs_in_rounding():
    layers = _equivariance_layers()
    X = np.random.default_rng(7).normal(size=(5, 4))
    for name, _, perm, right in _equivariance_cases():
        assert np.allclose(layers[name](X[perm]), layers[name](X)[perm]) == right, name
    cycle = _equivariance_cases()[0][2]
    attn = layers["self-attention"]
    # the exact-equality mistake is recognisable only if self-attention differs in the last bits
    assert not np.array_equal(attn(X[cycle]), attn(X)[cycle])


def _equivariance_not_implemented(layer, X, perm):
    raise NotImplementedError


EQUIVARIANCE_MISTAKES = [
    (lambda layer, X, perm: np.allclose(layer(X[perm]), layer(X)), "not with layer(X)"),
    (lambda layer, X, perm: False, "not with layer(X)"),
    (lambda layer, X, perm: np.allclose(layer(X[perm]), layer(X[perm])), "even causal attention"),
    (lambda layer, X, perm: True, "even causal attention"),
    (lambda layer, X, perm: np.allclose(layer(X[perm]), layer(X)[np.argsort(perm)]), "inverse permutation"),
    (lambda layer, X, perm: np.allclose(layer(X[np.argsort(perm)]), layer(X)[perm]), "inverse permutation"),
    (lambda layer, X, perm: np.array_equal(layer(X[perm]), layer(X)[perm]), "exact equality"),
    (lambda layer, X, perm: bool((layer(X[perm]) == layer(X)[perm]).all()), "exact equality"),
    (lambda layer, X, perm: layer(X[perm]) == layer(X)[perm], "array of shape (5, 4)"),
    (lambda layer, X, perm: np.abs(layer(X[perm]) - layer(X)[perm]).max(), "returned the number"),
    (lambda layer, X, perm: "yes", "returned a str"),
    (lambda layer, X, perm: np.allclose(layer(X[:, perm]), layer(X)[:, perm]), "not X[:, perm]"),
    (lambda layer, X, perm: bool(perm[1] == 0), "for self-attention and a cycle of all 5 tokens"),
    (lambda layer, X, perm: layer(X[perm]) @ X, "raised ValueError"),
    (_equivariance_not_implemented, "not written yet"),
    (lambda layer, X, perm: None, "returned None"),
    (None, "is None"),
    (np.allclose(1, 1), "expected a function"),
]


@pytest.mark.parametrize("fn, phrase", EQUIVARIANCE_MISTAKES)
def test_equivariance_names_the_mistake_and_never_crashes(fn, phrase):
    feedback = check_equivariance_test(fn)
    assert isinstance(feedback, Feedback)
    assert not feedback.passed
    assert phrase in feedback.message, feedback.message
