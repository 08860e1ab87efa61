"""The bug zoo of 04's checkers: every real slip rejected by name, every valid way accepted.

Also: the checkers never crash on odd return values, and every choice of every 04 prediction
goes through ``reveal``.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from predictions import assert_every_choice_is_answered

from course_utils.attention import attention, causal_mask, softmax
from course_utils.checks import Feedback
from course_utils.checks.attention import (
    FUCHS_LOOKS_AT,
    PREDICTIONS,
    SOFT_TO_HARD,
    check_attention,
    check_causal_attention,
)

D_K = 4  # the notebook's global: a function that reads it must fail


def _stable_softmax(S):
    e = np.exp(S - S.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# --------------------------------------------------------------------------- check_attention

VALID = {
    "numpy with the course softmax": lambda Q, K, V: softmax(Q @ K.T / np.sqrt(Q.shape[-1])) @ V,
    "numpy, softmax written out": lambda Q, K, V: (
        _stable_softmax(Q @ K.T / np.sqrt(K.shape[1])) @ V
    ),
    "softmax without subtracting the max": lambda Q, K, V: (
        (lambda e: e / e.sum(-1, keepdims=True))(np.exp(Q @ K.T / np.sqrt(Q.shape[-1]))) @ V
    ),
    "einsum": lambda Q, K, V: np.einsum(
        "qk,kd->qd", softmax(np.einsum("qd,kd->qk", Q, K) / np.sqrt(Q.shape[-1])), V
    ),
    "batched (swapaxes, ... shapes)": lambda Q, K, V: (
        softmax(Q @ np.swapaxes(K, -1, -2) / Q.shape[-1] ** 0.5, axis=-1) @ V
    ),
    "torch SDPA": lambda Q, K, V: F.scaled_dot_product_attention(
        *(torch.tensor(a) for a in (Q, K, V))
    ),
    "torch float32 by hand": lambda Q, K, V: (
        torch.softmax(
            torch.tensor(Q, dtype=torch.float32)
            @ torch.tensor(K, dtype=torch.float32).T
            / Q.shape[1] ** 0.5,
            -1,
        )
        @ torch.tensor(V, dtype=torch.float32)
    ),
    "loops": lambda Q, K, V: np.array(
        [
            sum(
                w * v
                for w, v in zip(
                    softmax(np.array([q @ k for k in K]) / len(q) ** 0.5), V, strict=True
                )
            )
            for q in Q
        ]
    ),
    "the course's attention": lambda Q, K, V: attention(Q, K, V)[0],
    "scale the queries first": lambda Q, K, V: softmax((Q / np.sqrt(Q.shape[-1])) @ K.T) @ V,
}


@pytest.mark.parametrize("name", list(VALID))
def test_accepts_every_valid_way(name):
    feedback = check_attention(VALID[name])
    assert feedback.passed, feedback.message


def _S(Q, K):
    return Q @ K.T / np.sqrt(Q.shape[-1])


def _no_keepdims(Q, K, V):
    e = np.exp(_S(Q, K))
    return (e / e.sum(axis=-1)) @ V


def _global_sum(Q, K, V):
    e = np.exp(_S(Q, K))
    return (e / e.sum()) @ V


ZOO = [
    (lambda Q, K, V: softmax(_S(Q, K)), "returned the attention weights"),
    (lambda Q, K, V: softmax(Q @ K.T) @ V, "not scaled"),
    (lambda Q, K, V: softmax(Q @ K.T / Q.shape[-1]) @ V, "divided by d_k"),
    (lambda Q, K, V: softmax(Q @ K.T * np.sqrt(Q.shape[-1])) @ V, "multiplied by √d_k"),
    (lambda Q, K, V: softmax(Q @ K.T / 2.0) @ V, "divided by 2 = √4 whatever the input"),
    (lambda Q, K, V: softmax(Q @ K.T / np.sqrt(D_K)) @ V, "not from the notebook's global d_k"),
    (lambda Q, K, V: softmax(Q @ K.T / np.sqrt(K.shape[0])) @ V, "√n_k, the number of keys"),
    (lambda Q, K, V: softmax(Q @ K.T / np.sqrt(V.shape[1])) @ V, "√d_v, the width of the values"),
    (lambda Q, K, V: softmax(Q @ K.T / np.sqrt(len(Q))) @ V, "√n_q, the number of queries"),
    (lambda Q, K, V: softmax(_S(Q, K), axis=0) @ V, "wrong axis"),
    (lambda Q, K, V: _S(Q, K) @ V, "softmax is missing"),
    (lambda Q, K, V: np.exp(_S(Q, K)) @ V, "not divided by their sum"),
    (_global_sum, "sum over the whole matrix"),
    (_no_keepdims, "keepdims=True"),
    (lambda Q, K, V: softmax(Q @ K / np.sqrt(Q.shape[-1])) @ V, "K is not transposed"),
    (lambda Q, K, V: softmax(K @ Q.T / np.sqrt(Q.shape[-1])) @ V, "K @ Q.T"),
    (lambda Q, K, V: softmax(Q.T @ K / np.sqrt(Q.shape[-1])) @ V, "Q.T @ K"),
    (lambda Q, K, V: softmax(_S(Q, K)) @ V.T, "weights by V.T"),
    (lambda Q, K, V: V @ softmax(_S(Q, K)), "wrong order"),
]


@pytest.mark.parametrize("fn,fragment", ZOO)
def test_names_each_slip(fn, fragment):
    feedback = check_attention(fn)
    assert isinstance(feedback, Feedback) and not feedback.passed
    assert fragment in feedback.message, feedback.message


def _not_implemented(Q, K, V):
    raise NotImplementedError


def _square_only(Q, K, V):
    if Q.shape[0] != K.shape[0]:
        raise ValueError("shapes do not fit")
    return VALID["numpy with the course softmax"](Q, K, V)


class _BadFloat:
    def __float__(self):
        raise RuntimeError("no")


ODD = [
    (lambda Q, K, V: (attention(Q, K, V)[0], None), "tuple"),
    (lambda Q, K, V: attention(Q, K, V)[0] + 0.1, "wrong values"),
    (lambda Q, K, V: np.full((4, 4), np.nan), "NaN"),
    (lambda Q, K, V: "output", "string"),
    (lambda Q, K, V: 0, "shape ()"),
    (lambda Q, K, V: 10**400, "too large"),
    (lambda Q, K, V: [[_BadFloat()]], "cannot be read"),
    (lambda Q, K, V: torch.ones(4, 4, dtype=torch.bfloat16), "wrong values"),
    (lambda Q, K, V: (x for x in Q), "generator"),
    (_not_implemented, "not written yet"),
    (_square_only, "works for 4 tokens, d_k = d_v = 4 (square matrices) but fails"),
    (lambda Q, K, V: None, "returned None"),
    (None, "is None"),
    (42, "expected a function"),
]


@pytest.mark.parametrize("fn,fragment", ODD)
def test_odd_answers_get_a_message_not_a_crash(fn, fragment):
    feedback = check_attention(fn)
    assert isinstance(feedback, Feedback) and not feedback.passed
    assert fragment in feedback.message, feedback.message


def test_an_endless_loop_is_stopped(monkeypatch):
    monkeypatch.setenv("COURSE_CHECK_TIMEOUT", "1")

    def forever(Q, K, V):
        while True:
            pass

    for check in (check_attention, check_causal_attention):
        feedback = check(forever)
        assert not feedback.passed and "while True" in feedback.message, feedback.message


# --------------------------------------------------------------------------- check_causal_attention


def _causal(Q, K, V):
    n = Q.shape[0]
    S = Q @ K.T / np.sqrt(Q.shape[-1])
    return softmax(np.where(np.tril(np.ones((n, n), dtype=bool)), S, -np.inf)) @ V


def _minus_big(Q, K, V):
    n = Q.shape[0]
    S = Q @ K.T / np.sqrt(Q.shape[-1])
    S[np.triu_indices(n, k=1)] = -1e9
    return _stable_softmax(S) @ V


def _renormalised_after(Q, K, V):
    w = np.tril(softmax(Q @ K.T / np.sqrt(Q.shape[-1])))
    return (w / w.sum(-1, keepdims=True)) @ V


def _torch_masked_fill(Q, K, V):
    q, k, v = (torch.tensor(a, dtype=torch.float32) for a in (Q, K, V))
    s = q @ k.T / q.shape[-1] ** 0.5
    future = torch.triu(torch.ones(len(q), len(q), dtype=torch.bool), diagonal=1)
    return torch.softmax(s.masked_fill(future, float("-inf")), dim=-1) @ v


def _loops(Q, K, V):
    out = []
    for i, q in enumerate(Q):
        w = softmax(np.array([q @ K[j] / np.sqrt(len(q)) for j in range(i + 1)]))
        out.append(sum(w[j] * V[j] for j in range(i + 1)))
    return np.array(out)


CAUSAL_VALID = {
    "np.where with np.tril": _causal,
    "the course's attention and causal_mask": lambda Q, K, V: attention(
        Q, K, V, mask=causal_mask(len(Q))
    )[0],
    "-1e9 instead of -inf": _minus_big,
    "zeroed after the softmax and renormalised": _renormalised_after,
    "torch masked_fill, float32": _torch_masked_fill,
    "torch SDPA is_causal": lambda Q, K, V: F.scaled_dot_product_attention(
        *(torch.tensor(a) for a in (Q, K, V)), is_causal=True
    ),
    "loops over the past": _loops,
    "float mask from np.tril(np.ones)": lambda Q, K, V: (
        softmax(
            np.where(np.tril(np.ones((len(Q), len(Q)))), Q @ K.T / np.sqrt(Q.shape[1]), -np.inf)
        )
        @ V
    ),
}


@pytest.mark.parametrize("name", list(CAUSAL_VALID))
def test_causal_accepts_every_valid_way(name):
    feedback = check_causal_attention(CAUSAL_VALID[name])
    assert feedback.passed, feedback.message


def _masked(Q, K, V, allowed, scale=None, axis=-1):
    scale = np.sqrt(Q.shape[-1]) if scale is None else scale
    return softmax(np.where(allowed, Q @ K.T / scale, -np.inf), axis=axis) @ V


def _tril(n, k=0):
    return np.tril(np.ones((n, n), dtype=bool), k=k)


def _scores_times_mask(Q, K, V):
    return softmax(Q @ K.T / np.sqrt(Q.shape[-1]) * _tril(len(Q))) @ V


def _zero_after_softmax(Q, K, V):
    return np.tril(softmax(Q @ K.T / np.sqrt(Q.shape[-1]))) @ V


def _diagonal_hidden_own_softmax(Q, K, V):
    S = np.where(_tril(len(Q), k=-1), Q @ K.T / np.sqrt(Q.shape[-1]), -np.inf)
    e = np.exp(S - S.max(-1, keepdims=True))
    return (e / e.sum(-1, keepdims=True)) @ V


def _swapped_where(Q, K, V):
    S = np.where(_tril(len(Q)), -np.inf, Q @ K.T / np.sqrt(Q.shape[-1]))
    with np.errstate(invalid="ignore"):
        e = np.exp(S - S.max(-1, keepdims=True))
        return (e / e.sum(-1, keepdims=True)) @ V


CAUSAL_ZOO = [
    (lambda Q, K, V: attention(Q, K, V)[0], "no mask is applied"),
    (lambda Q, K, V: _masked(Q, K, V, _tril(len(Q)).T), "wrong way round"),
    (lambda Q, K, V: _masked(Q, K, V, _tril(len(Q), k=1)), "one token ahead"),
    (lambda Q, K, V: softmax(np.where(~_tril(len(Q)), 0.0, Q @ K.T / 2)) @ V, "not -inf"),
    (_scores_times_mask, "multiplying the scores by the mask"),
    (_zero_after_softmax, "after the softmax"),
    (lambda Q, K, V: _masked(Q, K, V, _tril(len(Q)), scale=1.0), "causal scores are not scaled"),
    (lambda Q, K, V: _masked(Q, K, V, _tril(len(Q)), scale=2.0), "divided by 2 = √4"),
    (lambda Q, K, V: _masked(Q, K, V, _tril(len(Q)), scale=np.sqrt(V.shape[1])), "√d_v"),
    (lambda Q, K, V: _masked(Q, K, V, _tril(len(Q)), scale=Q.shape[1]), "divided by d_k"),
    (lambda Q, K, V: _masked(Q, K, V, _tril(len(Q)), axis=0), "wrong axis"),
    (
        lambda Q, K, V: softmax(np.where(_tril(len(Q)), Q @ K.T / np.sqrt(Q.shape[1]), -np.inf)),
        "returned the attention weights",
    ),
    (lambda Q, K, V: _masked(Q, K, V, _tril(len(Q), k=-1)), "keep the diagonal"),
    (_diagonal_hidden_own_softmax, "row 0 of your output is NaN"),
    (_swapped_where, "arguments of np.where swapped"),
    (lambda Q, K, V: _causal(Q, K, V) * 2, "wrong values"),
    (lambda Q, K, V: 0, "shape ()"),
    (lambda Q, K, V: None, "returned None"),
    ("causal", "expected a function"),
]


@pytest.mark.parametrize("fn,fragment", CAUSAL_ZOO)
def test_causal_names_each_slip(fn, fragment):
    feedback = check_causal_attention(fn)
    assert isinstance(feedback, Feedback) and not feedback.passed
    assert fragment in feedback.message, feedback.message


def test_a_fully_masked_row_is_not_called_a_division_by_zero():
    feedback = check_causal_attention(_diagonal_hidden_own_softmax)
    assert "division by zero" not in feedback.message and "masked" in feedback.message


def test_feedback_renders_as_text_and_html():
    fb = check_attention(None)
    assert repr(fb).startswith("❌ Not yet:") and "<div" in fb._repr_html_()
    assert repr(check_attention(VALID["einsum"])).startswith("✅ Correct:")


# --------------------------------------------------------------------------- predictions

MEASURED = {
    FUCHS_LOOKS_AT.id: {"Der": "Der", "schlaue": "schlaue", "Fuchs": "Fuchs", "equal": "tie"},
    SOFT_TO_HARD.id: {
        "average": [40.0, 39.9, 39.8],
        "hard": [34.3, 29.5, 20.0],
        "always": [20.0, 20.0, 20.0],
        "beyond": [34.3, 15.0, 10.0],
    },
}


def test_predictions_are_the_notebooks():
    assert {p.id for p in PREDICTIONS} == {"04.fuchs-looks-at", "04.soft-to-hard"}


@pytest.mark.parametrize("prediction", PREDICTIONS, ids=lambda p: p.id)
def test_every_choice_is_revealed_against_every_outcome(prediction, capsys):
    assert_every_choice_is_answered(prediction, MEASURED[prediction.id], capsys)
