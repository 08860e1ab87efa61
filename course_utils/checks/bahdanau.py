"""Checkers and predictions for notebook 02 (Bahdanau attention).

``check_additive_score`` (Bahdanau's score ``e_j = v_aᵀ tanh(W_a s + U_a h_j)``) and
``check_softmax_context`` (weights and context vector from the scores); ``PREDICTIONS``: which
model wins at length 20, and where the learned alignment looks.
"""

from __future__ import annotations

import numpy as np

from course_utils.attention import softmax as _softmax
from course_utils.bahdanau import additive_attention, additive_scores
from course_utils.checks import _core
from course_utils.checks._core import Feedback, checker
from course_utils.predict import Prediction

__all__ = [
    "ALIGNMENT_OFFSET",
    "PREDICTIONS",
    "WINNER_20",
    "check_additive_score",
    "check_softmax_context",
]


# --------------------------------------------------------------------------------------
# Predictions
# --------------------------------------------------------------------------------------
WINNER_20 = Prediction(
    id="02.winner-20",
    notebook="02",
    question=(
        "Both models (about 44 k and 48 k parameters) get the same 500 training steps on the "
        "same batches. At length 20, which one gets more output digits right?"
    ),
    choices={
        "attention": "attention, by a wide margin (0.3 or more of the digits)",
        "close": "about the same (within 0.3): 64 numbers are enough, both learn it",
        "fixed": "the fixed vector: it has fewer parameters to train in the same steps",
    },
    explanations={
        "attention": "Right: the fixed-vector model has to fit 20 digits into 64 numbers, the "
        "attention model looks each digit up again when it writes it.",
        "close": "Short strings, yes: both reverse them. At length 20 the fixed vector has "
        "forgotten the early digits, while attention re-reads them.",
        "fixed": "Fewer parameters do make training a little easier, but the bottleneck costs "
        "far more: it cannot hold 20 digits.",
    },
    answer=lambda gap: "attention" if gap >= 0.3 else "fixed" if gap <= -0.3 else "close",
)

ALIGNMENT_OFFSET = Prediction(
    id="02.alignment-offset",
    notebook="02",
    question=(
        "To write output digit i of a reversed string, the model must copy the source digit at "
        "the mirror position L−1−i. Where will its attention weight mostly fall?"
    ),
    choices={
        "mirror": "on the mirror position itself",
        "neighbour": "on a neighbour of the mirror, one position off",
        "spread": "spread over many positions",
    },
    explanations={
        "mirror": "The naive reading. But an annotation h_j holds a neighbourhood of digit j, "
        "so the mirror is not the only position that holds the digit to write.",
        "neighbour": "Each annotation also holds its neighbours' digits (the forward GRU has "
        "just read j−1, the backward GRU j+1), so a neighbour serves as well, and training "
        "settled there in this run.",
        "spread": "The weights are sharp: almost all of a step's weight sits on one or two "
        "positions, as the offsets show.",
    },
    answer=lambda offset: (
        "mirror" if offset == 0 else "neighbour" if abs(offset) == 1 else "spread"
    ),
)

PREDICTIONS = [WINNER_20, ALIGNMENT_OFFSET]


# --------------------------------------------------------------------------------------
# 02: Bahdanau's additive score, e_j = v_aᵀ tanh(W_a s + U_a h_j)
# --------------------------------------------------------------------------------------
def _score_case(rng, S: int, L: int, d_h: int, A: int, dtype=np.float64) -> tuple:
    """Random s (S,), H (L, d_h), W_a (A, S), U_a (A, d_h) and v_a (A,), in that order."""
    sizes = [S, (L, d_h), (A, S), (A, d_h), A]
    return tuple(rng.normal(size=size).astype(dtype) for size in sizes)


def _score_cases() -> list[tuple[str, tuple[np.ndarray, ...]]]:
    """Every size 3 (typical mistakes still run), then all sizes different, then float32."""
    rng = np.random.default_rng(1409)
    square, uneven = _score_case(rng, S=3, L=3, d_h=3, A=3), _score_case(rng, S=4, L=5, d_h=6, A=3)
    single = _score_case(rng, S=2, L=1, d_h=3, A=5, dtype=np.float32)
    return [
        ("3 annotations, every size 3", square),
        ("5 annotations of size 6, a decoder state of size 4, attention size 3", uneven),
        ("a single annotation of size 3, attention size 5, float32", single),
    ]


def _score_mistakes(s, H, W_a, U_a, v_a) -> dict:
    e = additive_scores(s, H, W_a, U_a, v_a)
    return {
        "you returned the softmax weights; the exercise asks for the raw scores e_j (before the "
        "softmax).": lambda: additive_attention(s, H, W_a, U_a, v_a)[1],
        "you returned the context vector; return the scores e_j, one per annotation.": lambda: (
            additive_attention(s, H, W_a, U_a, v_a)[0]
        ),
        "the tanh is missing: e_j = v_aᵀ tanh(W_a s + U_a h_j).": lambda: (
            (W_a @ s + H @ U_a.T) @ v_a
        ),
        "the tanh must come before v_a: first tanh(W_a s + U_a h_j), then the dot product with "
        "v_a.": lambda: np.tanh((W_a @ s + H @ U_a.T) @ v_a),
        "the decoder state is missing: add W_a @ s inside the tanh.": lambda: (
            np.tanh(H @ U_a.T) @ v_a
        ),
        "the annotations are missing: add U_a @ h_j inside the tanh.": lambda: (
            np.tanh(W_a @ s)[None].repeat(len(H), 0) @ v_a
        ),
        "that is a dot-product score (Luong et al. 2015); Bahdanau's score is additive: v_aᵀ "
        "tanh(W_a s + U_a h_j).": lambda: H @ s,
        "U_a is applied untransposed: each annotation h_j becomes U_a @ h_j, so for all rows use "
        "H @ U_a.T.": lambda: np.tanh(W_a @ s + H @ U_a) @ v_a,
        "you computed U_a @ H, which treats the columns of H as annotations; each row of H is one "
        "annotation h_j, so use H @ U_a.T.": lambda: np.tanh(W_a @ s + (U_a @ H).T) @ v_a,
        "you multiplied W_a s and U_a h_j; the score adds them (that is why it is called "
        "additive).": lambda: np.tanh((W_a @ s) * (H @ U_a.T)) @ v_a,
        "the scores are negated: e_j = + v_aᵀ tanh(…).": lambda: -e,
        "W_a @ s is added along the wrong axis: U_a @ H.T has one column per annotation, so add "
        "(W_a @ s)[:, None], or use the rows: W_a @ s + H @ U_a.T.": lambda: (
            v_a @ np.tanh(W_a @ s + U_a @ H.T)
        ),
        "you applied tanh to each part separately; it squashes their sum: "
        "tanh(W_a s + U_a h_j).": lambda: (np.tanh(W_a @ s) + np.tanh(H @ U_a.T)) @ v_a,
    }


@checker("02")
def check_additive_score(fn) -> Feedback:
    """Check a learner's ``fn(s, H, W_a, U_a, v_a) -> e`` (one score per annotation)."""
    problem = _core.check_array_cases(
        fn,
        _score_cases(),
        additive_scores,
        _score_mistakes,
        name="your additive_score",
        what="your score vector",
        shape_advice="one number per annotation (row of H). Did you forget v_a?",
        later_failure_advice="Shapes: s (S,), H (L, d_h), W_a (A, S), U_a (A, d_h), v_a (A,).",
    )
    return problem or Feedback(
        True, "your additive_score computes v_aᵀ tanh(W_a s + U_a h_j) for every annotation."
    )


# --------------------------------------------------------------------------------------
# 02: from scores to weights and the context vector
# --------------------------------------------------------------------------------------
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
        "the context is the plain average of the annotations; weight each h_j by α_j (alpha @ "
        "H).": lambda: H.mean(0),
        "the context is one annotation (hard attention); attention mixes all of them: alpha @ "
        "H.": lambda: H[np.argmax(alpha)],
        "you weighted the rows but did not add them up: c = Σ_j α_j h_j, so sum over j "
        "(alpha @ H).": lambda: alpha[:, None] * H,
    }


def _part_problem(description, got, expected, mistakes, what, lead, rule) -> Feedback | None:
    """None when ``got`` (the weights or the context) matches; else its slip or its difference."""
    if _core.compare(got, expected) is None:
        return None
    return _core.wrong_answer(got, expected, mistakes, description, what, lead=lead, rule=rule)


@checker("02")
def check_softmax_context(fn) -> Feedback:
    """Check a learner's ``fn(e, H) -> (alpha, context)``: softmax weights and ``Σ_j α_j h_j``."""
    for description, (e, H) in _context_cases():
        result, problem = _core.call_learner(fn, e.copy(), H.copy(), name="your softmax_context")
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
        alpha, problem = _core.as_array(alpha_raw, "your weights alpha")
        if problem and description.startswith("large"):
            return Feedback(
                False,
                f"On {description}: {problem.message} np.exp(1000) overflows. Subtract the "
                "largest score first, np.exp(e - e.max()): that leaves the softmax unchanged.",
            )
        if problem:
            return problem
        context, problem = _core.as_array(context_raw, "your context vector")
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
        problem = _part_problem(
            description, alpha, alpha_expected, _weight_mistakes(e), "your weights alpha", "",
            " alpha = np.exp(e - e.max()); alpha /= alpha.sum().",
        ) or _part_problem(
            description, context, context_expected, _context_mistakes(alpha_expected, H),
            "your context vector", "the weights are right, but ",
            " The context is Σ_j α_j h_j = alpha @ H.",
        )  # fmt: skip
        if problem:
            return problem
    return Feedback(
        True,
        "your softmax_context turns scores into weights that sum to 1 (even for large scores) "
        "and mixes the annotations into the context vector.",
    )
