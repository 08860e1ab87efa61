"""Checker for the exercise of notebook 05: the Jacobian of softmax, ``diag(p) − p·pᵀ``."""

from __future__ import annotations

import numpy as np
import torch

from course_utils.attention import softmax
from course_utils.checks._core import Feedback, as_array, call_learner, compare, first_match

__all__ = ["check_softmax_jacobian"]


def _cases() -> list[tuple[str, np.ndarray]]:
    """Weight vectors to test with: a spread-out one, then a nearly saturated one of another length."""
    return [
        ("p = softmax([1.0, 0.5, -0.3, 0.2])", softmax(np.array([1.0, 0.5, -0.3, 0.2]))),
        ("p = softmax([6.0, 0.0, 1.0]) (nearly saturated)", softmax(np.array([6.0, 0.0, 1.0]))),
    ]


def _autograd_jacobian(p: np.ndarray) -> np.ndarray:
    """The Jacobian ∂softmax(s)/∂s at the scores s = log p, computed by torch's autograd."""
    s = torch.tensor(np.log(p), dtype=torch.float64)
    return torch.autograd.functional.jacobian(lambda z: torch.softmax(z, dim=-1), s).numpy()


def _typical_mistakes(p: np.ndarray) -> dict:
    """Known wrong answers, each with the advice that fixes it."""
    return {
        "you returned only diag(p); subtract the outer product p·pᵀ (np.outer(p, p)) too.": lambda: np.diag(p),
        "you returned only −p·pᵀ; add diag(p) (np.diag(p)) for the diagonal term.": lambda: -np.outer(p, p),
        "the sign of the outer product is wrong: it is diag(p) − p·pᵀ.": lambda: np.diag(p) + np.outer(p, p),
        "the diagonal is right but the off-diagonal entries are missing: ∂p_i/∂s_j = −p_i·p_j "
        "for i ≠ j.": lambda: np.diag(p * (1 - p)),
        "you used p @ p (a single number) instead of the outer product np.outer(p, p).": lambda: np.diag(p) - p @ p,
    }


def check_softmax_jacobian(fn) -> Feedback:
    """Check a learner's ``fn(p) -> J`` where ``J[i, j] = ∂p_i/∂s_j`` for ``p = softmax(s)``."""
    for description, p in _cases():
        result, problem = call_learner(fn, p.copy(), name="your softmax_jacobian")
        if problem:
            return problem
        got, problem = as_array(result, "the Jacobian")
        if problem:
            return problem
        n = p.shape[0]
        if got.shape != (n, n):
            return Feedback(
                False,
                f"for {description} (n = {n}) the Jacobian has shape {got.shape}, but it must be "
                f"({n}, {n}): one row per weight p_i, one column per score s_j.",
            )
        expected = _autograd_jacobian(p)
        if compare(got, expected, "the Jacobian") is None:
            continue
        hint = first_match(got, _typical_mistakes(p))
        if hint:
            return Feedback(False, f"For {description}: {hint}")
        return Feedback(False, f"For {description}: " + compare(got, expected, "the Jacobian").message)
    return Feedback(True, "your Jacobian equals torch's autograd of softmax, diag(p) − p·pᵀ, also when saturated.")
