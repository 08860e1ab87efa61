"""Checkers and predictions of notebook 04: plain and causal attention.

Each checker runs the learner's function on several shapes and several d_k (never only the
notebook's d_k = 4, whose √ is the 2 a learner might hard-code), compares it with
``course_utils.attention`` and names the slip when the answer matches a known mistake.
"""

from __future__ import annotations

import numpy as np

from course_utils.attention import attention, causal_mask, softmax
from course_utils.checks import _core
from course_utils.checks._core import Feedback, checker
from course_utils.predict import Prediction

__all__ = [
    "FUCHS_LOOKS_AT",
    "PREDICTIONS",
    "SOFT_TO_HARD",
    "check_attention",
    "check_causal_attention",
]

_SIZES = [  # (n_q, n_k, d_k, d_v): after the square first case, no two sizes are equal
    (4, 4, 4, 4),
    (3, 5, 9, 2),
    (2, 7, 16, 3),
]
_CAUSAL_SIZES = [(4, 4, 4, 4), (6, 6, 9, 3), (5, 5, 16, 2)]  # one sentence: n_q = n_k = n


def _describe(n_q: int, n_k: int, d_k: int, d_v: int) -> str:
    if n_q == n_k == d_k == d_v:
        return f"{n_q} tokens, d_k = d_v = {d_k} (square matrices)"
    if n_q == n_k:
        return f"{n_q} tokens, d_k = {d_k}, d_v = {d_v}"
    return f"{n_q} queries, {n_k} keys, d_k = {d_k}, d_v = {d_v}"


def _cases(sizes=_SIZES) -> list[tuple[str, tuple[np.ndarray, ...]]]:
    """Test inputs: a square case (where every typical mistake still runs), then uneven ones."""
    rng = np.random.default_rng(1234)
    cases = []
    for n_q, n_k, d_k, d_v in sizes:
        Q, K = rng.normal(size=(n_q, d_k)) * 1.5, rng.normal(size=(n_k, d_k)) * 1.5
        V = rng.normal(size=(n_k, d_v))
        cases.append((_describe(n_q, n_k, d_k, d_v), (Q, K, V)))
    return cases


def _scale_mistakes(S: np.ndarray, V: np.ndarray, d_k: int, finish) -> dict:
    """Wrong divisors of the scores S = Q·Kᵀ; ``finish(scaled)`` turns scaled scores into output."""
    n_q, n_k, d_v = S.shape[0], S.shape[1], V.shape[1]
    wrong = {
        "the scores are not scaled: divide Q·Kᵀ by √d_k before the softmax.": 1.0,
        "you divided by d_k; the Transformer divides by √d_k (np.sqrt(d_k)).": d_k,
        "you multiplied by √d_k; divide instead.": 1 / np.sqrt(d_k),
        "you divided by √n_k, the number of keys (K.shape[0]); divide by √d_k, the width of the "
        "queries and keys (Q.shape[-1]).": np.sqrt(n_k),
        "you divided by √d_v, the width of the values (V.shape[-1]); divide by √d_k, the width "
        "of the queries and keys (Q.shape[-1]).": np.sqrt(d_v),
        "you divided by √n_q, the number of queries (Q.shape[0]); divide by √d_k, the width of "
        "the queries and keys (Q.shape[-1]).": np.sqrt(n_q),
        f"you divided by 2 = √4 whatever the input: here d_k = {d_k}, so divide by "
        f"√{d_k}. Read d_k from the arguments (d_k = Q.shape[-1]), not from the notebook's "
        "global d_k or a fixed number.": 2.0,
    }
    return {
        message: (lambda div=div: finish(S / div))
        for message, div in wrong.items()
        if not np.isclose(div, np.sqrt(d_k))
    }


def _typical_mistakes(Q: np.ndarray, K: np.ndarray, V: np.ndarray) -> dict:
    """Known wrong answers, each with the advice that fixes it."""
    d_k = Q.shape[-1]
    S = Q @ K.T
    root = np.sqrt(d_k)
    e = np.exp(S / root)  # as a learner writes it, without subtracting the maximum
    return {
        "you returned the attention weights; the output is the weights times V "
        "(weights @ V).": lambda: softmax(S / root),
        **_scale_mistakes(S, V, d_k, lambda scaled: softmax(scaled) @ V),
        "the softmax runs over the wrong axis: each query's weights (one row, over the keys) "
        "must sum to 1, so use axis=-1.": lambda: softmax(S / root, axis=0) @ V,
        "the softmax is missing: turn the scaled scores into weights that sum to 1 per row.": (
            lambda: (S / root) @ V
        ),
        "the weights are exp(scores) but not divided by their sum: softmax divides each row "
        "by its own total.": lambda: np.exp(S / root) @ V,
        "the exponentials are divided by the sum over the whole matrix; divide each row by its "
        "own sum: e.sum(axis=-1, keepdims=True).": lambda: (e / e.sum()) @ V,
        "the row sums lost their axis (no keepdims=True), so each column, not each row, was "
        "divided: use e.sum(axis=-1, keepdims=True).": lambda: (e / e.sum(axis=-1)) @ V,
        "K is not transposed: compare each query with each key by Q @ K.T.": (
            lambda: softmax(Q @ K / root) @ V
        ),
        "the scores are K @ Q.T (keys × queries); they must be Q @ K.T, one row per query.": (
            lambda: softmax(K @ Q.T / root) @ V
        ),
        "the transpose is on the wrong matrix: the scores are Q @ K.T, not Q.T @ K.": (
            lambda: softmax(Q.T @ K / root) @ V
        ),
        "you multiplied the weights by V.T; the output is weights @ V (one value row per key).": (
            lambda: softmax(S / root) @ V.T
        ),
        "V and the weights are multiplied in the wrong order: output = weights @ V.": (
            lambda: V @ softmax(S / root)
        ),
    }


@checker("04")
def check_attention(fn) -> Feedback:
    """Check a learner's ``fn(Q, K, V) -> output`` against softmax(Q·Kᵀ/√d_k)·V."""
    problem = _core.check_array_cases(
        fn,
        _cases(),
        lambda Q, K, V: attention(Q, K, V)[0],
        _typical_mistakes,
        name="your attention function",
        what="the output",
        shape_advice="one row per query, one column per value feature (n_q, d_v).",
        later_failure_advice="Which matrix must be transposed when n_q ≠ n_k?",
    )
    return problem or Feedback(
        True,
        "your function computes softmax(Q·Kᵀ/√d_k)·V for square and uneven shapes and for "
        "d_k = 4, 9 and 16.",
    )


def _causal_mistakes(Q: np.ndarray, K: np.ndarray, V: np.ndarray) -> dict:
    """Known wrong answers for causal attention, each with the advice that fixes it."""
    n, d_k = Q.shape[0], Q.shape[-1]
    S = Q @ K.T
    S_scaled = S / np.sqrt(d_k)
    past = causal_mask(n)  # True where j ≤ i
    future = ~past

    def masked(scores):
        return softmax(np.where(past, scores, -np.inf)) @ V

    return {
        "no mask is applied: every token still sees the future. Set the scores above the "
        "diagonal to -inf before the softmax.": lambda: softmax(S_scaled) @ V,
        "the mask is the wrong way round: token i must see tokens j ≤ i (the lower triangle, "
        "np.tril), and not the ones after it.": (
            lambda: softmax(np.where(past.T, S_scaled, -np.inf)) @ V
        ),
        "your mask lets each token see one token ahead (np.tril(..., k=1)): use k=0, so token i "
        "sees exactly the tokens j ≤ i.": (
            lambda: (
                softmax(np.where(np.tril(np.ones((n, n), dtype=bool), k=1), S_scaled, -np.inf)) @ V
            )
        ),
        "the masked scores are set to 0, not -inf: exp(0) = 1, so the future still gets "
        "weight (multiplying the scores by the mask does the same). Use -np.inf.": (
            lambda: softmax(np.where(future, 0.0, S_scaled)) @ V
        ),
        "the weights are masked after the softmax, so the rows no longer sum to 1. Mask the "
        "scores before the softmax.": lambda: np.where(future, 0.0, softmax(S_scaled)) @ V,
        **{
            message.replace("the scores are not scaled", "the causal scores are not scaled"): make
            for message, make in _scale_mistakes(S, V, d_k, masked).items()
        },
        "you returned the attention weights; the output is the weights times V.": (
            lambda: softmax(np.where(past, S_scaled, -np.inf))
        ),
        "the softmax runs over the wrong axis: each query's weights (one row) must sum to 1, "
        "so use axis=-1.": lambda: softmax(np.where(past, S_scaled, -np.inf), axis=0) @ V,
    }


def _masked_rows(result, n: int) -> str | None:
    """Advice when whole rows of the output are NaN: every key of those queries was masked."""
    try:
        arr = np.asarray(result.detach() if hasattr(result, "detach") else result, dtype=float)
    except Exception:  # not readable: as_array will say why
        return None
    if arr.ndim != 2 or arr.shape[0] != n:
        return None
    bad = np.isnan(arr).all(axis=1)
    if not bad.any() or np.isnan(arr[~bad]).any():
        return None
    rows = [int(r) for r in np.flatnonzero(bad)]
    hint = {
        0: "token 0 may see nothing: the mask hides the diagonal too (np.tril(..., k=-1)). "
        "A token may attend to itself, so keep j ≤ i: np.tril(np.ones((n, n), dtype=bool)).",
        n - 1: "the last token sees nothing: the mask hides j ≤ i instead of j > i (are the "
        "arguments of np.where swapped?). Keep the scores where j ≤ i, -inf where j > i.",
    }.get(rows[0], "check which pairs your mask forbids: token i must see every j ≤ i.")
    return (
        f"row {rows[0]} of your output is NaN: every score of that query was masked to -inf, "
        f"so its softmax is 0/0. {hint}"
    )


def _causal_problem(fn, description: str, Q, K, V) -> Feedback | None:
    """None when ``fn`` gives causal attention on (Q, K, V); else what is wrong."""
    n = Q.shape[0]
    result, problem = _core.call_learner(fn, Q, K, V, name="your causal attention")
    if problem:
        if "all -inf" in problem.message or "attend to no key" in problem.message:
            return Feedback(
                False,
                f"On {description}: your causal attention stopped because a row of its scores "
                "is all -inf: some token may see no key at all, so its softmax is 0/0. Token i "
                "must see every j ≤ i, itself included: keep the diagonal (np.tril(..., k=0)) "
                "and set -inf only where j > i.",
            )
        return problem
    hint = _masked_rows(result, n)
    if hint:
        return Feedback(False, f"On {description}: {hint}")
    got, problem = _core.as_array(result, "the output")
    if problem:
        return problem
    expected, _ = attention(Q, K, V, mask=causal_mask(n))
    if _core.compare(got, expected) is None:
        return None
    shape_advice = "one row per token, one column per value feature (n, d_v)."
    leak = _future_leak(fn, Q, K, V, got) if got.shape == expected.shape else ""
    mistakes = _causal_mistakes(Q, K, V)
    return _core.wrong_answer(
        got, expected, mistakes, description, "the output", shape_advice, rule=leak
    )


def _future_leak(fn, Q, K, V, got: np.ndarray) -> str:
    """The sentence to add when changing the last value changes earlier outputs, else ""."""
    changed = V.copy()
    changed[-1] += 10.0
    later, problem = _core.call_learner(fn, Q, K, changed, name="your causal attention")
    later, problem = (None, problem) if problem else _core.as_array(later, "the output")
    if problem is None and later.shape == got.shape and not np.allclose(later[:-1], got[:-1]):
        return " Changing the last token changes earlier outputs: the future leaks in."
    return ""


@checker("04")
def check_causal_attention(fn) -> Feedback:
    """Check a learner's ``fn(Q, K, V) -> output`` for left-to-right (causal) attention."""
    for description, (Q, K, V) in _cases(_CAUSAL_SIZES):
        problem = _causal_problem(fn, description, Q, K, V)
        if problem:
            return problem
    return Feedback(
        True,
        "every token attends only to itself and the tokens before it, for 4, 6 and 5 tokens "
        "and d_k = 4, 9 and 16.",
    )


# --------------------------------------------------------------------------- predictions

FUCHS_LOOKS_AT = Prediction(
    id="04.fuchs-looks-at",
    notebook="04",
    question="Which token will “Fuchs” give most of its attention to?",
    choices={
        "Der": "“Der”, the first word",
        "schlaue": "“schlaue”, the word that describes it",
        "Fuchs": "“Fuchs” itself: a token is most similar to itself",
        "equal": "all three about equally",
    },
    explanations={
        "Der": "q_Fuchs · k_Der = −4, the lowest score with “Fuchs”: after the softmax “Der” gets "
        "only 0.11.",
        "schlaue": "q_Fuchs · k_schlaue = 0 beats −4 and −4. Only differences between scores "
        "matter to the softmax, so the 0 wins by 4 (2 after ÷√4) and takes 0.79.",
        "Fuchs": "A token is not automatically most similar to itself: its query and its key come "
        "from different matrices (W_Q, W_K). Here q_Fuchs · k_Fuchs = −4, so it gets 0.11.",
        "equal": "The scores 0, −4, −4 differ by 4 (2 after scaling): e² ≈ 7.4 times more "
        "weight for “schlaue”, far from equal.",
    },
    answer=lambda token: token if token in ("Der", "schlaue", "Fuchs") else "equal",
)

SOFT_TO_HARD = Prediction(
    id="04.soft-to-hard",
    notebook="04",
    question="The values are 10, 20, 90 and the query is closest to key “b” (value 20). As the "
    "sharpness grows from 0.5 to 50, what does the looked-up value do?",
    choices={
        "average": "it stays near the plain average of the values, (10 + 20 + 90) / 3 = 40",
        "hard": "it starts near the average and falls to 20, the hard look-up dict['b']",
        "always": "it is 20 at every sharpness, because the query is closest to “b”",
        "beyond": "it keeps falling past 20, towards the smallest value 10",
    },
    explanations={
        "average": "Only a sharpness near 0 makes the weights uniform (value 40). Sharper "
        "comparisons move the weight onto “b”.",
        "hard": "At sharpness 0.5 the weights are still spread (0.30, 0.45, 0.25), so the value "
        "is a blend near 34; as the sharpness grows the weight of “b” goes to 1 and the value "
        "to 20: the soft look-up becomes the hard one.",
        "always": "Closest is not the same as all: at a low sharpness the other keys keep much "
        "of the weight, and 90 pulls the blend up to about 34.",
        "beyond": "The weights are positive and sum to 1, so the value is a weighted mean of "
        "the values; it settles at the value whose weight goes to 1, 20.",
    },
    answer=lambda values: (
        "always"
        if all(abs(v - 20) < 0.5 for v in values)
        else "beyond"
        if values[-1] < 19
        else "hard"
        if abs(values[-1] - 20) < 0.05
        else "average"
    ),
)

PREDICTIONS = [FUCHS_LOOKS_AT, SOFT_TO_HARD]
