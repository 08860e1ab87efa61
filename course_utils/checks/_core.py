"""What every checker shares: the Feedback it returns and safe ways to run and compare answers."""

from __future__ import annotations

import html
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Feedback:
    """The verdict on a learner's answer: ``passed`` and a message that says what to do next.

    Test ``feedback.passed`` (a Feedback object itself is always truthy).
    """

    passed: bool
    message: str

    def __repr__(self) -> str:
        return ("✅ Correct: " if self.passed else "❌ Not yet: ") + self.message

    def _repr_html_(self) -> str:
        color, mark = ("#009E73", "✅ Correct:") if self.passed else ("#D55E00", "❌ Not yet:")
        return (
            f'<div style="border-left:6px solid {color};padding:6px 10px;margin:4px 0">'
            f"<b>{mark}</b> {html.escape(self.message)}</div>"
        )


def call_learner(fn: Any, *args: Any, name: str = "your function") -> tuple[Any, Feedback | None]:
    """Call ``fn(*args)``; return ``(result, None)``, or ``(None, Feedback)`` saying what went wrong."""
    if fn is None:
        return None, Feedback(False, f"{name} is None: define it with `def …` and pass the function itself.")
    if not callable(fn):
        return None, Feedback(
            False,
            f"expected a function, got a {type(fn).__name__}. Pass the function itself "
            "(without calling it), e.g. check_x(my_function), not check_x(my_function(...)).",
        )
    try:
        result = fn(*args)
    except NotImplementedError:
        return None, Feedback(False, f"{name} is not written yet: replace the `raise NotImplementedError` with your code.")
    except Exception as exc:  # any learner error becomes advice
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        return None, Feedback(
            False,
            f"{name} raised {type(exc).__name__}: {exc} (in line {frame.lineno}: "
            f"`{(frame.line or '').strip()}`). Check the shapes of what you multiply: "
            "print(x.shape) helps.",
        )
    if result is None:
        return None, Feedback(False, f"{name} returned None: did you forget the `return` statement?")
    return result, None


def as_array(value: Any, name: str = "your answer") -> tuple[np.ndarray | None, Feedback | None]:
    """Turn a learner's numpy array, torch tensor or nested list into a float array, or explain why not."""
    if isinstance(value, tuple):
        return None, Feedback(
            False,
            f"{name} is a tuple of {len(value)} items; return a single array "
            "(if you return (output, weights), return only the one asked for).",
        )
    try:
        if hasattr(value, "detach"):  # a torch tensor
            value = value.detach().cpu().numpy()
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None, Feedback(False, f"{name} is a {type(value).__name__}, which is not an array of numbers.")
    if not np.all(np.isfinite(arr)):
        return None, Feedback(False, f"{name} contains NaN or inf: look for a division by zero or a log/exp overflow.")
    return arr, None


def compare(
    got: np.ndarray,
    expected: np.ndarray,
    name: str = "your answer",
    atol: float = 1e-6,
    rtol: float = 1e-5,
) -> Feedback | None:
    """None when ``got`` matches ``expected`` in shape and value; else a Feedback naming the difference."""
    if got.shape != expected.shape:
        return Feedback(False, f"{name} has shape {got.shape}, expected {expected.shape}.")
    if not np.allclose(got, expected, atol=atol, rtol=rtol):
        worst = float(np.max(np.abs(got - expected)))
        return Feedback(False, f"{name} has the right shape but wrong values (largest difference {worst:.3g}).")
    return None


def first_match(got: np.ndarray, candidates: dict[str, Callable[[], np.ndarray]]) -> str | None:
    """The message of the first known mistake whose result equals ``got``, if any."""
    for message, make in candidates.items():
        try:
            wrong = np.asarray(make(), dtype=float)
        except Exception:  # a candidate that cannot be built simply does not match
            continue
        if wrong.shape == got.shape and np.allclose(got, wrong, atol=1e-6, rtol=1e-5):
            return message
    return None


def check_array_cases(
    fn: Any,
    cases: Sequence[tuple[str, tuple]],
    reference: Callable[..., np.ndarray],
    mistakes: Callable[..., dict],
    *,
    name: str,
    what: str,
    shape_advice: str,
    later_failure_advice: str,
    easy: str,
) -> Feedback | None:
    """Run ``fn`` on each case (an easy one first); None when every answer matches ``reference``.

    Otherwise the Feedback names the first problem: an error (with ``later_failure_advice``
    when only a later, harder case fails), a known mistake from ``mistakes(*args)``, a wrong
    shape (with ``shape_advice``) or wrong values.
    """
    for k, (description, args) in enumerate(cases):
        result, problem = call_learner(fn, *(np.copy(a) for a in args), name=name)
        if problem:
            if k > 0:
                return Feedback(
                    False,
                    f"it works for {easy} but fails for {description}: {problem.message} "
                    + later_failure_advice,
                )
            return problem
        got, problem = as_array(result, what)
        if problem:
            return problem
        expected = np.asarray(reference(*args), dtype=float)
        if got.shape != expected.shape and got.size == expected.size and expected.ndim == 1:
            got = got.reshape(expected.shape)  # a column or row vector is fine
        if compare(got, expected) is None:
            continue
        hint = first_match(got, mistakes(*args))
        if hint:
            return Feedback(False, f"On {description}: {hint}")
        if got.shape != expected.shape:
            return Feedback(
                False,
                f"On {description} {what} has shape {got.shape} but should have shape "
                f"{expected.shape}: {shape_advice}",
            )
        return Feedback(False, f"On {description}: " + compare(got, expected, what).message)
    return None
