"""Checkers for the exercises of notebook 05: Var(q·k) estimated by simulation, and the Jacobian
of softmax, ``diag(p) − p·pᵀ``."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from course_utils.attention import softmax
from course_utils.checks._core import (
    Feedback,
    as_array,
    call_learner,
    checker,
    compare,
    first_match,
)
from course_utils.predict import Prediction

__all__ = [
    "LARGEST_WEIGHT",
    "PREDICTIONS",
    "VARIANCE_256",
    "check_dot_variance",
    "check_softmax_jacobian",
]


def _cases() -> list[tuple[str, np.ndarray]]:
    """Weight vectors to test with: spread out, nearly saturated, short and long."""
    return [
        ("p = softmax([1.0, 0.5, -0.3, 0.2])", softmax(np.array([1.0, 0.5, -0.3, 0.2]))),
        ("p = softmax([6.0, 0.0, 1.0]) (nearly saturated)", softmax(np.array([6.0, 0.0, 1.0]))),
        ("p = softmax([0.3, -0.3]) (two keys)", softmax(np.array([0.3, -0.3]))),
        ("p = softmax of 7 random scores", softmax(np.random.default_rng(5).normal(size=7))),
    ]


def _autograd_jacobian(p: np.ndarray) -> np.ndarray:
    """The Jacobian ∂softmax(s)/∂s at the scores s = log p, computed by torch's autograd."""
    s = torch.tensor(np.log(p), dtype=torch.float64)
    return torch.autograd.functional.jacobian(lambda z: torch.softmax(z, dim=-1), s).numpy()


def _typical_mistakes(p: np.ndarray) -> dict:
    """Known wrong answers, each with the advice that fixes it."""
    n = p.shape[0]
    again = softmax(p)
    return {
        "you returned only diag(p); subtract the outer "
        "product p·pᵀ (np.outer(p, p)) too.": lambda: np.diag(p),
        "you returned only −p·pᵀ; add diag(p) (np.diag(p)) for the diagonal term.": lambda: (
            -np.outer(p, p)
        ),
        "the sign of the outer product is wrong: it is diag(p) − p·pᵀ.": lambda: (
            np.diag(p) + np.outer(p, p)
        ),
        "the whole matrix has the wrong sign: it is diag(p) − p·pᵀ, not p·pᵀ − diag(p) (a weight "
        "rises when its own score rises, so the diagonal is positive).": lambda: (
            np.outer(p, p) - np.diag(p)
        ),
        "the diagonal is right but the off-diagonal entries are missing: ∂p_i/∂s_j = −p_i·p_j "
        "for i ≠ j.": lambda: np.diag(p * (1 - p)),
        "you used p @ p (a single number) instead of the outer product np.outer(p, p).": lambda: (
            np.diag(p) - p @ p
        ),
        "you used the identity matrix, np.eye(n), where diag(p) goes: ∂p_i/∂s_i = p_i − p_i², "
        "so the diagonal term is np.diag(p).": lambda: np.eye(n) - np.outer(p, p),
        "you wrote p_i·(1 − p_j) for every entry; that holds on the diagonal only. Off the "
        "diagonal ∂p_i/∂s_j = −p_i·p_j: use np.diag(p) − np.outer(p, p).": lambda: np.outer(
            p, 1 - p
        ),
        "you applied softmax to p again; p already is the weights, so use it as it is: "
        "np.diag(p) − np.outer(p, p).": lambda: np.diag(again) - np.outer(again, again),
    }


@checker("05")
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
        return Feedback(
            False, f"For {description}: " + compare(got, expected, "the Jacobian").message
        )
    return Feedback(
        True,
        "your Jacobian equals torch's autograd of softmax, diag(p) − p·pᵀ, also when saturated.",
    )


# --- Exercise 1: estimate Var(q·k) by simulation ---------------------------------------------

_N_PAIRS = 4_000  # small enough that even a learner's (n_pairs, n_pairs) matrix fits in memory
_TOLERANCE = 0.15  # relative; with 4 000 pairs a right estimate is within about 3 % (1 s.e.)


def _as_number(value, d_k: int, n_pairs: int) -> tuple[float | None, Feedback | None]:
    """The learner's estimate as a float, or a Feedback saying why it is not one number."""
    if isinstance(value, (bool, np.bool_)):
        return None, Feedback(
            False, f"your function returned {value}; return the estimated variance, a number."
        )
    arr, problem = as_array(value, "what your function returned")
    if problem:
        return None, Feedback(
            False, f"{problem.message} Return one number, e.g. float(dots.var())."
        )
    if arr.size != 1:
        if arr.shape == (n_pairs,):
            return None, Feedback(
                False,
                f"your function returned the {n_pairs} dot products themselves; "
                "return their variance, e.g. float(dots.var()).",
            )
        if arr.shape == (d_k,):
            return None, Feedback(
                False,
                f"your function returned {d_k} numbers, one per component: first "
                "add up the d_k products of each pair (sum over axis=1, giving one dot "
                "product per pair), then take the variance of those sums.",
            )
        return None, Feedback(
            False,
            f"your function returned an array of shape {arr.shape}; return one "
            "number, the variance of all the simulated dot products.",
        )
    return float(arr.reshape(())), None


def _variance_mistakes(d_k: int) -> dict[str, Callable[[float], bool]]:
    """Recognisable wrong estimates for one d_k, each with the advice that fixes it."""

    def near(target: float) -> Callable[[float], bool]:
        return lambda est: abs(est - target) <= _TOLERANCE * abs(target) + 0.02

    return {
        "you returned the standard deviation (about √d_k); the variance is its square: use .var(), "
        "not .std().": near(np.sqrt(d_k)),
        "your estimate is about 2·d_k: that is Var(q·q). q and k "
        "must be two independent vectors: draw "
        "k separately from q.": near(2.0 * d_k),
        "your estimate is about 1 whatever d_k is: that is the "
        "variance of one product q_i·k_i, or of "
        "the scaled score q·k/√d_k. Add up all d_k products of a "
        "pair (no scaling) and take the variance "
        "of those sums.": near(1.0),
        "your estimate is about 0: that is the mean of q·k "
        "(which is 0), not its variance.": lambda est: abs(est) <= 0.1 * np.sqrt(d_k),
        "your estimate is about 7·d_k/144: rng.random draws "
        "uniform numbers in [0, 1) (variance 1/12). "
        "Use rng.standard_normal for components with mean 0 and variance 1.": near(7.0 * d_k / 144),
        f"your estimate is of the order of n_pairs ({_N_PAIRS}), "
        f"not d_k: you added up over the pairs "
        "(axis=0). Sum over the d_k components of each pair (axis=1).": lambda est: (
            est >= 0.02 * _N_PAIRS
        ),
    }


def _estimate(fn, d_k: int, seed: int) -> tuple[float | None, Feedback | None]:
    """The learner's estimate for ``d_k`` with a generator seeded ``seed``, or what went wrong."""
    result, problem = call_learner(
        fn, d_k, _N_PAIRS, np.random.default_rng(seed), name="your estimate_dot_variance"
    )
    if problem:
        return None, problem
    return _as_number(result, d_k, _N_PAIRS)


@checker("05")
def check_dot_variance(fn) -> Feedback:
    """Check a learner's ``fn(d_k, n_pairs, rng) -> float``: Var(q·k) from simulated pairs.

    Right means: close to the theory d_k (within 15 %) for d_k = 5, 64 and 300, the same number
    again for a generator seeded the same, and a different number for another seed.
    """
    estimates = {}
    for d_k in (5, 64, 300):
        estimate, problem = _estimate(fn, d_k, seed=d_k)
        if problem:
            return problem
        estimates[d_k] = estimate
    wrong = [d_k for d_k, est in estimates.items() if abs(est / d_k - 1) > _TOLERANCE]
    if wrong:
        for message in _variance_mistakes(wrong[0]):
            if all(_variance_mistakes(d_k)[message](est) for d_k, est in estimates.items()):
                return Feedback(False, message)
        d_k = wrong[0]
        return Feedback(
            False,
            f"for d_k = {d_k} and {_N_PAIRS} pairs your estimate is {estimates[d_k]:.3g}, "
            f"but Var(q·k) should come out close to {d_k} (within 15 %). Draw q and k of shape "
            "(n_pairs, d_k) with rng.standard_normal, multiply them element-wise, sum over "
            "axis=1 and return the variance of those n_pairs dot products.",
        )
    again, problem = _estimate(fn, 64, seed=64)
    if problem:
        return problem
    if not np.isclose(again, estimates[64], rtol=1e-9, atol=0):
        return Feedback(
            False,
            f"two calls with generators seeded the same gave {estimates[64]:.4g} and "
            f"{again:.4g}: draw q and k from the rng you are given (rng.standard_normal), not "
            "from np.random or torch, so that the experiment can be repeated exactly.",
        )
    other, problem = _estimate(fn, 64, seed=1)
    if problem:
        return problem
    if other == estimates[64]:
        return Feedback(
            False,
            f"your function gives exactly {other:.6g} for two differently seeded "
            "generators: it does not simulate. Draw q and k from rng and return the variance "
            "of the simulated dot products, not the formula d_k.",
        )
    return Feedback(
        True,
        f"your simulation gives Var(q·k) ≈ {estimates[5]:.2f} for d_k = 5, "
        f"{estimates[64]:.1f} for d_k = 64 and {estimates[300]:.0f} for d_k = "
        f"300, close to the theory d_k, and it is reproducible "
        "from the rng.",
    )


# --- Predictions (asked before the experiment, revealed after it) -----------------------------

VARIANCE_256 = Prediction(
    id="05.variance-256",
    notebook="05",
    question=(
        "q and k have 256 components each, independent with mean 0 and variance 1. About how "
        "large is the variance of their dot product q·k?"
    ),
    choices={
        "one": "about 1, like each component",
        "sixteen": "about 16 (√256)",
        "dk": "about 256 (d_k)",
    },
    explanations={
        "one": "each product qᵢkᵢ has variance 1, but q·k adds up 256 of them, and the variances "
        "of independent terms add up.",
        "sixteen": "16 = √256 is the standard deviation of q·k, the typical size of a score; the "
        "variance is its square.",
        "dk": "a sum of d_k independent terms of variance 1 has variance d_k (Vaswani et al., "
        "footnote 4).",
    },
    answer=lambda variance: (
        "one" if variance < 4 else "sixteen" if variance < 64 else "dk"  # nearest on a log scale
    ),
)

LARGEST_WEIGHT = Prediction(
    id="05.largest-weight",
    notebook="05",
    question=(
        "One query, 16 keys, no division by √d_k. As d_k grows from 4 to 1024, what happens to "
        "the largest of the 16 attention weights (averaged over many random queries)?"
    ),
    choices={
        "even": "it falls towards 1/16: with more dimensions the scores average out",
        "same": "it stays about where it is at d_k = 4",
        "one": "it climbs towards 1: one key takes almost all the weight",
    },
    explanations={
        "even": "that is what dividing by d_k (too hot) would do; unscaled, the scores spread "
        "out like √d_k, so their differences grow.",
        "same": "that is what the scaled version does: dividing by √d_k keeps the scores' "
        "spread, and so the weights, the same for every d_k.",
        "one": "the scores' standard deviation grows like √d_k (32 at d_k = 1024), so the "
        "largest score beats the others by tens and softmax gives it almost everything.",
    },
    answer=lambda largest: "one" if largest >= 0.8 else "even" if largest <= 0.15 else "same",
)

PREDICTIONS = [VARIANCE_256, LARGEST_WEIGHT]
