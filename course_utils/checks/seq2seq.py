"""Checkers for the RNN and Bahdanau-attention exercises (notebooks 01 and 02).

01: ``check_rnn_step`` (one step of a tanh RNN), ``check_decay_per_step`` (the fraction of a
gradient that survives one step, read off a log-scale curve). 02: ``check_additive_score``
(Bahdanau's score), ``check_softmax_context`` (weights and context vector from the scores).
"""

from __future__ import annotations

import numpy as np

from course_utils.checks._core import (
    Feedback,
    as_array,
    call_learner,
    check_array_cases,
    compare,
    first_match,
)
from course_utils.seq2seq import additive_attention, additive_scores

__all__ = [
    "check_additive_score",
    "check_decay_per_step",
    "check_rnn_step",
    "check_softmax_context",
]


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
    problem = check_array_cases(
        fn,
        _rnn_cases(),
        lambda x, h, W_x, W_h, b: np.tanh(W_x @ x + W_h @ h + b),
        _rnn_mistakes,
        name="your rnn_step",
        what="the new state",
        shape_advice="one number per hidden unit, like h.",
        later_failure_advice="W_x has shape (H, d) and W_h has shape (H, H).",
        easy="d = H",
    )
    return problem or Feedback(
        True, "your rnn_step computes tanh(W_x·x + W_h·h + b) for square and uneven sizes."
    )


# --------------------------------------------------------------------------------------
# 01: the fraction of the gradient that survives one step, from a log-scale fit
# --------------------------------------------------------------------------------------
def _fit_decay(distances: np.ndarray, norms: np.ndarray) -> float:
    """exp(slope) of the least-squares line through (distance, log norm)."""
    slope, _ = np.polyfit(distances, np.log(norms), 1)
    return float(np.exp(slope))


def _decay_cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """An exact geometric curve, a noisy one, and one whose distances are not evenly spaced."""
    rng = np.random.default_rng(1991)
    evenly = np.arange(1, 62, 5, dtype=float)
    exact = 3.0 * 0.6**evenly
    noisy = 2.0 * 0.8**evenly * np.exp(rng.normal(0.0, 0.3, evenly.size))
    noisy[0] *= 3.0  # a stray first point: only a fit through all points ignores it
    uneven = np.array([1.0, 2.0, 4.0, 8.0, 16.0, 32.0])
    spread = 0.5 * 0.9**uneven * np.exp(rng.normal(0.0, 0.05, uneven.size))
    return [
        ("an exact curve 3·0.6^distance", evenly, exact),
        ("a noisy curve near 2·0.8^distance", evenly, noisy),
        ("distances 1, 2, 4, 8, 16, 32 (not evenly spaced)", uneven, spread),
    ]


def _decay_mistakes(distances: np.ndarray, norms: np.ndarray) -> dict:
    slope, intercept = np.polyfit(distances, np.log(norms), 1)
    slope10, _ = np.polyfit(distances, np.log10(norms), 1)
    return {
        "you returned the slope of the line, log r; the factor per step is r = np.exp(slope).": lambda: (
            slope
        ),
        "that is how many times *smaller* the gradient gets per step (1/r); return the fraction "
        "that survives, r = np.exp(slope), a number below 1.": lambda: np.exp(-slope),
        "you fitted np.log10 but undid it with np.exp; undo log10 with 10**slope, or fit np.log.": lambda: (
            np.exp(slope10)
        ),
        "you returned the intercept of the line; the factor per step comes from the slope.": lambda: (
            np.exp(intercept)
        ),
        "np.polyfit(x, y, 1) fits y against x: the distances go first, np.log(norms) second.": lambda: (
            np.exp(np.polyfit(np.log(norms), distances, 1)[0])
        ),
        "you fitted a line to the norms themselves; the curve is straight only on a log scale, "
        "so fit np.log(norms).": lambda: np.exp(np.polyfit(distances, norms, 1)[0]),
        "you used only the first and the last point; fit a line through all of them "
        "(np.polyfit), so that one stray point cannot pull the answer.": lambda: (
            (norms[-1] / norms[0]) ** (1 / (distances[-1] - distances[0]))
        ),
        "you divided neighbouring norms as if they were one step apart; the distances between "
        "the points are not 1, so fit against the distances.": lambda: np.exp(
            np.mean(np.diff(np.log(norms)))
        ),
    }


def check_decay_per_step(fn) -> Feedback:
    """Check a learner's ``fn(distances, norms) -> r``: exp of the slope of log(norms) vs distance."""
    for description, distances, norms in _decay_cases():
        result, problem = call_learner(
            fn, distances.copy(), norms.copy(), name="your decay_per_step"
        )
        if problem:
            return problem
        got, problem = as_array(result, "your factor")
        if problem:
            return problem
        if got.size != 1:
            return Feedback(
                False,
                f"On {description} you returned {got.size} numbers (shape {got.shape}); return one "
                "number, the fraction of the gradient that survives one step.",
            )
        got = got.reshape(())
        expected = np.asarray(_fit_decay(distances, norms))
        if compare(got, expected, atol=1e-6, rtol=1e-4) is None:
            continue
        hint = first_match(got, _decay_mistakes(distances, norms))
        if hint:
            return Feedback(False, f"On {description}: {hint}")
        return Feedback(
            False,
            f"On {description} you returned {float(got):.4g}, but the fitted factor per step is "
            f"{float(expected):.4g}. Fit np.polyfit(distances, np.log(norms), 1) and return "
            "np.exp of the slope.",
        )
    return Feedback(
        True,
        "your decay_per_step reads the factor per step off the log-scale line, for even and "
        "uneven distances and noisy points.",
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
    problem = check_array_cases(
        fn,
        _score_cases(),
        additive_scores,
        _score_mistakes,
        name="your additive_score",
        what="your score vector",
        shape_advice="one number per annotation (row of H). Did you forget v_a?",
        later_failure_advice="Shapes: s (S,), H (L, d_h), W_a (A, S), U_a (A, d_h), v_a (A,).",
        easy="every size 3",
    )
    return problem or Feedback(
        True, "your additive_score computes v_aᵀ tanh(W_a s + U_a h_j) for every annotation."
    )


# --------------------------------------------------------------------------------------
# 02: from scores to weights and the context vector
# --------------------------------------------------------------------------------------
def _softmax(e: np.ndarray) -> np.ndarray:
    w = np.exp(e - e.max())
    return w / w.sum()


def _context_cases() -> list[tuple[str, tuple[np.ndarray, np.ndarray]]]:
    """Three annotations of size 2, then five of size 4, then large scores (overflow test)."""
    rng = np.random.default_rng(473)
    small = (np.array([1.2, 2.7, 2.0]), rng.normal(size=(3, 2)))
    uneven = (rng.normal(size=5), rng.normal(size=(5, 4)))
    large = (np.array([1000.0, 1002.0, 999.0, 1001.0]), rng.normal(size=(4, 3)))
    return [
        ("3 scores, annotations of size 2", small),
        ("5 scores, annotations of size 4", uneven),
        ("large scores 1000, 1002, 999, 1001", large),
    ]


def _weight_mistakes(e: np.ndarray) -> dict:
    return {
        "the weights do not sum to 1: divide np.exp(e) by its sum.": lambda: np.exp(e),
        "the weights do not sum to 1: after np.exp(e - e.max()), divide by the sum.": lambda: (
            np.exp(e - e.max())
        ),
        "the exp is missing: softmax is np.exp(e) / np.exp(e).sum(), not e / e.sum().": lambda: (
            e / e.sum()
        ),
        "the weights are the softmax of -e; higher scores must get *more* weight.": lambda: (
            _softmax(-e)
        ),
        "you picked one position (hard attention, like argmax); softmax gives every position "
        "some weight.": lambda: np.eye(len(e))[np.argmax(e)],
    }


def _context_mistakes(alpha: np.ndarray, H: np.ndarray) -> dict:
    return {
        "the context ignores the weights: c = Σ_j α_j h_j, i.e. alpha @ H.": lambda: H.sum(0),
        "the context is the plain average of the annotations; weight each h_j by α_j (alpha @ H).": lambda: (
            H.mean(0)
        ),
        "the context is one annotation (hard attention); attention mixes all of them: alpha @ H.": lambda: (
            H[np.argmax(alpha)]
        ),
        "you weighted the rows but did not add them up: c = Σ_j α_j h_j, so sum over j "
        "(alpha @ H).": lambda: alpha[:, None] * H,
    }


def check_softmax_context(fn) -> Feedback:
    """Check a learner's ``fn(e, H) -> (alpha, context)``: softmax weights and ``Σ_j α_j h_j``."""
    for description, (e, H) in _context_cases():
        result, problem = call_learner(fn, e.copy(), H.copy(), name="your softmax_context")
        if problem:
            if description.startswith("large"):
                return Feedback(
                    False,
                    f"it works for small scores but fails for {description}: {problem.message}",
                )
            if "raised" in problem.message:
                return Feedback(
                    False,
                    f"{problem.message} Shapes: e is (L,) and H is (L, d_h), one annotation per "
                    "row, so the context alpha @ H has shape (d_h,).",
                )
            return problem
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            return Feedback(
                False,
                "return two things, `return alpha, context`: the weights (one per annotation) "
                "and the context vector (one number per annotation feature).",
            )
        alpha_expected = _softmax(e)
        context_expected = alpha_expected @ H
        alpha_raw, context_raw = result
        alpha, problem = as_array(alpha_raw, "your weights alpha")
        if problem and description.startswith("large"):
            return Feedback(
                False,
                f"On {description}: {problem.message} np.exp(1000) overflows. Subtract the "
                "largest score first, np.exp(e - e.max()): that leaves the softmax unchanged.",
            )
        if problem:
            return problem
        context, problem = as_array(context_raw, "your context vector")
        if problem:
            return problem
        if (
            alpha.shape == context_expected.shape
            and context.shape == alpha_expected.shape
            and (alpha.shape != context.shape)
        ):
            return Feedback(
                False,
                "the two results are swapped: return `alpha, context`, the weights first.",
            )
        if compare(alpha, alpha_expected) is not None:
            hint = first_match(alpha, _weight_mistakes(e))
            if hint:
                return Feedback(False, f"On {description}: {hint}")
            return Feedback(
                False,
                f"On {description}: "
                + compare(alpha, alpha_expected, "your weights alpha").message
                + " alpha = np.exp(e - e.max()); alpha /= alpha.sum().",
            )
        if compare(context, context_expected) is not None:
            hint = first_match(context, _context_mistakes(alpha_expected, H))
            if hint:
                return Feedback(False, f"On {description}: the weights are right, but {hint}")
            return Feedback(
                False,
                f"On {description}: the weights are right, but "
                + compare(context, context_expected, "your context vector").message
                + " The context is Σ_j α_j h_j = alpha @ H.",
            )
    return Feedback(
        True,
        "your softmax_context turns scores into weights that sum to 1 (even for large scores) "
        "and mixes the annotations into the context vector.",
    )
