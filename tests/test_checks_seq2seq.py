"""The checkers of notebooks 01 and 02 accept right answers and explain every typical wrong one."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_utils.checks.seq2seq import (
    check_additive_score,
    check_decay_per_step,
    check_rnn_step,
    check_softmax_context,
)


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


# ------------------------------------------------------------------ check_decay_per_step
def decay_per_step(distances, norms):
    slope, _ = np.polyfit(distances, np.log(norms), 1)
    return np.exp(slope)


def test_decay_per_step_right_answers_pass():
    assert check_decay_per_step(decay_per_step).passed
    # base 10 undone with 10**, a list, a torch scalar and a one-element array are all fine
    assert check_decay_per_step(lambda d, n: 10 ** np.polyfit(d, np.log10(n), 1)[0]).passed
    assert check_decay_per_step(lambda d, n: [decay_per_step(d, n)]).passed
    assert check_decay_per_step(lambda d, n: torch.tensor(decay_per_step(d, n))).passed


@pytest.mark.parametrize(
    "fn, advice",
    [
        (lambda d, n: np.polyfit(d, np.log(n), 1)[0], "np.exp(slope)"),
        (lambda d, n: np.exp(-np.polyfit(d, np.log(n), 1)[0]), "smaller"),
        (lambda d, n: np.exp(np.polyfit(d, np.log10(n), 1)[0]), "log10"),
        (lambda d, n: np.exp(np.polyfit(d, np.log(n), 1)[1]), "intercept"),
        (lambda d, n: np.exp(np.polyfit(np.log(n), d, 1)[0]), "distances go first"),
        (lambda d, n: np.exp(np.polyfit(d, n, 1)[0]), "norms themselves"),
        (lambda d, n: (n[-1] / n[0]) ** (1 / (d[-1] - d[0])), "first and the last point"),
        (lambda d, n: np.exp(np.mean(np.diff(np.log(n)))), "one step apart"),
        (lambda d, n: np.polyfit(d, np.log(n), 1), "one number"),
        (lambda d, n: decay_per_step(d, n) * 1.01, "fitted factor per step is"),
    ],
)
def test_decay_per_step_mistakes_get_advice(fn, advice):
    feedback = check_decay_per_step(fn)
    assert not feedback.passed
    assert advice in feedback.message, feedback.message


@pytest.mark.parametrize("answer", [None, 0.5, "decay"])
def test_decay_per_step_never_crashes_on_odd_answers(answer):
    feedback = check_decay_per_step(answer)
    assert not feedback.passed and feedback.message


def test_decay_per_step_stub_and_broken_functions():
    def stub(distances, norms):
        raise NotImplementedError

    assert "not written yet" in check_decay_per_step(stub).message
    assert "returned None" in check_decay_per_step(lambda d, n: None).message
    assert "NaN" in check_decay_per_step(lambda d, n: np.nan).message
    assert "raised" in check_decay_per_step(lambda d, n: d @ np.ones(3)).message


# ------------------------------------------------------------------ check_softmax_context
def softmax_context(e, H):
    alpha = np.exp(e - e.max())
    alpha /= alpha.sum()
    return alpha, alpha @ H


def test_softmax_context_right_answers_pass():
    assert check_softmax_context(softmax_context).passed
    assert check_softmax_context(lambda e, H: list(softmax_context(e, H))).passed

    def with_torch(e, H):
        alpha = torch.softmax(torch.tensor(e), dim=0)
        return alpha, alpha @ torch.tensor(H)

    assert check_softmax_context(with_torch).passed
    # the weighted sum written as a loop, or as H.T @ alpha, is just as right
    assert check_softmax_context(
        lambda e, H: (
            softmax_context(e, H)[0],
            sum(a * h for a, h in zip(softmax_context(e, H)[0], H, strict=True)),
        )
    ).passed
    assert check_softmax_context(
        lambda e, H: (softmax_context(e, H)[0], H.T @ softmax_context(e, H)[0])
    ).passed


def _w(e):
    return softmax_context(e, np.eye(len(e)))[0]


@pytest.mark.parametrize(
    "fn, advice",
    [
        (lambda e, H: softmax_context(e, H)[0], "return two things"),
        (lambda e, H: softmax_context(e, H)[::-1], "swapped"),
        (lambda e, H: (np.exp(e), np.exp(e) @ H), "do not sum to 1"),
        (lambda e, H: (np.exp(e - e.max()), np.exp(e - e.max()) @ H), "do not sum to 1"),
        (lambda e, H: (e / e.sum(), e / e.sum() @ H), "exp is missing"),
        (lambda e, H: (_w(-e), _w(-e) @ H), "softmax of -e"),
        (lambda e, H: (np.eye(len(e))[np.argmax(e)], H[np.argmax(e)]), "hard attention"),
        (lambda e, H: (_w(e), H.sum(0)), "ignores the weights"),
        (lambda e, H: (_w(e), H.mean(0)), "plain average"),
        (lambda e, H: (_w(e), H[np.argmax(e)]), "one annotation"),
        (lambda e, H: (_w(e), _w(e)[:, None] * H), "did not add them up"),
        (lambda e, H: (_w(e), H @ _w(e)), "one annotation per row"),
        (lambda e, H: (_w(e), _w(e) @ H + 0.1), "wrong values"),
    ],
)
def test_softmax_context_mistakes_get_advice(fn, advice):
    feedback = check_softmax_context(fn)
    assert not feedback.passed
    assert advice in feedback.message, feedback.message


def test_softmax_context_explains_overflow():
    def unstable(e, H):
        with np.errstate(over="ignore", invalid="ignore"):
            alpha = np.exp(e) / np.exp(e).sum()
        return alpha, alpha @ H

    feedback = check_softmax_context(unstable)
    assert not feedback.passed
    assert "large scores" in feedback.message and "e.max()" in feedback.message, feedback.message


@pytest.mark.parametrize("answer", [None, 1.0, "softmax"])
def test_softmax_context_never_crashes_on_odd_answers(answer):
    feedback = check_softmax_context(answer)
    assert not feedback.passed and feedback.message


def test_softmax_context_stub_and_broken_functions():
    def stub(e, H):
        raise NotImplementedError

    assert "not written yet" in check_softmax_context(stub).message
    assert "returned None" in check_softmax_context(lambda e, H: None).message
    assert "NaN" in check_softmax_context(lambda e, H: (e * np.nan, H[0])).message
