"""Checkers for the attention exercises of notebook 04: plain and causal attention."""

from __future__ import annotations

import numpy as np

from course_utils.attention import attention, softmax
from course_utils.checks._core import (
    Feedback,
    as_array,
    call_learner,
    check_array_cases,
    compare,
    first_match,
)

__all__ = ["check_attention", "check_causal_attention"]


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
    problem = check_array_cases(
        fn,
        [(description, (Q, K, V)) for description, Q, K, V in _cases()],
        lambda Q, K, V: attention(Q, K, V)[0],
        _typical_mistakes,
        name="your attention function",
        what="the output",
        shape_advice="one row per query, one column per value feature (n_q, d_v).",
        later_failure_advice="Which matrix must be transposed when n_q ≠ n_k?",
        easy="square matrices",
    )
    return problem or Feedback(True, "your function computes softmax(Q·Kᵀ/√d_k)·V for square and uneven shapes.")


def _causal_mistakes(Q: np.ndarray, K: np.ndarray, V: np.ndarray) -> dict:
    """Known wrong answers for causal attention, each with the advice that fixes it."""
    n_q, n_k, d_k = Q.shape[0], K.shape[0], Q.shape[-1]
    S = Q @ K.T / np.sqrt(d_k)
    future = np.triu(np.ones((n_q, n_k), dtype=bool), k=1)  # True where j > i
    w = softmax(S)
    zeroed = np.where(future, 0.0, w)
    return {
        "no mask is applied: every token still sees the future. Set the scores above the "
        "diagonal to -inf before the softmax.": lambda: w @ V,
        "the mask is the wrong way round: token i must see tokens j ≤ i (the lower triangle, "
        "np.tril), and not the ones after it.": lambda: softmax(np.where(np.tril(np.ones((n_q, n_k), dtype=bool), k=-1), -np.inf, S)) @ V,
        "the masked scores are set to 0, not -inf: exp(0) = 1, so the future still gets "
        "weight. Use -np.inf.": lambda: softmax(np.where(future, 0.0, S)) @ V,
        "the weights are masked after the softmax, so the rows no longer sum to 1. Mask the "
        "scores before the softmax.": lambda: zeroed @ V,
    }


def check_causal_attention(fn) -> Feedback:
    """Check a learner's ``fn(Q, K, V) -> output`` for left-to-right (causal) attention."""
    rng = np.random.default_rng(4321)
    for n in (4, 6):
        Q, K, V = (rng.normal(size=(n, 4)) * 1.5 for _ in range(3))
        result, problem = call_learner(fn, Q.copy(), K.copy(), V.copy(), name="your causal attention")
        if problem:
            return problem
        got, problem = as_array(result, "the output")
        if problem:
            return problem
        expected, _ = attention(Q, K, V, mask=np.tril(np.ones((n, n), dtype=bool)))
        if compare(got, expected) is None:
            continue
        hint = first_match(got, _causal_mistakes(Q, K, V))
        if hint:
            return Feedback(False, hint)
        future_changed = V.copy()
        future_changed[-1] += 10.0
        later, problem = call_learner(fn, Q.copy(), K.copy(), future_changed, name="your causal attention")
        if problem is None and np.shape(later) == got.shape:
            later_arr = np.asarray(later.detach() if hasattr(later, "detach") else later, dtype=float)
            if not np.allclose(later_arr[:-1], got[:-1]):
                return Feedback(False, "changing the last token changes earlier outputs: the future leaks in.")
        return Feedback(False, compare(got, expected, "the output").message)
    return Feedback(True, "every token attends only to itself and the tokens before it.")
