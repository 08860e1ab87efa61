"""The cost checkers accept right answers, name every slip of the bug zoo, and never crash."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from course_utils.checks.cost import (
    PREDICTIONS,
    check_max_context,
    check_predict_peak,
    reference_max_context,
    reference_predict_peak,
)
from course_utils.predict import Guess, reveal


def solution(ns, peaks, n_new):
    p, c = np.polyfit(np.log(ns), np.log(peaks), 1)
    return np.exp(p * np.log(n_new) + c)


def test_accepts_solution_and_variants():
    assert check_predict_peak(solution).passed
    assert check_predict_peak(reference_predict_peak).passed
    assert check_predict_peak(lambda ns, pk, n: torch.tensor([solution(ns, pk, n)])).passed

    def log2_version(ns, peaks, n_new):
        p, c = np.polyfit(np.log2(ns), np.log2(peaks), 1)
        return 2 ** (p * np.log2(n_new) + c)

    assert check_predict_peak(log2_version).passed


def _least_squares_by_loops(ns, peaks, n_new):
    """The textbook formulas for slope and intercept, written with plain loops."""
    xs = [math.log(n) for n in ns]
    ys = [math.log(p) for p in peaks]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    p = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )
    return math.exp(my + p * (math.log(n_new) - mx))


VALID_PEAK = {
    "loops": _least_squares_by_loops,
    "lstsq": lambda ns, pk, n: np.exp(
        np.array([np.log(n), 1.0])
        @ np.linalg.lstsq(np.stack([np.log(ns), np.ones(len(ns))], axis=1), np.log(pk), rcond=None)[
            0
        ]
    ),
    "torch float64": lambda ns, pk, n: torch.exp(
        torch.tensor(np.polyval(np.polyfit(np.log(ns), np.log(pk), 1), np.log(n)))
    ),
    "float32 array": lambda ns, pk, n: np.float32(solution(ns, pk, n)),
    "power form": lambda ns, pk, n: (lambda p, c: math.exp(c) * n**p)(*_fit(ns, pk)),
    "one-element list": lambda ns, pk, n: [solution(ns, pk, n)],
}


@pytest.mark.parametrize("name", VALID_PEAK)
def test_predict_peak_accepts_valid_alternatives(name):
    fb = check_predict_peak(VALID_PEAK[name])
    assert fb.passed, fb.message


def _fit(ns, peaks):
    return np.polyfit(np.log(ns), np.log(peaks), 1)


MISTAKES = {
    "exponent": (lambda ns, pk, n: _fit(ns, pk)[0], "fitted exponent"),
    "log": (lambda ns, pk, n: _fit(ns, pk)[0] * np.log(n) + _fit(ns, pk)[1], "np.exp"),
    "linear fit": (lambda ns, pk, n: np.polyval(np.polyfit(ns, pk, 1), n), "straight line"),
    "linear scale": (lambda ns, pk, n: pk[-1] * n / ns[-1], "linearly"),
    "assume 2": (lambda ns, pk, n: pk[-1] * (n / ns[-1]) ** 2, "exactly 2"),
    "mixed bases": (
        lambda ns, pk, n: np.exp(
            np.polyval(np.polyfit(np.log10(ns), np.log10(pk), 1), np.log10(n))
        ),
        "same base",
    ),
    "at n_new, not log": (lambda ns, pk, n: np.exp(np.polyval(_fit(ns, pk), n)), "log(n_new)"),
    "p, c swapped": (
        lambda ns, pk, n: (lambda p, c: np.exp(p * np.log(n) + c))(*_fit(ns, pk)[::-1]),
        "wrong way round",
    ),
    "axes swapped": (
        lambda ns, pk, n: np.exp(np.polyval(np.polyfit(np.log(pk), np.log(ns), 1), np.log(n))),
        "axes swapped",
    ),
    "semi-log n": (
        lambda ns, pk, n: np.polyval(np.polyfit(np.log(ns), pk, 1), np.log(n)),
        "semi-log",
    ),
    "exponential fit": (
        lambda ns, pk, n: np.exp(np.polyval(np.polyfit(ns, np.log(pk), 1), n)),
        "exponential fit",
    ),
    "MiB": (lambda ns, pk, n: solution(ns, pk, n) / 2**20, "MiB"),
    "two points": (
        lambda ns, pk, n: (
            pk[-1] * (n / ns[-1]) ** (np.log(pk[-1] / pk[0]) / np.log(ns[-1] / ns[0]))
        ),
        "first and last points",
    ),
}


@pytest.mark.parametrize("name", MISTAKES)
def test_typical_mistakes_get_specific_advice(name):
    fn, phrase = MISTAKES[name]
    fb = check_predict_peak(fn)
    assert not fb.passed and phrase in fb.message, fb.message


@pytest.mark.parametrize(
    "answer",
    [
        None,
        42,
        "f",
        lambda ns, pk, n: None,
        lambda ns, pk, n: "a lot",
        lambda ns, pk, n: [1.0, 2.0],
        lambda ns, pk, n: (1.0, 2.0),
        lambda ns, pk, n: float("inf"),
        lambda ns, pk, n: 1 / 0,
        lambda ns: 1.0,
        lambda ns, pk, n: 12345.0,
    ],
)
def test_never_crashes(answer):
    fb = check_predict_peak(answer)
    assert not fb.passed and isinstance(fb.message, str) and fb.message


def test_not_implemented_is_named():
    def stub(ns, peaks, n_new):
        raise NotImplementedError

    assert "not written yet" in check_predict_peak(stub).message


# --- the longest context whose score matrix fits a memory budget ---------------------------


def context_solution(budget_bytes, bytes_per_value):
    return math.isqrt(budget_bytes // bytes_per_value)


def test_reference_max_context_is_the_largest_n_that_fits():
    for budget, bpv in [(32 * 2**20, 2), (10**9, 4), (80 * 2**30, 2), (7, 1), (1, 1)]:
        n = reference_max_context(budget, bpv)
        assert n * n * bpv <= budget < (n + 1) * (n + 1) * bpv
    assert reference_max_context(32 * 2**20, 2) == 4096  # the 4k row of the long-context table


@pytest.mark.parametrize(
    "answer",
    [
        context_solution,
        reference_max_context,
        lambda b, bpv: int(math.sqrt(b / bpv)),
        lambda b, bpv: np.floor(np.sqrt(b / bpv)),  # a float that is a whole number is fine
        lambda b, bpv: torch.tensor(math.isqrt(b // bpv)),
        lambda b, bpv: int((b / bpv) ** 0.5),
    ],
)
def test_max_context_accepts_correct_variants(answer):
    fb = check_max_context(answer)
    assert fb.passed, fb.message


CONTEXT_MISTAKES = {
    "no square root": (lambda b, bpv: b // bpv, "square root"),
    "no bytes": (lambda b, bpv: math.isqrt(b), "bytes per number"),
    "multiplied": (lambda b, bpv: math.isqrt(b * bpv), "divide instead"),
    "divided outside": (lambda b, bpv: math.sqrt(b) / bpv, "inside"),
    "rounded up": (lambda b, bpv: math.ceil(math.sqrt(b / bpv)), "rounded up"),
    "round()": (lambda b, bpv: round(math.sqrt(b / bpv)), "rounded up"),
    "strict <": (lambda b, bpv: math.isqrt(b // bpv - 1), "≤, not <"),
    "not rounded": (lambda b, bpv: math.sqrt(b / bpv), "whole number"),
    "far too small": (lambda b, bpv: 10, "a longer one fits"),
    "far too large": (lambda b, bpv: 10**7, "does not fit"),
    "zero": (lambda b, bpv: 0, "at least one token"),
}


@pytest.mark.parametrize("name", CONTEXT_MISTAKES)
def test_max_context_mistakes_get_specific_advice(name):
    fn, phrase = CONTEXT_MISTAKES[name]
    fb = check_max_context(fn)
    assert not fb.passed and phrase in fb.message, fb.message


@pytest.mark.parametrize(
    "answer",
    [
        None,
        4096,
        "f",
        lambda b, bpv: None,
        lambda b, bpv: "4096",
        lambda b, bpv: [4096, 4096],
        lambda b, bpv: (4096,),
        lambda b, bpv: float("nan"),
        lambda b, bpv: 1e300,
        lambda b, bpv: -5,
        lambda b, bpv: 1 / 0,
        lambda b: 1,
    ],
)
def test_max_context_never_crashes(answer):
    fb = check_max_context(answer)
    assert not fb.passed and isinstance(fb.message, str) and fb.message


def test_max_context_not_implemented_is_named():
    def stub(budget_bytes, bytes_per_value):
        raise NotImplementedError

    assert "not written yet" in check_max_context(stub).message


# --- predictions: every choice of every prediction goes through reveal ---------------------


@pytest.mark.parametrize("pred", PREDICTIONS, ids=lambda p: p.id)
def test_every_prediction_choice_is_answered(pred, capsys):
    measured = {"07.tiled-doubling": 2.0, "07.memory-8192": 514.0}[pred.id]
    choices = list(pred.choices) if pred.kind == "choice" else [100.0, 514.0, 2000.0]
    for choice in [None, *choices]:
        guess = Guess(pred)
        if choice is not None:
            guess.choice = choice
        reveal(guess, measured=measured, shown=f"{measured:g}")
        out = capsys.readouterr().out
        assert "Measured: " in out
        if choice is None:
            assert "No prediction locked in yet" in out
        elif pred.kind == "choice":
            assert ("right!" in out) == (choice == "double"), out
        else:
            assert ("— right" in out) == (choice == 514.0), out


def test_tiled_doubling_answers_from_the_ratio():
    (pred,) = [p for p in PREDICTIONS if p.id == "07.tiled-doubling"]
    assert [pred.right_key(r) for r in (1.0, 2.0, 4.0)] == ["same", "double", "quadruple"]
