"""Checkers for the RNN and Bahdanau-attention exercises (notebooks 01 and 02)."""

from __future__ import annotations

import numpy as np

from course_utils.checks._core import Feedback, as_array, call_learner, compare, first_match
from course_utils.seq2seq import additive_attention, additive_scores

__all__ = ["check_additive_score", "check_rnn_step"]


# --------------------------------------------------------------------------------------
# 01: one step of a vanilla RNN, h_t = tanh(W_x x_t + W_h h_{t-1} + b)
# --------------------------------------------------------------------------------------
def _rnn_cases() -> list[tuple[str, tuple[np.ndarray, ...]]]:
    """A square case (where even a transposed matrix runs) and an uneven one (d ≠ H)."""
    rng = np.random.default_rng(2014)
    square = (
        rng.normal(size=3),
        rng.normal(size=3),
        rng.normal(size=(3, 3)),
        rng.normal(size=(3, 3)),
        rng.normal(size=3),
    )
    uneven = (
        rng.normal(size=2),
        rng.normal(size=4),
        rng.normal(size=(4, 2)),
        rng.normal(size=(4, 4)),
        rng.normal(size=4),
    )
    return [("d = H = 3", square), ("input size d = 2, hidden size H = 4", uneven)]


def _rnn_mistakes(x, h, W_x, W_h, b) -> dict:
    pre = W_x @ x + W_h @ h + b
    return {
        "the tanh is missing: h_t = tanh(W_x x_t + W_h h_{t-1} + b).": lambda: pre,
        "you used a sigmoid; the vanilla RNN squashes with tanh (np.tanh), which is centred on 0.": lambda: (
            1 / (1 + np.exp(-pre))
        ),
        "you used ReLU; this RNN uses tanh (np.tanh).": lambda: np.maximum(pre, 0),
        "the previous state h_{t-1} is missing: without W_h @ h the network has no memory.": lambda: (
            np.tanh(W_x @ x + b)
        ),
        "the input x_t is missing: add W_x @ x.": lambda: np.tanh(W_h @ h + b),
        "the bias b is missing.": lambda: np.tanh(W_x @ x + W_h @ h),
        "W_h is transposed: the new state is W_h @ h (rows of W_h produce the new state).": lambda: (
            np.tanh(W_x @ x + W_h.T @ h + b)
        ),
        "W_x is transposed: use W_x @ x, where W_x has shape (H, d).": lambda: np.tanh(
            W_x.T @ x + W_h @ h + b
        ),
        "you returned the old state plus the update; an RNN replaces h: h_t = tanh(…).": lambda: (
            h + np.tanh(pre)
        ),
    }


def check_rnn_step(fn) -> Feedback:
    """Check a learner's ``fn(x, h, W_x, W_h, b) -> h_new`` against ``tanh(W_x x + W_h h + b)``."""
    for description, args in _rnn_cases():
        result, problem = call_learner(fn, *(a.copy() for a in args), name="your rnn_step")
        if problem:
            if description.startswith("input size"):
                return Feedback(
                    False,
                    f"it works when d = H but fails for {description}: {problem.message} "
                    "W_x has shape (H, d) and W_h has shape (H, H).",
                )
            return problem
        got, problem = as_array(result, "the new state")
        if problem:
            return problem
        x, h, W_x, W_h, b = args
        expected = np.tanh(W_x @ x + W_h @ h + b)
        if compare(got, expected) is None:
            continue
        hint = first_match(got, _rnn_mistakes(*args))
        if hint:
            return Feedback(False, f"On {description}: {hint}")
        if got.shape != expected.shape:
            return Feedback(
                False,
                f"On {description} the new state has shape {got.shape} but should have shape "
                f"{expected.shape}: one number per hidden unit, like h.",
            )
        return Feedback(
            False, f"On {description}: " + compare(got, expected, "the new state").message
        )
    return Feedback(
        True, "your rnn_step computes tanh(W_x·x + W_h·h + b) for square and uneven sizes."
    )


# --------------------------------------------------------------------------------------
# 02: Bahdanau's additive score, e_j = v_aᵀ tanh(W_a s + U_a h_j)
# --------------------------------------------------------------------------------------
def _score_cases() -> list[tuple[str, tuple[np.ndarray, ...]]]:
    """A case where every size is 3 (typical mistakes still run), then one with all sizes different."""
    rng = np.random.default_rng(1409)
    square = (
        rng.normal(size=3),
        rng.normal(size=(3, 3)),
        rng.normal(size=(3, 3)),
        rng.normal(size=(3, 3)),
        rng.normal(size=3),
    )
    uneven = (
        rng.normal(size=4),
        rng.normal(size=(5, 6)),
        rng.normal(size=(3, 4)),
        rng.normal(size=(3, 6)),
        rng.normal(size=3),
    )
    return [
        ("3 annotations, every size 3", square),
        ("5 annotations of size 6, a decoder state of size 4, attention size 3", uneven),
    ]


def _score_mistakes(s, H, W_a, U_a, v_a) -> dict:
    e = additive_scores(s, H, W_a, U_a, v_a)
    return {
        "you returned the softmax weights; the exercise asks for the raw scores e_j (before the softmax).": lambda: (
            additive_attention(s, H, W_a, U_a, v_a)[1]
        ),
        "you returned the context vector; return the scores e_j, one per annotation.": lambda: (
            additive_attention(s, H, W_a, U_a, v_a)[0]
        ),
        "the tanh is missing: e_j = v_aᵀ tanh(W_a s + U_a h_j).": lambda: (
            (W_a @ s + H @ U_a.T) @ v_a
        ),
        "the tanh must come before v_a: first tanh(W_a s + U_a h_j), then the dot product with v_a.": lambda: (
            np.tanh((W_a @ s + H @ U_a.T) @ v_a)
        ),
        "the decoder state is missing: add W_a @ s inside the tanh.": lambda: (
            np.tanh(H @ U_a.T) @ v_a
        ),
        "the annotations are missing: add U_a @ h_j inside the tanh.": lambda: (
            np.tanh(W_a @ s)[None].repeat(len(H), 0) @ v_a
        ),
        "that is a dot-product score (Luong et al. 2015); Bahdanau's score is additive: v_aᵀ tanh(W_a s + U_a h_j).": lambda: (
            H @ s
        ),
        "U_a is applied untransposed: each annotation h_j becomes U_a @ h_j, so for all rows use H @ U_a.T.": lambda: (
            np.tanh(W_a @ s + H @ U_a) @ v_a
        ),
        "you computed U_a @ H, which treats the columns of H as annotations; each row of H is one "
        "annotation h_j, so use H @ U_a.T.": lambda: np.tanh(W_a @ s + (U_a @ H).T) @ v_a,
        "you multiplied W_a s and U_a h_j; the score adds them (that is why it is called additive).": lambda: (
            np.tanh((W_a @ s) * (H @ U_a.T)) @ v_a
        ),
        "the scores are negated: e_j = + v_aᵀ tanh(…).": lambda: -e,
    }


def check_additive_score(fn) -> Feedback:
    """Check a learner's ``fn(s, H, W_a, U_a, v_a) -> e`` (one score per annotation) against Bahdanau's."""
    for description, args in _score_cases():
        result, problem = call_learner(fn, *(a.copy() for a in args), name="your additive_score")
        if problem:
            if description.startswith("5 annotations"):
                return Feedback(
                    False,
                    f"it works when every size is 3 but fails for {description}: {problem.message} "
                    "Shapes: s (S,), H (L, d_h), W_a (A, S), U_a (A, d_h), v_a (A,).",
                )
            return problem
        got, problem = as_array(result, "your score vector")
        if problem:
            return problem
        expected = additive_scores(*args)
        if got.shape == (len(expected), 1) or got.shape == (1, len(expected)):
            got = got.reshape(-1)
        if compare(got, expected) is None:
            continue
        hint = first_match(got, _score_mistakes(*args))
        if hint:
            return Feedback(False, f"On {description}: {hint}")
        if got.shape != expected.shape:
            return Feedback(
                False,
                f"On {description} the scores have shape {got.shape} but should have shape "
                f"{expected.shape}: one number per annotation (row of H). Did you forget v_a?",
            )
        return Feedback(
            False, f"On {description}: " + compare(got, expected, "your score vector").message
        )
    return Feedback(
        True, "your additive_score computes v_aᵀ tanh(W_a s + U_a h_j) for every annotation."
    )
