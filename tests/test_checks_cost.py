"""The cost checker accepts the right answer and answers every wrong one with advice, never a crash."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from course_utils.checks.cost import (
    check_max_context,
    check_predict_peak,
    reference_max_context,
    reference_predict_peak,
)


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


def _fit(ns, peaks):
    return np.polyfit(np.log(ns), np.log(peaks), 1)


MISTAKES = {
    "exponent": (lambda ns, pk, n: _fit(ns, pk)[0], "fitted exponent"),
    "log": (lambda ns, pk, n: _fit(ns, pk)[0] * np.log(n) + _fit(ns, pk)[1], "np.exp"),
    "linear fit": (lambda ns, pk, n: np.polyval(np.polyfit(ns, pk, 1), n), "straight line"),
    "linear scale": (lambda ns, pk, n: pk[-1] * n / ns[-1], "linearly"),
    "assume 2": (lambda ns, pk, n: pk[-1] * (n / ns[-1]) ** 2, "exactly 2"),
    "mixed bases": (
        lambda ns, pk, n: np.exp(np.polyval(np.polyfit(np.log10(ns), np.log10(pk), 1), np.log10(n))),
        "same base",
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
