"""Checkers and predictions for notebook 01 (the RNN bottleneck).

``check_rnn_step`` (one step of a tanh RNN) and ``check_decay_per_step`` (the fraction of a
gradient that survives one step, read off a log-scale curve); ``PREDICTIONS``: how much of
token 1's gradient survives 50 steps, and how well one fixed vector reverses 20 digits.
"""

from __future__ import annotations

import numpy as np

from course_utils.checks import _core
from course_utils.checks._core import Feedback, checker
from course_utils.predict import Prediction

__all__ = ["BOTTLENECK_20", "GRADIENT_50", "PREDICTIONS", "check_decay_per_step", "check_rnn_step"]


# --------------------------------------------------------------------------------------
# Predictions
# --------------------------------------------------------------------------------------
GRADIENT_50 = Prediction(
    id="01.gradient-50",
    notebook="01",
    question=(
        "A fresh tanh RNN (32 hidden units, PyTorch's default initialisation) reads 51 tokens. "
        "How much of the gradient from token 1 is left after 50 steps, compared with after 1?"
    ),
    choices={
        "most": "more than half of it",
        "tenth": "between a hundredth and a half",
        "small": "between a millionth and a hundredth",
        "tiny": "less than a millionth",
    },
    explanations={
        "most": "That would need a factor per step above 0.986 (0.986^50 ≈ 0.5). Each step "
        "multiplies by diag(1 − h²)·W_h, and at this initialisation that shrinks the gradient "
        "by about half per step.",
        "tenth": "A hundredth after 50 steps means 0.91 kept per step; the tanh RNN keeps "
        "only about half. Gated cells with open gates land near here.",
        "small": "Even that needs about 0.76 kept per step (0.76^50 ≈ 10⁻⁶); the measured "
        "factor is about 0.5, so the loss is far larger.",
        "tiny": "Right: about half survives each step, and 0.5^50 ≈ 10⁻¹⁵. The product of 50 "
        "factors, each below one, vanishes geometrically.",
    },
    answer=lambda kept: (
        "most" if kept > 0.5 else "tenth" if kept > 1e-2 else "small" if kept > 1e-6 else "tiny"
    ),
)

BOTTLENECK_20 = Prediction(
    id="01.bottleneck-20",
    notebook="01",
    question=(
        "The encoder–decoder reverses strings of 1–20 digits, everything squeezed into 64 "
        "numbers. After 500 training steps, what fraction of the output digits will it get "
        "right at length 20?"
    ),
    choices={
        "all": "almost all (0.9 or more)",
        "most": "most (0.6 to 0.9)",
        "some": "well under two thirds, but clearly more than guessing (0.15 to 0.6)",
        "guess": "about guessing (below 0.15)",
    },
    explanations={
        "all": "Short strings, yes. At length 20 the 64 numbers must hold 66 bits, and the "
        "network has not learned a code that packs them in 500 steps.",
        "most": "It keeps the digits it read last, but the earlier ones fade in c, the same "
        "geometric forgetting as the gradients.",
        "some": "Right: the first few digits written (the last ones read) are still sharp in c, "
        "the rest fade towards guessing, so the average lands in between.",
        "guess": "Not quite: the digits read last are still in c, so the first outputs are "
        "mostly right, which lifts the average well above 0.1.",
    },
    answer=lambda acc: (
        "all" if acc >= 0.9 else "most" if acc >= 0.6 else "some" if acc >= 0.15 else "guess"
    ),
)

PREDICTIONS = [GRADIENT_50, BOTTLENECK_20]


# --------------------------------------------------------------------------------------
# 01: one step of a vanilla RNN, h_t = tanh(W_x x_t + W_h h_{t-1} + b)
# --------------------------------------------------------------------------------------
def _rnn_case(rng, d: int, H: int, dtype=np.float64) -> tuple[np.ndarray, ...]:
    """Random x_t (d,), h_{t-1} (H,), W_x (H, d), W_h (H, H) and b (H,), in that order."""
    return tuple(rng.normal(size=size).astype(dtype) for size in [d, H, (H, d), (H, H), H])


def _rnn_cases() -> list[tuple[str, tuple[np.ndarray, ...]]]:
    """A square case (where even a transposed matrix runs), then d < H, then d > H in float32."""
    rng = np.random.default_rng(2014)
    square, uneven = _rnn_case(rng, d=3, H=3), _rnn_case(rng, d=2, H=4)
    wide = _rnn_case(rng, d=5, H=2, dtype=np.float32)
    return [
        ("d = H = 3", square),
        ("input size d = 2, hidden size H = 4", uneven),
        ("input size d = 5, hidden size H = 2, float32", wide),
    ]


def _rnn_mistakes(x, h, W_x, W_h, b) -> dict:
    pre = W_x @ x + W_h @ h + b
    return {
        "the tanh is missing: h_t = tanh(W_x x_t + W_h h_{t-1} + b).": lambda: pre,
        "you used a sigmoid; the vanilla RNN squashes with tanh (np.tanh), which is centred on "
        "0.": lambda: 1 / (1 + np.exp(-pre)),
        "you used ReLU; this RNN uses tanh (np.tanh).": lambda: np.maximum(pre, 0),
        "the previous state h_{t-1} is missing: without W_h @ h the network has no "
        "memory.": lambda: np.tanh(W_x @ x + b),
        "the input x_t is missing: add W_x @ x.": lambda: np.tanh(W_h @ h + b),
        "the bias b is missing.": lambda: np.tanh(W_x @ x + W_h @ h),
        "you used `*`, which multiplies element by element (and broadcasts to a matrix); a "
        "matrix times a vector is W_x @ x, and W_h @ h.": lambda: np.tanh(W_x * x + W_h * h + b),
        "W_x and W_h are swapped: W_x (H × d) multiplies the input x, W_h (H × H) the previous "
        "state h.": lambda: np.tanh(W_h @ x + W_x @ h + b),
        "the tanh is applied to each term separately; it squashes the sum: "
        "tanh(W_x x + W_h h + b).": lambda: np.tanh(W_x @ x) + np.tanh(W_h @ h) + np.tanh(b),
        "the tanh wraps only W_x @ x; the whole sum goes inside: tanh(W_x x + W_h h + "
        "b).": lambda: np.tanh(W_x @ x) + W_h @ h + b,
        "W_h is transposed: the new state is W_h @ h (rows of W_h produce the new "
        "state).": lambda: np.tanh(W_x @ x + W_h.T @ h + b),
        "W_x is transposed: use W_x @ x, where W_x has shape (H, d).": lambda: np.tanh(
            W_x.T @ x + W_h @ h + b
        ),
        "you returned the old state plus the update; an RNN replaces h: h_t = tanh(…).": lambda: (
            h + np.tanh(pre)
        ),
    }


@checker("01")
def check_rnn_step(fn) -> Feedback:
    """Check a learner's ``fn(x, h, W_x, W_h, b) -> h_new`` against ``tanh(W_x x + W_h h + b)``."""
    problem = _core.check_array_cases(
        fn,
        _rnn_cases(),
        lambda x, h, W_x, W_h, b: np.tanh(W_x @ x + W_h @ h + b),
        _rnn_mistakes,
        name="your rnn_step",
        what="the new state",
        shape_advice="one number per hidden unit, like h.",
        later_failure_advice="W_x has shape (H, d) and W_h has shape (H, H); read the sizes "
        "from the arguments, never from the notebook's own variables.",
    )
    return problem or Feedback(
        True,
        "your rnn_step computes tanh(W_x·x + W_h·h + b) for square and uneven sizes, "
        "in float64 and float32.",
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
        "you returned the slope of the line, log r; the factor per step is r = "
        "np.exp(slope).": lambda: slope,
        "that is how many times *smaller* the gradient gets per step (1/r); return the fraction "
        "that survives, r = np.exp(slope), a number below 1.": lambda: np.exp(-slope),
        "you fitted np.log10 but undid it with np.exp; undo log10 with 10**slope, or fit "
        "np.log.": lambda: np.exp(slope10),
        "you returned the intercept of the line; the factor per step comes from the "
        "slope.": lambda: np.exp(intercept),
        "np.polyfit(x, y, 1) fits y against x: the distances go first, np.log(norms) "
        "second.": lambda: np.exp(np.polyfit(np.log(norms), distances, 1)[0]),
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


@checker("01")
def check_decay_per_step(fn) -> Feedback:
    """Check a learner's ``fn(distances, norms) -> r``: exp of the slope of log(norms)."""
    for description, distances, norms in _decay_cases():
        result, problem = _core.call_learner(
            fn, distances.copy(), norms.copy(), name="your decay_per_step"
        )
        if problem:
            return problem
        got, problem = _core.as_array(result, "your factor")
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
        if _core.compare(got, expected, atol=1e-6, rtol=1e-4) is None:
            continue
        hint = _core.first_match(got, _decay_mistakes(distances, norms))
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
