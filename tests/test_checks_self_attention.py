"""Notebook 03's checkers: a bug zoo of learner slips (each named), valid alternatives accepted,
and answers of any shape or type never crash a checker."""

import numpy as np
import pytest
import torch

from course_utils.attention import softmax
from course_utils.checks import Feedback
from course_utils.checks.self_attention import (
    _equivariance_cases,
    _equivariance_layers,
    _right_answers,
    _sentences,
    check_equivariance_test,
    check_self_attention,
    equivariance_error,
)

# --- Exercise 1: self_attention ---------------------------------------------------------------


def right(X, W_Q, W_K, W_V):
    Q, K, V = X @ W_Q, X @ W_K, X @ W_V
    return softmax(Q @ K.T / np.sqrt(K.shape[-1])) @ V


def via_torch_sdpa(X, W_Q, W_K, W_V):
    X, W_Q, W_K, W_V = (torch.tensor(a) for a in (X, W_Q, W_K, W_V))
    return torch.nn.functional.scaled_dot_product_attention(X @ W_Q, X @ W_K, X @ W_V)


def via_einsum(X, W_Q, W_K, W_V):
    Q, K, V = (np.einsum("nd,dk->nk", X, W) for W in (W_Q, W_K, W_V))
    S = np.einsum("ik,jk->ij", Q, K) / np.sqrt(Q.shape[1])
    return np.einsum("ij,jv->iv", softmax(S), V)


def via_loops(X, W_Q, W_K, W_V):
    Q, K, V = X @ W_Q, X @ W_K, X @ W_V
    out = []
    for q in Q:  # one query at a time, written out
        s = np.array([q @ k for k in K]) / np.sqrt(len(q))
        w = np.exp(s - s.max())
        w = w / w.sum()
        out.append(sum(wj * vj for wj, vj in zip(w, V, strict=True)))
    return np.array(out)


def via_float32(X, W_Q, W_K, W_V):
    X, W_Q, W_K, W_V = (torch.tensor(a, dtype=torch.float32) for a in (X, W_Q, W_K, W_V))
    Q, K, V = X @ W_Q, X @ W_K, X @ W_V
    return torch.softmax(Q @ K.T / K.shape[-1] ** 0.5, dim=-1) @ V


def via_batched(X, W_Q, W_K, W_V):
    """A learner who writes it for a batch (1, n, d) and squeezes the batch away."""
    Q, K, V = (X[None] @ W for W in (W_Q, W_K, W_V))  # (1, n, ·)
    S = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    return (softmax(S, axis=-1) @ V)[0]


def via_list(X, W_Q, W_K, W_V):
    return right(X, W_Q, W_K, W_V).tolist()


@pytest.mark.parametrize(
    "fn", [right, via_torch_sdpa, via_einsum, via_loops, via_float32, via_batched, via_list]
)
def test_accepts_valid_alternatives(fn):
    feedback = check_self_attention(fn)
    assert feedback.passed, feedback


D_K_NOTEBOOK = 4  # the global a learner might read instead of the queries' width


def _scores(X, a, b):
    return (X @ a) @ (X @ b).T


# (wrong answer, fragment of the message that names the slip); real slips from tutorials' forums
ZOO = [
    (lambda X, a, b, c: softmax(_scores(X, a, b) / 2.0) @ (X @ c), "you divided by 2"),
    (
        lambda X, a, b, c: softmax(_scores(X, a, b) / np.sqrt(D_K_NOTEBOOK)) @ (X @ c),
        "you divided by 2",
    ),
    (
        lambda X, a, b, c: softmax(_scores(X, a, b) / np.sqrt(a.shape[1])),
        "returned the attention weights",
    ),
    (lambda X, a, b, c: softmax(_scores(X, a, b)) @ (X @ c), "not scaled"),
    (lambda X, a, b, c: softmax(_scores(X, a, b) / a.shape[1]) @ (X @ c), "divided by d_k"),
    (lambda X, a, b, c: softmax(_scores(X, a, b) / np.sqrt(X.shape[1])) @ (X @ c), "√d_model"),
    (lambda X, a, b, c: softmax(_scores(X, a, b) / np.sqrt(X.shape[0])) @ (X @ c), "√n"),
    (lambda X, a, b, c: softmax(_scores(X, a, b) / np.sqrt(c.shape[1])) @ (X @ c), "√d_v"),
    (
        lambda X, a, b, c: softmax(_scores(X, a, b) / np.sqrt(a.shape[1]), axis=0) @ (X @ c),
        "wrong axis",
    ),
    (
        lambda X, a, b, c: (
            np.exp(_scores(X, a, b) / np.sqrt(a.shape[1]))
            / np.exp(_scores(X, a, b) / np.sqrt(a.shape[1])).sum()
            @ (X @ c)
        ),
        "whole matrix",
    ),
    (lambda X, a, b, c: (_scores(X, a, b) / np.sqrt(a.shape[1])) @ (X @ c), "softmax is missing"),
    (
        lambda X, a, b, c: softmax(_scores(X, a, b) / np.sqrt(a.shape[1])) @ X,
        "values are not projected",
    ),
    (lambda X, a, b, c: softmax(_scores(X, a, a) / np.sqrt(a.shape[1])) @ (X @ c), "keys use W_Q"),
    (lambda X, a, b, c: softmax(_scores(X, b, a) / np.sqrt(a.shape[1])) @ (X @ c), "K @ Q.T"),
    (
        lambda X, a, b, c: right(X, a.T, b.T, c.T) if a.shape[0] == a.shape[1] else X @ X,
        "transposed weights",
    ),
]


@pytest.mark.parametrize("fn, fragment", ZOO)
def test_zoo_rejected_with_the_slip_named(fn, fragment):
    feedback = check_self_attention(fn)
    assert not feedback.passed
    assert fragment in feedback.message, feedback.message


def test_a_function_that_reads_the_notebook_global_fails():
    """The notebook defines d_k = 4 as a global; a function that uses it must not pass."""
    d_k = 4

    def reads_global(X, W_Q, W_K, W_V):
        Q, K, V = X @ W_Q, X @ W_K, X @ W_V
        return softmax(Q @ K.T / np.sqrt(d_k)) @ V

    feedback = check_self_attention(reads_global)
    assert not feedback.passed and "Q.shape[1]" in feedback.message


def _square_only(X, W_Q, W_K, W_V):
    if X.shape[0] != 3:
        raise ValueError("shapes do not fit")
    return right(X, W_Q, W_K, W_V)


def _not_implemented(X, W_Q, W_K, W_V):
    raise NotImplementedError


class _BadFloat:
    def __float__(self):
        raise RuntimeError("no")


ROBUSTNESS = [
    (lambda X, a, b, c: right(X, a, b, c) + 0.1, "wrong values"),
    (lambda X, a, b, c: right(X, a, b, c)[:, :1], "should have shape"),
    (lambda X, a, b, c: (right(X, a, b, c), None), "tuple"),
    (lambda X, a, b, c: np.full((len(X), c.shape[1]), np.inf), "NaN or inf"),
    (lambda X, a, b, c: {"out": 1}, "not an array"),
    (lambda X, a, b, c: X @ X, "raised ValueError"),
    (_square_only, "Which width is d_k"),
    (_not_implemented, "not written yet"),
    (lambda X, a, b, c: None, "returned None"),
    (None, "None"),
    (3.0, "function"),
]


@pytest.mark.parametrize("fn, fragment", ROBUSTNESS)
def test_names_the_problem_and_never_crashes(fn, fragment):
    feedback = check_self_attention(fn)
    assert isinstance(feedback, Feedback)
    assert not feedback.passed
    assert fragment in feedback.message, feedback.message


@pytest.mark.parametrize(
    "value",
    [
        0,
        10**400,
        _BadFloat(),
        "abc",
        [[1, 2], [3]],
        (x for x in range(3)),
        torch.zeros(3, 4, dtype=torch.bfloat16),
        np.array(5.0),
    ],
)
def test_odd_return_values_get_feedback_not_a_crash(value):
    feedback = check_self_attention(lambda X, a, b, c: value)
    assert isinstance(feedback, Feedback) and not feedback.passed


# --- Exercise 2: the permutation-equivariance test --------------------------------------------


def equivariant(layer, X, perm):
    return np.allclose(layer(X[perm]), layer(X)[perm])


VALID_TESTS = [
    equivariant,
    lambda layer, X, perm: torch.allclose(
        torch.tensor(layer(X[perm])), torch.tensor(layer(X)[perm])
    ),
    lambda layer, X, perm: np.abs(layer(X[perm]) - layer(X)[perm]).max() < 1e-9,
    lambda layer, X, perm: all(
        np.allclose(layer(X[perm])[i], layer(X)[p]) for i, p in enumerate(perm)
    ),
    lambda layer, X, perm: np.allclose(layer(X[perm]), layer(X)[perm], atol=1e-6),
    lambda layer, X, perm: np.allclose(layer(X)[perm], layer(X[perm]), rtol=1e-4),
    # undo the shuffle of the outputs instead of shuffling the other side
    lambda layer, X, perm: np.allclose(layer(X[perm])[np.argsort(perm)], layer(X)),
]


@pytest.mark.parametrize("fn", VALID_TESTS)
def test_equivariance_accepts_valid_tests(fn):
    feedback = check_equivariance_test(fn)
    assert feedback.passed, feedback


def test_equivariance_cases_hold_and_self_attention_differs_in_rounding():
    layers, sentences = _equivariance_layers(), _sentences()
    expected = [True, True, True, False, False, False, False, False, True]
    assert _right_answers() == expected
    for (name, _, n, perm), right_answer in zip(_equivariance_cases(), expected, strict=True):
        assert (
            np.allclose(layers[name](sentences[n][perm]), layers[name](sentences[n])[perm])
            == right_answer
        )
    attn = layers["self-attention"]
    cycle = _equivariance_cases()[0][3]
    # the exact-equality slip is recognisable only if self-attention differs in the last bits
    assert not np.array_equal(attn(sentences[5][cycle]), attn(sentences[5])[cycle])
    # the almost-equivariant layer moves by more than rounding, by less than a loose tolerance
    gap = equivariance_error(
        layers["self-attention after adding small position vectors (size 0.01)"],
        sentences[7],
        _equivariance_cases()[7][3],
    )
    assert 1e-3 < gap < 0.5


def test_an_order_reversing_layer_is_not_equivariant():
    layers, sentences = _equivariance_layers(), _sentences()
    reverse = layers["a layer that reverses the order of the tokens"]
    assert equivariance_error(reverse, sentences[5], np.array([1, 2, 3, 4, 0])) > 0.1


def _equivariance_not_implemented(layer, X, perm):
    raise NotImplementedError


EQUIVARIANCE_ZOO = [
    (lambda layer, X, perm: np.allclose(layer(X[perm]), layer(X)), "not with layer(X)"),
    (lambda layer, X, perm: False, "not with layer(X)"),
    (lambda layer, X, perm: np.allclose(layer(X[perm]), layer(X[perm])), "even causal attention"),
    (lambda layer, X, perm: True, "even causal attention"),
    (
        lambda layer, X, perm: np.allclose(layer(X[perm]), layer(X)[np.argsort(perm)]),
        "inverse permutation",
    ),
    (
        lambda layer, X, perm: np.allclose(layer(X[np.argsort(perm)]), layer(X)[perm]),
        "inverse permutation",
    ),
    (lambda layer, X, perm: np.array_equal(layer(X[perm]), layer(X)[perm]), "exact equality"),
    (lambda layer, X, perm: bool((layer(X[perm]) == layer(X)[perm]).all()), "exact equality"),
    (
        lambda layer, X, perm: np.allclose(
            np.sort(layer(X[perm]), axis=0), np.sort(layer(X), axis=0)
        ),
        "as a set",
    ),
    (
        lambda layer, X, perm: np.allclose(layer(X[perm]).sum(axis=0), layer(X).sum(axis=0)),
        "as a set",
    ),
    (lambda layer, X, perm: np.allclose(layer(X[perm]).mean(), layer(X).mean()), "as a set"),
    (lambda layer, X, perm: np.allclose(layer(X[perm]), layer(X)[perm], atol=0.5), "too loose"),
    (lambda layer, X, perm: np.allclose(layer(X[perm]), layer(X)[perm], rtol=0.5), "too loose"),
    (lambda layer, X, perm: np.abs(layer(X[perm]) - layer(X)[perm]).max() < 0.5, "too loose"),
    (lambda layer, X, perm: layer(X[perm]) == layer(X)[perm], "array of shape"),
    (lambda layer, X, perm: np.abs(layer(X[perm]) - layer(X)[perm]).max(), "returned the number"),
    (lambda layer, X, perm: np.allclose(layer(X[:, perm]), layer(X)[:, perm]), "not X[:, perm]"),
]


@pytest.mark.parametrize("fn, fragment", EQUIVARIANCE_ZOO)
def test_equivariance_zoo_rejected_with_the_slip_named(fn, fragment):
    feedback = check_equivariance_test(fn)
    assert not feedback.passed
    assert fragment in feedback.message, feedback.message


EQUIVARIANCE_ROBUSTNESS = [
    (lambda layer, X, perm: "yes", "returned a str"),
    (lambda layer, X, perm: bool(perm[1] == 0), "your test answered"),
    (lambda layer, X, perm: layer(X[perm]) @ X, "raised ValueError"),
    (_equivariance_not_implemented, "not written yet"),
    (lambda layer, X, perm: None, "returned None"),
    (lambda layer, X, perm: 10**400, "number"),
    (lambda layer, X, perm: _BadFloat(), "_BadFloat"),
    (None, "None"),
    (np.allclose(1, 1), "function"),
]


@pytest.mark.parametrize("fn, fragment", EQUIVARIANCE_ROBUSTNESS)
def test_equivariance_names_the_problem_and_never_crashes(fn, fragment):
    feedback = check_equivariance_test(fn)
    assert isinstance(feedback, Feedback)
    assert not feedback.passed
    assert fragment in feedback.message, feedback.message


def test_the_learners_prints_are_shown_once_after_the_verdict():
    def chatty(X, W_Q, W_K, W_V):
        print("shape", X.shape)
        return right(X, W_Q, W_K, W_V)

    feedback = check_self_attention(chatty)
    assert feedback.passed
    assert "shape" in (feedback.printed or "")


# --- Predictions: every choice of every prediction goes through reveal -------------------------

from predictions import assert_every_choice_is_answered  # noqa: E402

from course_utils.checks.self_attention import PREDICTIONS  # noqa: E402

# a measurement for which each choice is the right answer
OUTCOMES = {
    "03.gradient-distance": {
        "flat": [1.0, 0.7, 1.2, 0.9],
        "steady": [1.0, 0.5, 0.1, 0.02],
        "exponential": [1.0, 1e-2, 1e-6, 1e-12],
    },
    "03.chain-length": {"same": [7, 7, 7, 7], "log": [7, 9, 11, 13], "linear": [27, 99, 387, 1539]},
}


@pytest.mark.parametrize("prediction", PREDICTIONS, ids=lambda p: p.id)
def test_every_choice_of_every_prediction_is_answered(prediction, capsys):
    assert_every_choice_is_answered(prediction, OUTCOMES[prediction.id], capsys)
