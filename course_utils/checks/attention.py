"""Checkers for the attention exercises (notebook 04)."""

from __future__ import annotations

import numpy as np

from course_utils.attention import attention, softmax
from course_utils.checks._core import Feedback, as_array, call_learner, compare, first_match

__all__ = ["check_attention"]


def _cases() -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """Test inputs: a square case (every typical mistake still runs), then an uneven one."""
    rng = np.random.default_rng(1234)
    square = tuple(rng.normal(size=(4, 4)) * 1.5 for _ in range(3))
    uneven = (rng.normal(size=(3, 4)), rng.normal(size=(5, 4)), rng.normal(size=(5, 2)))
    return [
        ("4 tokens, d_k = d_v = 4", *square),
        ("3 queries, 5 keys, d_k = 4, d_v = 2", *uneven),
    ]


def _typical_mistakes(Q: np.ndarray, K: np.ndarray, V: np.ndarray) -> dict:
    """Known wrong answers, each with the advice that fixes it."""
    d_k = Q.shape[-1]
    S = Q @ K.T
    return {
        "you returned the attention weights; the output is the weights times V "
        "(weights @ V).": lambda: softmax(S / np.sqrt(d_k)),
        "the scores are not scaled: divide Q·Kᵀ by √d_k before the softmax.": lambda: softmax(S) @ V,
        "you divided by d_k; the Transformer divides by √d_k (np.sqrt(d_k)).": lambda: softmax(S / d_k) @ V,
        "you multiplied by √d_k; divide instead.": lambda: softmax(S * np.sqrt(d_k)) @ V,
        "the softmax runs over the wrong axis: each query's weights (one row, over the keys) "
        "must sum to 1, so use axis=-1.": lambda: softmax(S / np.sqrt(d_k), axis=0) @ V,
        "the softmax is missing: turn the scaled scores into weights that sum to 1 per row.": lambda: (S / np.sqrt(d_k)) @ V,
        "K is not transposed: compare each query with each key by Q @ K.T.": lambda: softmax(Q @ K / np.sqrt(d_k)) @ V,
        "the transpose is on the wrong matrix: the scores are Q @ K.T, not Q.T @ K.": lambda: softmax(Q.T @ K / np.sqrt(d_k)) @ V,
        "V and the weights are multiplied in the wrong order: output = weights @ V.": lambda: V @ softmax(S / np.sqrt(d_k)),
    }


def check_attention(fn) -> Feedback:
    """Check a learner's ``fn(Q, K, V) -> output`` against softmax(Q·Kᵀ/√d_k)·V."""
    for description, Q, K, V in _cases():
        result, problem = call_learner(fn, Q.copy(), K.copy(), V.copy(), name="your attention function")
        if problem:
            if description.startswith("3 queries"):
                return Feedback(
                    False,
                    f"it works for square matrices but fails for {description}: "
                    + problem.message
                    + " Which matrix must be transposed when n_q ≠ n_k?",
                )
            return problem
        got, problem = as_array(result, "the output")
        if problem:
            return problem
        expected, weights = attention(Q, K, V)
        if compare(got, expected) is None:
            continue
        hint = first_match(got, _typical_mistakes(Q, K, V))
        if hint:
            return Feedback(False, f"On {description}: {hint}")
        if got.shape != expected.shape:
            return Feedback(
                False,
                f"On {description} the output has shape {got.shape} but should have shape "
                f"{expected.shape}: one row per query, one column per value feature (n_q, d_v).",
            )
        return Feedback(False, f"On {description}: " + compare(got, expected, "the output").message)
    return Feedback(True, "your function computes softmax(Q·Kᵀ/√d_k)·V for square and uneven shapes.")
