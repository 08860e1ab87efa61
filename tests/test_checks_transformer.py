"""The notebook-06 checkers (split/merge heads, positional encoding) accept right answers, name the classic bugs, never crash."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_utils.checks.transformer import (
    check_merge_heads,
    check_positional_encoding,
    check_split_heads,
)
from course_utils.transformer import merge_heads, sinusoidal_positional_encoding, split_heads


def test_reference_solutions_pass():
    assert check_split_heads(split_heads).passed
    assert check_merge_heads(merge_heads).passed


def test_other_correct_spellings_pass():
    def split_permute(x, n_heads):
        B, n, d = x.shape
        return x.view(B, n, n_heads, -1).permute(0, 2, 1, 3)

    def merge_contiguous_view(x):
        B, h, n, d_k = x.shape
        return x.transpose(1, 2).contiguous().view(B, n, -1)

    def split_numpy(x, n_heads):
        a = np.asarray(x)
        B, n, d = a.shape
        return a.reshape(B, n, n_heads, d // n_heads).transpose(0, 2, 1, 3)

    assert check_split_heads(split_permute).passed
    assert check_split_heads(split_numpy).passed
    assert check_merge_heads(merge_contiguous_view).passed


def split_no_transpose(x, n_heads):
    B, n, d = x.shape
    return x.reshape(B, n_heads, n, d // n_heads)


def split_forgot_transpose(x, n_heads):
    B, n, d = x.shape
    return x.reshape(B, n, n_heads, d // n_heads)


def split_interleaved(x, n_heads):
    B, n, d = x.shape
    return x.reshape(B, n, d // n_heads, n_heads).permute(0, 3, 1, 2)


def split_hard_coded(x, n_heads):
    B, n, d = x.shape
    return x.reshape(B, n, 4, d // 4).transpose(1, 2)


@pytest.mark.parametrize(
    "fn, words",
    [
        (split_no_transpose, "classic missing-transpose bug"),
        (split_forgot_transpose, "still behind the token axis"),
        (split_interleaved, "(d_k, h)"),
        (split_hard_coded, "hard-code"),
    ],
)
def test_split_mistakes_are_named(fn, words):
    fb = check_split_heads(fn)
    assert not fb.passed and words in fb.message, fb.message


def merge_no_transpose(x):
    B, h, n, d_k = x.shape
    return x.reshape(B, n, h * d_k)


def merge_view(x):
    B, h, n, d_k = x.shape
    return x.transpose(1, 2).view(B, n, h * d_k)


@pytest.mark.parametrize(
    "fn, words",
    [
        (merge_no_transpose, "classic missing-transpose bug"),
        (lambda x: x.transpose(1, 2), "side by side"),
        (merge_view, ".reshape"),
        (lambda x: x.permute(0, 2, 3, 1).reshape(x.shape[0], x.shape[2], -1), "interleaved"),
        (lambda x: x.sum(1), "added the heads"),
        (lambda x: x.mean(1), "averaged the heads"),
    ],
)
def test_merge_mistakes_are_named(fn, words):
    fb = check_merge_heads(fn)
    assert not fb.passed and words in fb.message, fb.message


def not_written(x, n_heads=None):
    raise NotImplementedError


@pytest.mark.parametrize(
    "answer",
    [
        None,
        42,
        "split",
        not_written,
        lambda *a: None,
        lambda *a: (1, 2),
        lambda *a: "text",
        lambda *a: torch.full((2, 4, 3, 2), float("nan")),
        lambda *a: 1 / 0,
        lambda: 0,
        lambda *a: torch.zeros(2, 4, 3, 2),
        lambda *a: [[1, 2], [3]],
    ],
)
def test_checkers_never_crash(answer):
    for check in (check_split_heads, check_merge_heads):
        fb = check(answer)
        assert not fb.passed and isinstance(fb.message, str) and fb.message


def test_learner_input_is_not_modified_between_cases():
    def split_in_place(x, n_heads):
        out = split_heads(x, n_heads).clone()
        x.zero_()
        return out

    assert check_split_heads(split_in_place).passed


# ----------------------------------------------------------------------------- positional encoding
def pe_solution(n_positions, d_model):
    pos = np.arange(n_positions)[:, None]
    two_i = np.arange(0, d_model, 2)[None, :]
    angle = pos / 10000 ** (two_i / d_model)
    pe = np.zeros((n_positions, d_model))
    pe[:, 0::2] = np.sin(angle)
    pe[:, 1::2] = np.cos(angle)
    return pe


def pe_variant(**changes):
    """The solution with one of the usual slips."""

    def fn(n_positions, d_model):
        start = changes.get("start", 0)
        pos = np.arange(start, start + n_positions)[:, None]
        j = np.arange(d_model)[None, :]
        if changes.get("feature_index"):
            pe = np.zeros((n_positions, d_model))
            pe[:, 0::2] = np.sin(pos / 10000 ** (j[:, 0::2] / d_model))
            pe[:, 1::2] = np.cos(pos / 10000 ** (j[:, 1::2] / d_model))
            return pe
        i = np.arange(d_model // 2)[None, :]
        exponent = i / d_model if changes.get("pair_index") else 2 * i / d_model
        angle = pos * 10000.0**exponent if changes.get("multiply") else pos / 10000.0**exponent
        first, second = (
            (np.cos(angle), np.sin(angle))
            if changes.get("swap")
            else (np.sin(angle), np.cos(angle))
        )
        if changes.get("halves"):
            return np.concatenate([first, second], axis=1)
        pe = np.zeros((n_positions, d_model))
        pe[:, 0::2], pe[:, 1::2] = first, second
        return pe.T if changes.get("transpose") else pe

    return fn


def test_positional_encoding_solutions_pass():
    assert check_positional_encoding(pe_solution).passed
    assert check_positional_encoding(sinusoidal_positional_encoding).passed  # a torch tensor
    assert check_positional_encoding(
        lambda n, d: torch.tensor(pe_solution(n, d), dtype=torch.float32)
    ).passed
    assert check_positional_encoding(lambda n, d: pe_solution(n, d).tolist()).passed


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"swap": True}, "swapped"),
        ({"feature_index": True}, "2i+1"),
        ({"pair_index": True}, "i/d_model instead of 2i/d_model"),
        ({"halves": True}, "interleaves"),
        ({"start": 1}, "start at 1"),
        ({"multiply": True}, "divide"),
        ({"transpose": True}, "transposed"),
    ],
)
def test_positional_encoding_mistakes_are_named(changes, words):
    fb = check_positional_encoding(pe_variant(**changes))
    assert not fb.passed and words in fb.message, fb.message


def test_positional_encoding_other_failures_are_explained():
    fb = check_positional_encoding(lambda n, d: pe_solution(6, 8))  # hard-coded size
    assert not fb.passed and "hard-code" in fb.message, fb.message
    wrong_base = check_positional_encoding(lambda n, d: pe_solution(n, d) * 0.5)
    assert not wrong_base.passed and "wrong values" in wrong_base.message


@pytest.mark.parametrize(
    "answer",
    [
        None,
        42,
        "pe",
        not_written,
        lambda *a: None,
        lambda *a: (1, 2),
        lambda *a: "text",
        lambda n, d: np.full((n, d), np.nan),
        lambda *a: 1 / 0,
        lambda: 0,
        lambda *a: [[1, 2], [3]],
        lambda n, d: np.zeros((n, d, 2)),
    ],
)
def test_positional_encoding_checker_never_crashes(answer):
    fb = check_positional_encoding(answer)
    assert not fb.passed and isinstance(fb.message, str) and fb.message
