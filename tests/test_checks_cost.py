"""The cost checker accepts the right answer and answers every wrong one with advice, never a crash."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_utils.checks.cost import check_predict_peak, reference_predict_peak


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
