"""The checkers of notebook 02 accept right answers and explain every typical wrong one."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from predictions import assert_every_choice_is_answered

from course_utils.checks.bahdanau import (
    ALIGNMENT_OFFSET,
    PREDICTIONS,
    WINNER_20,
    check_additive_score,
    check_softmax_context,
)
from course_utils.predict import ask, reveal


def additive_score(s, H, W_a, U_a, v_a):
    return np.array([v_a @ np.tanh(W_a @ s + U_a @ h) for h in H])


# ------------------------------------------------------------------ check_additive_score
@pytest.mark.parametrize(
    "fn",
    [
        additive_score,
        lambda s, H, W_a, U_a, v_a: np.tanh(W_a @ s + H @ U_a.T) @ v_a,
        lambda s, H, W_a, U_a, v_a: np.einsum(
            "a,la->l", v_a, np.tanh(W_a @ s + np.einsum("ad,ld->la", U_a, H))
        ),
        lambda s, H, W_a, U_a, v_a: v_a @ np.tanh((W_a @ s)[:, None] + U_a @ H.T),
        lambda s, H, W_a, U_a, v_a: (
            torch.tanh(
                torch.tensor(W_a).float() @ torch.tensor(s).float()
                + torch.tensor(H).float() @ torch.tensor(U_a).float().T
            )
            @ torch.tensor(v_a).float()
        ),
        lambda s, H, W_a, U_a, v_a: [float(v_a @ np.tanh(W_a @ s + U_a @ h)) for h in H],
    ],
)
def test_additive_score_valid_alternatives_pass(fn):
    feedback = check_additive_score(fn)
    assert feedback.passed, feedback.message


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
        (lambda s, H, W_a, U_a, v_a: v_a @ np.tanh(W_a @ s + U_a @ H.T), "wrong axis"),
        (
            lambda s, H, W_a, U_a, v_a: (np.tanh(W_a @ s) + np.tanh(H @ U_a.T)) @ v_a,
            "each part separately",
        ),
    ],
)
def test_additive_score_mistakes_get_advice(fn, advice):
    feedback = check_additive_score(fn)
    assert not feedback.passed
    assert advice in feedback.message, feedback.message


def test_additive_score_that_only_works_for_square_sizes_is_explained():
    def square_only(s, H, W_a, U_a, v_a):
        return np.tanh(W_a @ s + (U_a @ H).T) @ v_a  # U_a @ H only runs when the sizes agree

    feedback = check_additive_score(square_only)
    assert not feedback.passed
    assert "each row of H is one annotation" in feedback.message


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


def test_softmax_context_stub_and_broken_functions():
    def stub(e, H):
        raise NotImplementedError

    assert "not written yet" in check_softmax_context(stub).message
    assert "returned None" in check_softmax_context(lambda e, H: None).message
    assert "NaN" in check_softmax_context(lambda e, H: (e * np.nan, H[0])).message


# ------------------------------------------------------------------ predictions
@pytest.mark.parametrize(
    "prediction, measured",
    [
        (WINNER_20, {"attention": 0.6, "close": 0.1, "fixed": -0.4}),
        (ALIGNMENT_OFFSET, {"mirror": 0, "neighbour": 1, "spread": 3}),
    ],
)
def test_every_choice_of_every_prediction_is_answered(prediction, measured, capsys):
    assert_every_choice_is_answered(prediction, measured, capsys)
    assert ALIGNMENT_OFFSET.right_key(-1) == "neighbour"
    reveal(ask(prediction), measured=0, shown="0")
    assert "No prediction locked in yet" in capsys.readouterr().out


def test_predictions_are_listed():
    assert PREDICTIONS == [WINNER_20, ALIGNMENT_OFFSET]
