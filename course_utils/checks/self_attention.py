"""Checker for the exercise of notebook 03: self-attention for every token at once."""

from __future__ import annotations

import numpy as np

from course_utils.attention import attention, softmax
from course_utils.checks._core import Feedback, as_array, call_learner, compare, first_match

__all__ = ["check_self_attention"]


def _cases() -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Test inputs: 3 tokens with square weights, then 5 tokens with d_model 6, d_k 4, d_v 3."""
    rng = np.random.default_rng(2024)
    square = (rng.normal(size=(3, 4)), *(rng.normal(size=(4, 4)) for _ in range(3)))
    uneven = (rng.normal(size=(5, 6)), rng.normal(size=(6, 4)), rng.normal(size=(6, 4)),
              rng.normal(size=(6, 3)))
    return [
        ("3 tokens, d_model = d_k = d_v = 4", *square),
        ("5 tokens, d_model = 6, d_k = 4, d_v = 3", *uneven),
    ]


def _typical_mistakes(X, W_Q, W_K, W_V) -> dict:
    """Known wrong answers, each with the advice that fixes it."""
    Q, K, V = X @ W_Q, X @ W_K, X @ W_V
    d_k, d_model = W_Q.shape[1], X.shape[1]
    S = Q @ K.T
    return {
        "you returned the attention weights (n, n); the output is weights @ V.": lambda: softmax(S / np.sqrt(d_k)),
        "the scores are not scaled: divide Q @ K.T by √d_k before the softmax.": lambda: softmax(S) @ V,
        "you divided by d_k; divide by its square root, np.sqrt(d_k).": lambda: softmax(S / d_k) @ V,
        "you scaled by √d_model (the width of X); use d_k, the width of the queries "
        "(W_Q.shape[1]).": lambda: softmax(S / np.sqrt(d_model)) @ V,
        "the softmax runs over the wrong axis: each token's weights over the keys (one row) must "
        "sum to 1, so use axis=-1.": lambda: softmax(S / np.sqrt(d_k), axis=0) @ V,
        "the softmax is missing: turn the scaled scores into weights that sum to 1 per row.": lambda: (S / np.sqrt(d_k)) @ V,
        "the values are not projected: use V = X @ W_V, not X itself.": lambda: softmax(S / np.sqrt(d_k)) @ X,
        "the keys use W_Q: compute K = X @ W_K.": lambda: softmax(Q @ Q.T / np.sqrt(d_k)) @ V,
        "the scores are K @ Q.T (keys × queries); they must be Q @ K.T, one row per "
        "query.": lambda: softmax(K @ Q.T / np.sqrt(d_k)) @ V,
    }


def check_self_attention(fn) -> Feedback:
    """Check a learner's ``fn(X, W_Q, W_K, W_V) -> output`` for self-attention over all tokens of X."""
    for description, X, W_Q, W_K, W_V in _cases():
        result, problem = call_learner(fn, X.copy(), W_Q.copy(), W_K.copy(), W_V.copy(),
                                       name="your self_attention")
        if problem:
            if description.startswith("5 tokens"):
                return Feedback(False, f"it works when every size is 4 but fails for {description}: "
                                + problem.message + " Which width is d_k?")
            return problem
        got, problem = as_array(result, "the output")
        if problem:
            return problem
        expected, _ = attention(X @ W_Q, X @ W_K, X @ W_V)
        if compare(got, expected) is None:
            continue
        hint = first_match(got, _typical_mistakes(X, W_Q, W_K, W_V))
        if hint:
            return Feedback(False, f"On {description}: {hint}")
        if got.shape != expected.shape:
            return Feedback(False, f"On {description} the output has shape {got.shape} but should be "
                            f"{expected.shape}: one row per token, one column per value feature (n, d_v).")
        return Feedback(False, f"On {description}: " + compare(got, expected, "the output").message)
    return Feedback(True, "your function lets every token attend to every token in one go, "
                    "softmax(Q·Kᵀ/√d_k)·V with Q, K, V = X·W_Q, X·W_K, X·W_V.")
