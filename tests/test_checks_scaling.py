"""check_softmax_jacobian accepts right answers, names each typical mistake, never crashes."""

import numpy as np
import pytest
import torch

from course_utils.checks import Feedback
from course_utils.checks.scaling import check_softmax_jacobian


def right(p):
    return np.diag(p) - np.outer(p, p)


def _loops(p):
    n = len(p)
    return np.array([[p[i] * ((i == j) - p[j]) for j in range(n)] for i in range(n)])


def _autograd(p):
    s = torch.log(torch.tensor(p, dtype=torch.float32))
    return torch.autograd.functional.jacobian(lambda z: torch.softmax(z, dim=0), s)


VALID_JACOBIANS = [
    right,
    lambda p: torch.diag(torch.tensor(p)) - torch.outer(torch.tensor(p), torch.tensor(p)),
    lambda p: right(p).tolist(),
    lambda p: np.einsum("i,ij->ij", p, np.eye(len(p))) - np.einsum("i,j->ij", p, p),
    _loops,
    lambda p: right(np.asarray(p, dtype=np.float32)),
    lambda p: p[:, None] * (np.eye(len(p)) - p[None, :]),
    _autograd,
]


@pytest.mark.parametrize("fn", VALID_JACOBIANS)
def test_jacobian_accepts_valid_alternatives(fn):
    feedback = check_softmax_jacobian(fn)
    assert feedback.passed, feedback


def _not_implemented(p):
    raise NotImplementedError


MISTAKES = [
    (lambda p: np.diag(p), "only diag(p)"),
    (lambda p: np.outer(p, p) - np.diag(p), "whole matrix has the wrong sign"),
    (lambda p: np.eye(len(p)) - np.outer(p, p), "identity matrix"),
    (lambda p: np.outer(p, 1 - p), "p_i·(1 − p_j) for every entry"),
    (lambda p: right(np.exp(p) / np.exp(p).sum()), "softmax to p again"),
    (lambda p: -np.outer(p, p), "only −p·pᵀ"),
    (lambda p: np.diag(p) + np.outer(p, p), "sign of the outer product"),
    (lambda p: np.diag(p * (1 - p)), "off-diagonal entries are missing"),
    (lambda p: np.diag(p) - p @ p, "single number"),
    (lambda p: right(p)[:2], "must be"),
    (lambda p: right(p) * 2, "wrong values"),
    (lambda p: (right(p), p), "tuple"),
    (lambda p: np.full((len(p), len(p)), np.nan), "NaN"),
    (lambda p: "J", "not an array"),
    (lambda p: p[10], "raised IndexError"),
    (_not_implemented, "not written yet"),
    (lambda p: None, "returned None"),
    (None, "is None"),
    ("diag(p) - outer(p, p)", "expected a function"),
]


@pytest.mark.parametrize("fn, phrase", MISTAKES)
def test_names_the_mistake_and_never_crashes(fn, phrase):
    feedback = check_softmax_jacobian(fn)
    assert isinstance(feedback, Feedback)
    assert not feedback.passed
    assert phrase in feedback.message, feedback.message


def test_feedback_renders_as_html():
    html = check_softmax_jacobian(right)._repr_html_()
    assert "Correct" in html


# --- Exercise 1: Var(q·k) estimated by simulation --------------------------------------------

from course_utils.checks.scaling import check_dot_variance  # noqa: E402


def simulate(d_k, n_pairs, rng):
    q = rng.standard_normal((n_pairs, d_k))  # (pairs, d_k)
    k = rng.standard_normal((n_pairs, d_k))
    return float((q * k).sum(axis=1).var())


def _pairs(d_k, n_pairs, rng):
    return rng.standard_normal((n_pairs, d_k)), rng.standard_normal((n_pairs, d_k))


VALID_VARIANCES = [
    simulate,
    lambda d, n, rng: np.einsum("pd,pd->p", *_pairs(d, n, rng)).var(ddof=1),
    lambda d, n, rng: torch.tensor(simulate(d, n, rng)),
    lambda d, n, rng: np.array([simulate(d, n, rng)]),
    lambda d, n, rng: float(np.var(np.sum(rng.normal(0, 1, (n, d)) * rng.normal(0, 1, (n, d)), 1))),
    lambda d, n, rng: float(
        np.var(
            (
                rng.standard_normal((n, d), dtype=np.float32)
                * rng.standard_normal((n, d), dtype=np.float32)
            ).sum(1)
        )
    ),
    lambda d, n, rng: np.var(rng.standard_normal((n, d)) @ rng.standard_normal((d, n))),
]


@pytest.mark.parametrize("fn", VALID_VARIANCES)
def test_variance_accepts_valid_alternatives(fn):
    feedback = check_dot_variance(fn)
    assert feedback.passed, feedback


def test_variance_accepts_other_draw_orders_for_many_generators():
    """The 15 % tolerance is statistical: a right answer drawn another way passes for any seed."""
    for offset in range(20):

        def shifted(d, n, rng, offset=offset):
            rng = np.random.default_rng(rng.integers(1 << 30) + offset)
            k, q = _pairs(d, n, rng)
            return float((q * k).sum(axis=1).var())

        assert check_dot_variance(shifted).passed, offset


def _variance_not_implemented(d_k, n_pairs, rng):
    raise NotImplementedError


VARIANCE_MISTAKES = [
    (lambda d, n, rng: float((np.prod(_pairs(d, n, rng), axis=0)).sum(axis=1).std()), ".std()"),
    (lambda d, n, rng: float((rng.standard_normal((n, d)) ** 2).sum(axis=1).var()), "Var(q·q)"),
    (lambda d, n, rng: float(np.prod(_pairs(d, n, rng), axis=0).var()), "about 1 whatever d_k"),
    (
        lambda d, n, rng: float(
            (np.prod(_pairs(d, n, rng), axis=0).sum(axis=1) / np.sqrt(d)).var()
        ),
        "about 1 whatever d_k",
    ),
    (lambda d, n, rng: float(np.prod(_pairs(d, n, rng), axis=0).sum(axis=1).mean()), "mean of q·k"),
    (
        lambda d, n, rng: float((rng.random((n, d)) * rng.random((n, d))).sum(axis=1).var()),
        "uniform",
    ),
    (lambda d, n, rng: float(np.prod(_pairs(d, n, rng), axis=0).sum(axis=0).var()), "axis=0"),
    (lambda d, n, rng: np.prod(_pairs(d, n, rng), axis=0).sum(axis=1), "dot products themselves"),
    (lambda d, n, rng: np.prod(_pairs(d, n, rng), axis=0).var(axis=0), "one per component"),
    (lambda d, n, rng: np.zeros((2, 2)), "shape (2, 2)"),
    (
        lambda d, n, rng: float(
            (np.random.standard_normal((n, d)) * np.random.standard_normal((n, d)))
            .sum(axis=1)
            .var()
        ),
        "seeded the same",
    ),
    (lambda d, n, rng: d, "does not simulate"),
    (lambda d, n, rng: 3 * d, "within 15 %"),
    (lambda d, n, rng: (simulate(d, n, rng), d), "tuple"),
    (lambda d, n, rng: float("nan"), "NaN"),
    (lambda d, n, rng: True, "returned True"),
    (lambda d, n, rng: "64", "is a string"),
    (
        lambda d, n, rng: rng.standard_normal((n, d)) @ rng.standard_normal((d + 1, n)),
        "raised ValueError",
    ),
    (_variance_not_implemented, "not written yet"),
    (lambda d, n, rng: None, "returned None"),
    (None, "is None"),
    (64.0, "expected a function"),
]


@pytest.mark.parametrize("fn, phrase", VARIANCE_MISTAKES)
def test_variance_names_the_mistake_and_never_crashes(fn, phrase):
    feedback = check_dot_variance(fn)
    assert isinstance(feedback, Feedback)
    assert not feedback.passed
    assert phrase in feedback.message, feedback.message


# --- Predictions: every choice of every prediction goes through reveal -------------------------

from predictions import assert_every_choice_is_answered  # noqa: E402

from course_utils.checks.scaling import PREDICTIONS  # noqa: E402

OUTCOMES = {  # a measurement for which each choice is the right answer
    "05.variance-256": {"one": 1.02, "sixteen": 15.8, "dk": 251.7},
    "05.largest-weight": {"one": 0.96, "same": 0.43, "even": 0.07},
}


@pytest.mark.parametrize("prediction", PREDICTIONS, ids=lambda p: p.id)
def test_every_choice_of_every_prediction_is_answered(prediction, capsys):
    assert_every_choice_is_answered(prediction, OUTCOMES[prediction.id], capsys)
