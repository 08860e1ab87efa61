"""check_softmax_jacobian accepts right answers, names each typical mistake, never crashes."""

import numpy as np
import pytest
import torch

from course_utils.checks import Feedback
from course_utils.checks.scaling import check_softmax_jacobian


def right(p):
    return np.diag(p) - np.outer(p, p)


def test_accepts_right_answers_numpy_torch_and_lists():
    assert check_softmax_jacobian(right).passed
    assert check_softmax_jacobian(lambda p: torch.diag(torch.tensor(p)) - torch.outer(torch.tensor(p), torch.tensor(p))).passed
    assert check_softmax_jacobian(lambda p: right(p).tolist()).passed


def _not_implemented(p):
    raise NotImplementedError


MISTAKES = [
    (lambda p: np.diag(p), "only diag(p)"),
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
