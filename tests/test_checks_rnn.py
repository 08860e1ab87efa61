"""The checkers of notebook 01 accept right answers and explain every typical wrong one."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_utils.checks.rnn import (
    BOTTLENECK_20,
    GRADIENT_50,
    PREDICTIONS,
    check_decay_per_step,
    check_rnn_step,
)
from course_utils.predict import ask, reveal


def rnn_step(x, h, W_x, W_h, b):
    return np.tanh(W_x @ x + W_h @ h + b)


_GLOBAL_B = np.zeros(2)  # the notebook's own b (H = 2), read by a learner's function by mistake


# ------------------------------------------------------------------ check_rnn_step
def _rnn_loop(x, h, W_x, W_h, b):
    out = []
    for i in range(len(b)):  # one hidden unit at a time
        total = b[i] + sum(W_x[i, j] * x[j] for j in range(len(x)))
        total += sum(W_h[i, j] * h[j] for j in range(len(h)))
        out.append(np.tanh(total))
    return np.array(out)


@pytest.mark.parametrize(
    "fn",
    [
        rnn_step,
        _rnn_loop,
        lambda x, h, W_x, W_h, b: np.tanh(
            np.einsum("hd,d->h", W_x, x) + np.einsum("hk,k->h", W_h, h) + b
        ),
        lambda x, h, W_x, W_h, b: np.tanh(np.hstack([W_x, W_h]) @ np.concatenate([x, h]) + b),
        lambda x, h, W_x, W_h, b: torch.tanh(
            torch.tensor(W_x, dtype=torch.float32) @ torch.tensor(x, dtype=torch.float32)
            + torch.tensor(W_h, dtype=torch.float32) @ torch.tensor(h, dtype=torch.float32)
            + torch.tensor(b, dtype=torch.float32)
        ),
        lambda x, h, W_x, W_h, b: (
            (W_x @ x + W_h @ h + b).clip(-50, 50).__array__().tolist()
            and np.tanh(W_x @ x + W_h @ h + b).reshape(-1, 1)
        ),  # a column vector
    ],
)
def test_rnn_step_valid_alternatives_pass(fn):
    feedback = check_rnn_step(fn)
    assert feedback.passed, feedback.message


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
        (lambda x, h, W_x, W_h, b: np.tanh(W_h @ x + W_x @ h + b), "W_x and W_h are swapped"),
        (lambda x, h, W_x, W_h, b: np.tanh(W_x * x + W_h * h + b), "element by element"),
        (
            lambda x, h, W_x, W_h, b: np.tanh(W_x @ x) + np.tanh(W_h @ h) + np.tanh(b),
            "each term separately",
        ),
        (lambda x, h, W_x, W_h, b: np.tanh(W_x @ x) + W_h @ h + b, "wraps only W_x @ x"),
        (lambda x, h, W_x, W_h, b: np.tanh(W_x @ x + W_h @ h + b) @ W_h, "shape"),
        (lambda x, h, W_x, W_h, b: np.tanh(W_x @ x + W_h @ h + _GLOBAL_B), "raised"),
    ],
)
def test_rnn_step_mistakes_get_advice(fn, advice):
    feedback = check_rnn_step(fn)
    assert not feedback.passed
    assert advice in feedback.message, feedback.message


def test_rnn_step_stub_and_broken_functions():
    def stub(x, h, W_x, W_h, b):
        raise NotImplementedError

    assert "not written yet" in check_rnn_step(stub).message
    assert "returned None" in check_rnn_step(lambda *a: None).message
    assert "NaN" in check_rnn_step(lambda x, *a: x * np.nan).message
    assert "tuple" in check_rnn_step(lambda x, h, *a: (h, h)).message


# ------------------------------------------------------------------ check_decay_per_step
def decay_per_step(distances, norms):
    slope, _ = np.polyfit(distances, np.log(norms), 1)
    return np.exp(slope)


def _decay_by_hand(d, n):
    x, y = np.asarray(d, float), np.log(np.asarray(n, float))
    slope = ((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum()
    return float(np.exp(slope))


@pytest.mark.parametrize(
    "fn",
    [
        decay_per_step,
        _decay_by_hand,
        lambda d, n: np.exp(
            np.linalg.lstsq(np.stack([d, np.ones_like(d)], 1), np.log(n), rcond=None)[0][0]
        ),
        lambda d, n: np.float32(decay_per_step(d, n)),
        lambda d, n: torch.exp(torch.tensor(np.polyfit(d, np.log(n), 1)[0])),
        lambda d, n: np.exp(np.polynomial.polynomial.polyfit(d, np.log(n), 1)[1]),
    ],
)
def test_decay_per_step_valid_alternatives_pass(fn):
    feedback = check_decay_per_step(fn)
    assert feedback.passed, feedback.message


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


def test_decay_per_step_stub_and_broken_functions():
    def stub(distances, norms):
        raise NotImplementedError

    assert "not written yet" in check_decay_per_step(stub).message
    assert "returned None" in check_decay_per_step(lambda d, n: None).message
    assert "NaN" in check_decay_per_step(lambda d, n: np.nan).message
    assert "raised" in check_decay_per_step(lambda d, n: d @ np.ones(3)).message


# ------------------------------------------------------------------ predictions
@pytest.mark.parametrize(
    "prediction, measured",
    [
        (GRADIENT_50, {"most": 0.8, "tenth": 0.05, "small": 1e-4, "tiny": 1e-15}),
        (BOTTLENECK_20, {"all": 0.95, "most": 0.7, "some": 0.39, "guess": 0.1}),
    ],
)
def test_every_choice_of_every_prediction_is_answered(prediction, measured, capsys):
    assert set(measured) == set(prediction.choices)
    for right, value in measured.items():
        assert prediction.right_key(value) == right
        for choice in prediction.choices:  # every guess, against every possible outcome
            guess = ask(prediction)
            guess.choice = choice
            reveal(guess, measured=value, shown=f"{value:.2g}")
            out = capsys.readouterr().out
            assert ("right!" in out) == (choice == right), out
            assert all(text in out for text in prediction.explanations.values())
    reveal(ask(prediction), measured=0.5, shown="0.5")
    assert "No prediction locked in yet" in capsys.readouterr().out


def test_predictions_are_listed():
    assert PREDICTIONS == [GRADIENT_50, BOTTLENECK_20]
