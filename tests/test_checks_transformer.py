"""The notebook-06 checkers (split/merge heads, positional encoding).

They accept right answers, name the classic bugs, never crash.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_utils.checks.transformer import (
    PREDICTIONS,
    check_merge_heads,
    check_positional_encoding,
    check_split_heads,
)
from course_utils.predict import ask, reveal
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


# ----------------------------------------------------------------------------- the bug zoo
# Wrong answers real learners write (the slips discussed in the issue trackers and forums of
# the Annotated Transformer, nanoGPT/minGPT and d2l: reshape without transpose, (d_k, h)
# order, transpose(0, 2)/(2, 3), view after transpose, float d_k, a hard-coded head count,
# sum/mean instead of concatenation, the PE index slips), each with the fragment its message
# must contain.
def _bh(x, n_heads):
    B, n, d = x.shape
    return B, n, n_heads, d // n_heads


SPLIT_ZOO = {
    "no transpose": (
        lambda x, h: x.reshape(_bh(x, h)[0], h, x.shape[1], -1),
        "classic missing-transpose",
    ),
    "transpose forgotten": (lambda x, h: x.reshape(_bh(x, h)), "still behind the token axis"),
    "(d_k, h) order": (lambda x, h: x.reshape(*x.shape[:2], -1, h).permute(0, 3, 1, 2), "(d_k, h)"),
    "last two swapped": (lambda x, h: x.reshape(_bh(x, h)).permute(0, 2, 3, 1), "last two axes"),
    "transpose(0, 2)": (lambda x, h: x.reshape(_bh(x, h)).transpose(0, 2), "batch axis"),
    "heads before batch": (
        lambda x, h: torch.stack(x.chunk(h, dim=-1), dim=0),
        "in front of the batch",
    ),
    "transpose(2, 3)": (lambda x, h: x.reshape(_bh(x, h)).transpose(2, 3), "wrong axis"),
    "hard-coded 4 heads": (
        lambda x, h: x.reshape(*x.shape[:2], 4, -1).transpose(1, 2),
        "hard-code",
    ),
    "float d_k": (
        lambda x, h: x.reshape(x.shape[0], x.shape[1], h, x.shape[2] / h).transpose(1, 2),
        "integer division",
    ),
    "list of chunks": (lambda x, h: list(x.chunk(h, dim=-1)), "in front of the batch"),
}

MERGE_ZOO = {
    "no transpose": (lambda x: x.reshape(x.shape[0], x.shape[2], -1), "classic missing-transpose"),
    "transpose only": (lambda x: x.transpose(1, 2), "side by side"),
    "interleaved": (
        lambda x: x.permute(0, 2, 3, 1).reshape(x.shape[0], x.shape[2], -1),
        "interleaved",
    ),
    "transpose(2, 3)": (
        lambda x: x.transpose(2, 3).reshape(x.shape[0], x.shape[2], -1),
        "transpose(2, 3)",
    ),
    "sum": (lambda x: x.sum(1), "added the heads"),
    "mean": (lambda x: x.mean(1), "averaged the heads"),
    "cat on tokens": (lambda x: torch.cat(list(x.unbind(1)), dim=1), "along the tokens"),
    "flatten(1)": (lambda x: x.transpose(1, 2).flatten(1), "flattened the tokens"),
    "view after transpose": (
        lambda x: x.transpose(1, 2).view(x.shape[0], x.shape[2], -1),
        ".reshape",
    ),
    "hard-coded d_model 8": (
        lambda x: x.transpose(1, 2).reshape(x.shape[0], x.shape[2], 8),
        "hard-code",
    ),
}


def _pe_with(exponent=None, *, start=0, order="interleave", fn=np.sin, other=np.cos, div=True):
    def pe(n_positions, d_model):
        pos = np.arange(start, start + n_positions)[:, None]
        two_i = np.arange(0, d_model, 2)[None, :]
        e = two_i / d_model if exponent is None else exponent(two_i, d_model)
        angle = pos / 10000.0**e if div else pos * 10000.0**e
        a, b = fn(angle), other(angle)
        if order == "halves":
            return np.concatenate([a, b], axis=1)
        out = np.zeros((n_positions, d_model))
        out[:, 0::2], out[:, 1::2] = a, b
        return out

    return pe


def pe_all_features(n_positions, d_model):
    """The review's slip: i runs over all d_model features and the exponent is 2i/d_model."""
    pos = np.arange(n_positions)[:, None]
    j = np.arange(d_model)[None, :]
    angle = pos / 10000 ** (2 * j / d_model)
    out = np.zeros((n_positions, d_model))
    out[:, 0::2], out[:, 1::2] = np.sin(angle[:, 0::2]), np.cos(angle[:, 1::2])
    return out


PE_ZOO = {
    "sin/cos swapped": (_pe_with(fn=np.cos, other=np.sin), "swapped"),
    "feature index 2i+1": (pe_variant(feature_index=True), "2i+1"),
    "i over all features": (pe_all_features, "feature number"),
    "i/d_model": (_pe_with(lambda t, d: (t / 2) / d), "i/d_model instead of 2i/d_model"),
    "integer division": (_pe_with(lambda t, d: t // d), "integer division"),
    "halves": (_pe_with(order="halves"), "interleaves"),
    "sines only": (_pe_with(other=np.sin), "every feature holds a sine"),
    "positions from 1": (_pe_with(start=1), "start at 1"),
    "multiplied": (_pe_with(div=False), "divide"),
    "transposed": (lambda n, d: _pe_with()(n, d).T, "transposed"),
    "hard-coded d_model": (lambda n, d: _pe_with()(n, 8), "hard-code"),
}


@pytest.mark.parametrize("slip", list(SPLIT_ZOO))
def test_split_zoo_rejected_with_the_slip_named(slip):
    fn, fragment = SPLIT_ZOO[slip]
    fb = check_split_heads(fn)
    assert not fb.passed and fragment in fb.message, (slip, fb.message)


@pytest.mark.parametrize("slip", list(MERGE_ZOO))
def test_merge_zoo_rejected_with_the_slip_named(slip):
    fn, fragment = MERGE_ZOO[slip]
    fb = check_merge_heads(fn)
    assert not fb.passed and fragment in fb.message, (slip, fb.message)


@pytest.mark.parametrize("slip", list(PE_ZOO))
def test_positional_encoding_zoo_rejected_with_the_slip_named(slip):
    fn, fragment = PE_ZOO[slip]
    fb = check_positional_encoding(fn)
    assert not fb.passed and fragment in fb.message, (slip, fb.message)


def split_loop(x, n_heads):
    d_k = x.shape[-1] // n_heads
    return torch.stack([x[..., i * d_k : (i + 1) * d_k] for i in range(n_heads)], dim=1)


VALID_SPLITS = {
    "reshape + transpose": split_heads,
    "view + permute": lambda x, h: x.view(*x.shape[:2], h, -1).permute(0, 2, 1, 3),
    "chunk + stack dim=1": lambda x, h: torch.stack(x.chunk(h, dim=-1), dim=1),
    "loop over heads": split_loop,
    "numpy": lambda x, h: np.asarray(x).reshape(*x.shape[:2], h, -1).transpose(0, 2, 1, 3),
    "float64": lambda x, h: split_heads(x.double(), h),
    "unflatten": lambda x, h: x.unflatten(-1, (h, -1)).transpose(1, 2).contiguous(),
}
VALID_MERGES = {
    "transpose + reshape": merge_heads,
    "permute + flatten(2)": lambda x: x.permute(0, 2, 1, 3).flatten(2),
    "cat of heads": lambda x: torch.cat(x.unbind(1), dim=-1),
    "contiguous view": lambda x: x.transpose(1, 2).contiguous().view(x.shape[0], x.shape[2], -1),
    "numpy": lambda x: np.asarray(x).transpose(0, 2, 1, 3).reshape(x.shape[0], x.shape[2], -1),
    "loop over tokens": lambda x: torch.stack(
        [x[:, :, t].flatten(1) for t in range(x.shape[2])], dim=1
    ),
}


def pe_loops(n_positions, d_model):
    import math

    return [
        [math.sin(p / 10000 ** (f / d_model)) if f % 2 == 0
         else math.cos(p / 10000 ** ((f - 1) / d_model))
         for f in range(d_model)]
        for p in range(n_positions)
    ]  # fmt: skip


VALID_PES = {
    "numpy": pe_solution,
    "package (torch, float32)": sinusoidal_positional_encoding,
    "pure python loops": pe_loops,
    "exp-log form": lambda n, d: _pe_with(lambda t, dd: t / dd)(n, d),
    "stack + reshape": lambda n, d: np.stack(
        [
            np.sin(np.arange(n)[:, None] * np.exp(-np.log(10000.0) * np.arange(0, d, 2) / d)),
            np.cos(np.arange(n)[:, None] * np.exp(-np.log(10000.0) * np.arange(0, d, 2) / d)),
        ],
        -1,
    ).reshape(n, d),
    "float32 numpy": lambda n, d: pe_solution(n, d).astype(np.float32),
}


@pytest.mark.parametrize("name", list(VALID_SPLITS))
def test_valid_splits_accepted(name):
    fb = check_split_heads(VALID_SPLITS[name])
    assert fb.passed, (name, fb.message)


@pytest.mark.parametrize("name", list(VALID_MERGES))
def test_valid_merges_accepted(name):
    fb = check_merge_heads(VALID_MERGES[name])
    assert fb.passed, (name, fb.message)


@pytest.mark.parametrize("name", list(VALID_PES))
def test_valid_positional_encodings_accepted(name):
    fb = check_positional_encoding(VALID_PES[name])
    assert fb.passed, (name, fb.message)


def test_zoo_sizes():
    assert min(len(SPLIT_ZOO), len(MERGE_ZOO), len(PE_ZOO)) >= 8
    assert min(len(VALID_SPLITS), len(VALID_MERGES), len(VALID_PES)) >= 4


@pytest.mark.parametrize("check", [check_split_heads, check_merge_heads, check_positional_encoding])
def test_endless_loop_gets_a_message_in_time(check, monkeypatch):
    import time

    monkeypatch.setenv("COURSE_CHECK_TIMEOUT", "1")

    def endless(*args):
        while True:
            pass

    start = time.perf_counter()
    fb = check(endless)
    assert not fb.passed and time.perf_counter() - start < 10
    assert "loop" in fb.message.lower() or "time" in fb.message.lower(), fb.message


@pytest.mark.parametrize(
    "value",
    [
        0,
        None,
        10**400,
        float("nan"),
        "x",
        (1, 2),
        torch.zeros(2, dtype=torch.bfloat16),
        iter([1, 2]),
    ],
)
def test_any_return_value_gets_a_message(value):
    class BadFloat:
        def __float__(self):
            raise RuntimeError("no")

    for returned in (value, BadFloat(), [BadFloat()]):
        for check in (check_split_heads, check_merge_heads, check_positional_encoding):
            fb = check(lambda *a, r=returned: r)
            assert not fb.passed and fb.message


def test_learner_prints_are_shown_once():
    def chatty(x, n_heads):
        print("shape", tuple(x.shape))
        return split_heads(x, n_heads)

    fb = check_split_heads(chatty)
    assert fb.passed and "shape" in fb.printed


# ----------------------------------------------------------------------------- predictions
@pytest.mark.parametrize("prediction", PREDICTIONS, ids=lambda p: p.id)
def test_every_choice_of_every_prediction_is_revealed(prediction, capsys):
    measured_for = {  # a measurement that makes each choice the right one
        "06.head-parameters": {"more": 16.0, "same": 1.0, "fewer": 1 / 16},
        "06.heads-16-vs-4": {"lower": 0.3, "similar": 1.2, "higher": 2.9},
    }[prediction.id]
    assert set(measured_for) == set(prediction.choices)
    for right, measured in measured_for.items():
        assert prediction.right_key(measured) == right
        for choice in prediction.choices:
            guess = ask(prediction)
            guess.widgets["choice"].value = choice  # as the learner does: pick, then lock in
            guess.widgets["on_lock"]()
            assert guess.choice == choice
            reveal(guess, measured=measured, shown=f"{measured}")
            out = capsys.readouterr().out
            assert ("right!" in out) == (choice == right), out
            for key in prediction.choices:  # every choice is explained
                assert prediction.explanations[key] in out
    reveal(ask(prediction), measured=1.0, shown="1.0")  # no guess: the stored run's path
    assert "No prediction locked in yet" in capsys.readouterr().out
