"""The checkers of notebooks 01 and 02 accept right answers and explain every typical wrong one."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_utils.checks.seq2seq import check_additive_score, check_rnn_step


def rnn_step(x, h, W_x, W_h, b):
    return np.tanh(W_x @ x + W_h @ h + b)


def additive_score(s, H, W_a, U_a, v_a):
    return np.array([v_a @ np.tanh(W_a @ s + U_a @ h) for h in H])


# ------------------------------------------------------------------ check_rnn_step
def test_rnn_step_right_answers_pass():
    assert check_rnn_step(rnn_step).passed
    assert check_rnn_step(
        lambda x, h, W_x, W_h, b: torch.tanh(torch.tensor(W_x @ x + W_h @ h + b))
    ).passed
    assert check_rnn_step(lambda x, h, W_x, W_h, b: list(np.tanh(W_x @ x + W_h @ h + b))).passed


@pytest.mark.parametrize(
    "fn, advice",
    [
        (lambda x, h, W_x, W_h, b: W_x @ x + W_h @ h + b, "tanh is missing"),
        (lambda x, h, W_x, W_h, b: 1 / (1 + np.exp(-(W_x @ x + W_h @ h + b))), "sigmoid"),
        (lambda x, h, W_x, W_h, b: np.maximum(W_x @ x + W_h @ h + b, 0), "ReLU"),
        (lambda x, h, W_x, W_h, b: np.tanh(W_x @ x + b), "previous state"),
        (lambda x, h, W_x, W_h, b: np.tanh(W_h @ h + b), "input x_t is missing"),
        (lambda x, h, W_x, W_h, b: np.tanh(W_x @ x + W_h @ h), "bias"),
        (lambda x, h, W_x, W_h, b: np.tanh(W_x @ x + W_h.T @ h + b), "W_h is transposed"),
        (lambda x, h, W_x, W_h, b: np.tanh(W_x.T @ x + W_h @ h + b), "W_x is transposed"),
        (lambda x, h, W_x, W_h, b: np.tanh(x @ W_x + W_h @ h + b), "W_x is transposed"),
        (lambda x, h, W_x, W_h, b: h + np.tanh(W_x @ x + W_h @ h + b), "replaces h"),
        (lambda x, h, W_x, W_h, b: np.tanh(W_x @ x + W_h @ h + b)[:2], "shape"),
        (lambda x, h, W_x, W_h, b: np.tanh(W_x @ x + W_h @ h + b) * 1.1, "wrong values"),
    ],
)
def test_rnn_step_mistakes_get_advice(fn, advice):
    feedback = check_rnn_step(fn)
    assert not feedback.passed
    assert advice in feedback.message, feedback.message


@pytest.mark.parametrize("answer", [None, 3, "rnn_step"])
def test_rnn_step_never_crashes_on_odd_answers(answer):
    feedback = check_rnn_step(answer)
    assert not feedback.passed and feedback.message


def test_rnn_step_stub_and_broken_functions():
    def stub(x, h, W_x, W_h, b):
        raise NotImplementedError

    assert "not written yet" in check_rnn_step(stub).message
    assert "returned None" in check_rnn_step(lambda *a: None).message
    assert "NaN" in check_rnn_step(lambda x, *a: x * np.nan).message
    assert "tuple" in check_rnn_step(lambda x, h, *a: (h, h)).message


# ------------------------------------------------------------------ check_additive_score
def test_additive_score_right_answers_pass():
    assert check_additive_score(additive_score).passed
    assert check_additive_score(
        lambda s, H, W_a, U_a, v_a: np.tanh(W_a @ s + H @ U_a.T) @ v_a
    ).passed
    # a column of scores, (L, 1), is accepted too
    assert check_additive_score(
        lambda s, H, W_a, U_a, v_a: (np.tanh(W_a @ s + H @ U_a.T) @ v_a)[:, None]
    ).passed


def _softmax(e):
    w = np.exp(e - e.max())
    return w / w.sum()


@pytest.mark.parametrize(
    "fn, advice",
    [
        (
            lambda s, H, W_a, U_a, v_a: _softmax(additive_score(s, H, W_a, U_a, v_a)),
            "softmax weights",
        ),
        (
            lambda s, H, W_a, U_a, v_a: _softmax(additive_score(s, H, W_a, U_a, v_a)) @ H,
            "context vector",
        ),
        (lambda s, H, W_a, U_a, v_a: (W_a @ s + H @ U_a.T) @ v_a, "tanh is missing"),
        (lambda s, H, W_a, U_a, v_a: np.tanh((W_a @ s + H @ U_a.T) @ v_a), "before v_a"),
        (lambda s, H, W_a, U_a, v_a: np.tanh(H @ U_a.T) @ v_a, "decoder state is missing"),
        (
            lambda s, H, W_a, U_a, v_a: np.tanh(np.tile(W_a @ s, (len(H), 1))) @ v_a,
            "annotations are missing",
        ),
        (lambda s, H, W_a, U_a, v_a: H @ s, "dot-product"),
        (lambda s, H, W_a, U_a, v_a: np.tanh(W_a @ s + H @ U_a) @ v_a, "untransposed"),
        (lambda s, H, W_a, U_a, v_a: np.tanh((W_a @ s) * (H @ U_a.T)) @ v_a, "adds them"),
        (lambda s, H, W_a, U_a, v_a: -additive_score(s, H, W_a, U_a, v_a), "negated"),
        (lambda s, H, W_a, U_a, v_a: np.tanh(W_a @ s + H @ U_a.T), "forget v_a"),
        (lambda s, H, W_a, U_a, v_a: additive_score(s, H, W_a, U_a, v_a) + 0.5, "wrong values"),
    ],
)
def test_additive_score_mistakes_get_advice(fn, advice):
    feedback = check_additive_score(fn)
    assert not feedback.passed
    assert advice in feedback.message, feedback.message


@pytest.mark.parametrize("answer", [None, 1.0, [1, 2]])
def test_additive_score_never_crashes_on_odd_answers(answer):
    feedback = check_additive_score(answer)
    assert not feedback.passed and feedback.message


def test_additive_score_that_only_works_for_square_sizes_is_explained():
    def square_only(s, H, W_a, U_a, v_a):
        return np.tanh(W_a @ s + (U_a @ H).T) @ v_a  # U_a @ H only runs when the sizes agree

    feedback = check_additive_score(square_only)
    assert not feedback.passed
    assert "each row of H is one annotation" in feedback.message
