"""Checkers and predictions for the cost-of-attention notebook (07).

The references come from the package (``course_utils.cost.extrapolate`` and ``max_context``);
the tables of typical mistakes are written out here, independently of it.
"""

from __future__ import annotations

import math

import numpy as np

from course_utils import cost
from course_utils.checks._core import Feedback, as_array, call_learner, checker
from course_utils.predict import Prediction

__all__ = [
    "MEMORY_8192",
    "PREDICTIONS",
    "TILED_DOUBLING",
    "check_max_context",
    "check_predict_peak",
    "reference_max_context",
    "reference_predict_peak",
]


def reference_predict_peak(ns, peaks, n_new: float) -> float:
    """Fit log(peak) = p·log(n) + c through the measured points and evaluate it at ``n_new``."""
    return cost.extrapolate(ns, peaks, n_new)


def _cases() -> list[tuple[str, np.ndarray, np.ndarray, int]]:
    """A clean power law n^1.5 (so 'assume n²' is wrong), then a realistic c·n² + b·n curve."""
    ns = np.array([512, 1024, 2048, 4096])
    return [
        ("peaks = 3·n^1.5", ns, 3.0 * ns**1.5, 8192),
        ("peaks = 8·n² + 3000·n", ns, 8.0 * ns**2 + 3000.0 * ns, 16384),
    ]


def _typical_mistakes(ns: np.ndarray, peaks: np.ndarray, n_new: int) -> dict:
    """Known wrong answers, each with the advice that fixes it."""
    p, c = np.polyfit(np.log(ns), np.log(peaks), 1)
    p10, c10 = np.polyfit(np.log10(ns), np.log10(peaks), 1)
    lin_a, lin_b = np.polyfit(ns, peaks, 1)
    return {
        "you returned the fitted exponent p; the question asks for the memory in bytes at n_new: "
        "exp(p·log(n_new) + c).": lambda: p,
        "you returned log(memory): undo the logarithm with np.exp(...).": lambda: (
            p * np.log(n_new) + c
        ),
        "you fitted a straight line to n and memory themselves; fit log(memory) against log(n) "
        "(np.polyfit(np.log(ns), np.log(peaks), 1)).": lambda: lin_a * n_new + lin_b,
        "you scaled the last measurement linearly (×n_new/n); memory does not grow linearly here: "
        "fit the exponent on log–log axes.": lambda: peaks[-1] * n_new / ns[-1],
        "you assumed the exponent is exactly 2; use the exponent fitted from the data "
        "instead.": lambda: peaks[-1] * (n_new / ns[-1]) ** 2,
        "you fitted with log10 but undid it with exp (or the other way round): use the same base "
        "both ways, e.g. np.log and np.exp.": lambda: np.exp(p10 * np.log10(n_new) + c10),
        "you evaluated the fit at n_new itself instead of log(n_new).": lambda: np.exp(
            p * n_new + c
        ),
        "you unpacked np.polyfit's result the wrong way round: it returns (slope, intercept), "
        "so write p, c = np.polyfit(...).": lambda: np.exp(c * np.log(n_new) + p),
        "you fitted log(n) against log(memory), the axes swapped: np.polyfit(x, y, 1) takes "
        "log(n) first, then log(peaks).": lambda: _swapped_axes(ns, peaks, n_new),
        "you took the logarithm of n only (a semi-log fit); memory ∝ n^p is a straight line "
        "when both axes are logarithmic: fit np.log(peaks) against np.log(ns).": lambda: np.polyval(
            np.polyfit(np.log(ns), peaks, 1), np.log(n_new)
        ),
        "you took the logarithm of the memory only (an exponential fit); a power law needs "
        "np.log of n as well.": lambda: np.exp(np.polyval(np.polyfit(ns, np.log(peaks), 1), n_new)),
        "you returned the prediction in MiB; the question asks for bytes (do not divide by "
        "2**20).": lambda: np.exp(p * np.log(n_new) + c) / 2**20,
        "you fitted a line through the first and last points only; use every point given "
        "(least squares, np.polyfit).": lambda: (
            peaks[-1] * (n_new / ns[-1]) ** (np.log(peaks[-1] / peaks[0]) / np.log(ns[-1] / ns[0]))
        ),
    }


def _swapped_axes(ns, peaks, n_new):
    """What a fit of log(n) on log(peak), inverted the naive way, predicts."""
    a, b = np.polyfit(np.log(peaks), np.log(ns), 1)
    return np.exp(a * np.log(n_new) + b)


def _overflowed(result) -> bool:
    """True when the learner's number is +inf (an exp that overflowed)."""
    try:
        with np.errstate(all="ignore"):
            values = np.asarray(result.detach() if hasattr(result, "detach") else result, float)
        return bool(values.size == 1 and np.isposinf(values).all())
    except Exception:  # noqa: BLE001 - anything unreadable is as_array's to explain
        return False


def _matches(got: float, candidate) -> bool:
    """True when a candidate mistake reproduces the learner's number."""
    try:
        with np.errstate(all="ignore"):
            wrong = float(candidate())
    except Exception:  # noqa: BLE001 - a candidate that cannot be computed simply does not match
        return False
    return bool(np.isfinite(wrong) and np.isclose(got, wrong, rtol=1e-3))


def _one_number(result, what: str, wanted: str) -> tuple[float | None, Feedback | None]:
    """The learner's answer as one float, or the Feedback that says to return one ``wanted``."""
    got, problem = as_array(result, what)
    if problem:
        return None, problem
    if got.size != 1:
        return None, Feedback(
            False,
            f"your function returned {got.size} numbers (shape {got.shape}); return one {wanted}.",
        )
    return float(got.reshape(())), None


@checker("07")
def check_predict_peak(fn) -> Feedback:
    """Check a learner's ``fn(ns, peaks, n_new) -> bytes`` against a log–log least-squares fit."""
    for description, ns, peaks, n_new in _cases():
        result, problem = call_learner(
            fn, ns.copy(), peaks.copy(), n_new, name="your predict function"
        )
        if problem:
            return problem
        if _overflowed(result):
            return Feedback(
                False,
                f"for {description} and n_new = {n_new} your prediction is infinite: exp(...) "
                "overflowed. Did you evaluate the fit at n_new itself? Use log(n_new): "
                "np.exp(p * np.log(n_new) + c).",
            )
        got_value, problem = _one_number(
            result, "the prediction", "number, the predicted memory in bytes at n_new"
        )
        if problem:
            return problem
        expected = reference_predict_peak(ns, peaks, n_new)
        if np.isclose(got_value, expected, rtol=1e-3):
            continue
        for hint, candidate in _typical_mistakes(ns, peaks, n_new).items():
            if _matches(got_value, candidate):
                return Feedback(False, f"for {description} and n_new = {n_new}, {hint}")
        return Feedback(
            False,
            f"for {description} and n_new = {n_new} the prediction should be about "
            f"{expected:.4g} bytes, yours is {got_value:.4g}. Fit p, c = "
            "np.polyfit(np.log(ns), np.log(peaks), 1), then return np.exp(p * np.log(n_new) + c).",
        )
    return Feedback(True, "your function fits the power law on log–log axes and extrapolates it.")


def reference_max_context(budget_bytes: int, bytes_per_value: int) -> int:
    """The longest context: the largest n whose n×n score matrix fits (n²·bytes ≤ budget)."""
    return cost.max_context(budget_bytes, bytes_per_value)


def _context_cases() -> list[tuple[str, int, int]]:
    """A budget the matrix fills exactly (n = 4096), then budgets that are not square numbers."""
    return [
        ("a budget of 32 MiB at fp16 (2 bytes a number)", 32 * 2**20, 2),
        ("a budget of 2·10⁹ bytes at fp32 (4 bytes a number)", 2 * 10**9, 4),
        ("a budget of 80 GiB at fp16 (2 bytes a number)", 80 * 2**30, 2),
    ]


def _context_mistakes(budget: int, bpv: int) -> list[tuple[str, float]]:
    """Known wrong answers for the longest context, each with the advice that fixes it."""
    exact = math.isqrt(budget // bpv)
    return [
        (
            "you returned how many numbers fit (budget / bytes), but the matrix holds n² numbers: "
            "take the square root.",
            budget / bpv,
        ),
        (
            "you forgot the bytes per number: divide the budget by bytes_per_value before the "
            "square root.",
            math.isqrt(budget),
        ),
        (
            "you multiplied by the bytes per number; divide instead: "
            "n = √(budget / bytes_per_value).",
            math.isqrt(budget * bpv),
        ),
        (
            "you divided after the square root; divide inside it: n = √(budget / bytes_per_value).",
            math.sqrt(budget) / bpv,
        ),
        (
            "you rounded up: at that n the matrix needs more than the budget and does not fit. "
            "Round down (int(...) or math.isqrt).",
            math.ceil(math.sqrt(budget / bpv)),
        ),
        (
            "a matrix that fills the budget exactly still fits: use n²·bytes_per_value ≤ budget "
            "(≤, not <).",
            exact - 1,
        ),
    ]


@checker("07")
def check_max_context(fn) -> Feedback:
    """Check a learner's ``fn(budget, bytes_per_value) -> n``: the largest n, n²·bytes ≤ budget."""
    for description, budget, bpv in _context_cases():
        result, problem = call_learner(fn, budget, bpv, name="your max_context function")
        if problem:
            return problem
        got_value, problem = _one_number(
            result, "your answer", "whole number, the longest context in tokens"
        )
        if problem:
            return problem
        expected = reference_max_context(budget, bpv)
        if got_value == expected:
            continue
        if got_value < 1:
            return Feedback(
                False,
                f"for {description} you returned {got_value:.6g}; a context is at least one token. "
                "Solve n²·bytes_per_value ≤ budget for n.",
            )
        for hint, wrong in _context_mistakes(budget, bpv):
            if wrong != expected and math.isclose(got_value, wrong, rel_tol=1e-9):
                return Feedback(False, f"for {description}, {hint}")
        if got_value != math.floor(got_value) and math.floor(got_value) == expected:
            return Feedback(
                False,
                f"for {description} you returned {got_value:.6g}: a context is a whole number of "
                "tokens. Round down, e.g. int(...) or math.isqrt(...).",
            )
        need = got_value * got_value * bpv  # (not ** 2: a float power can overflow and raise)
        verdict = (
            "too many, it does not fit" if need > budget else "that fits, but a longer one fits too"
        )
        return Feedback(
            False,
            f"for {description} you returned n = {got_value:,.6g}; its score matrix needs "
            f"n²·{bpv} = {need:,.6g} bytes of the {budget:,} in the budget: {verdict}. Find the "
            "largest n with n²·bytes_per_value ≤ budget.",
        )
    return Feedback(
        True, "your function finds the longest context whose n×n score matrix fits the budget."
    )


# ----------------------------------------------------------------------------------- predictions

TILED_DOUBLING = Prediction(
    id="07.tiled-doubling",
    notebook="07",
    question=(
        "Tiled attention walks through the keys in blocks of 128. When n doubles from 2048 to "
        "4096 tokens, what happens to its peak memory?"
    ),
    choices={
        "same": "it stays about the same (the blocks are the same size)",
        "double": "it about doubles",
        "quadruple": "it about quadruples, like naive attention's",
    },
    explanations={
        "same": "each block is (n, 128): n queries against 128 keys, so a block grows with n "
        "even though the number of keys in it does not; the (n, d_v) output grows with n too.",
        "double": "the temporaries are (n, block) and (n, d_v) matrices: n rows each, so "
        "twice the tokens, twice the bytes. Memory linear in n is the whole point.",
        "quadruple": "that is naive attention, whose (n, n) matrices grow as n². Tiled "
        "attention never holds more than one (n, block) slice of the score matrix.",
    },
    answer=lambda ratio: "same" if ratio < 1.4 else "double" if ratio < 3 else "quadruple",
)

MEMORY_8192 = Prediction(
    id="07.memory-8192",
    notebook="07",
    question=(
        "Read naive attention's peak memory at n = 4096 off the figure (or the table) of "
        "section 3. How many MiB will it need at n = 8192?"
    ),
    kind="number",
    unit="MiB",
    tolerance=0.25,
    explanation=(
        "Naive attention holds two n×n float32 matrices at once (the scores and the weights), "
        "so doubling n multiplies its memory by 2² = 4: about 129 MiB × 4 ≈ 516 MiB. A guess "
        "of twice the memory assumes linear growth; that is the fused and tiled versions."
    ),
)

PREDICTIONS = [MEMORY_8192, TILED_DOUBLING]
