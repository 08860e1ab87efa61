"""The checkers of notebook 08 (80/10/10 masking, masked-LM loss): a bug zoo of real slips, each
rejected with a message naming it, valid alternatives accepted, and no crash on odd answers."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from predictions import assert_every_choice_is_answered

from course_utils.bert import mask_tokens
from course_utils.checks import Feedback
from course_utils.checks.bert import (
    FINE_TUNE,
    N_SPECIAL,
    NEGATION,
    PREDICTIONS,
    VOCAB_SIZE,
    _exact_rules,
    _independence,
    _rates,
    _test_ids,
    binomial_bounds,
    check_mask_tokens,
    check_mlm_loss,
)
from course_utils.predict import reveal


# ----------------------------------------------------------------------------- masking: valid
def right(ids, mask_id, vocab_size, n_special):
    chosen = (torch.rand(ids.shape) < 0.15) & (ids >= n_special)
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    r = torch.rand(ids.shape)
    inputs = ids.clone()
    inputs[chosen & (r < 0.8)] = mask_id
    rand = chosen & (r >= 0.8) & (r < 0.9)
    inputs[rand] = torch.randint(n_special, vocab_size, ids.shape)[rand]
    return inputs, labels


def other_order_bernoulli(ids, mask_id, vocab_size, n_special):
    """Draws the action first, uses torch.bernoulli, and draws random ids only where needed."""
    action = torch.rand(ids.shape)
    chosen = torch.bernoulli(torch.full(ids.shape, 0.15)).bool() & (ids >= n_special)
    inputs = ids.clone()
    inputs[chosen & (action < 0.8)] = mask_id
    rand = chosen & (action >= 0.9)  # the other 10 %: also right
    inputs[rand] = torch.randint(n_special, vocab_size, (int(rand.sum()),))
    return inputs, torch.where(chosen, ids, -100)


def numpy_version(ids, mask_id, vocab_size, n_special):
    x = ids.numpy()
    chosen = (np.random.rand(*x.shape) < 0.15) & (x >= n_special)
    labels = np.where(chosen, x, -100)
    r = np.random.rand(*x.shape)
    inputs = np.where(chosen & (r < 0.8), mask_id, x)
    rand = chosen & (r >= 0.8) & (r < 0.9)
    inputs = np.where(rand, np.random.randint(n_special, vocab_size, x.shape), inputs)
    return inputs, labels


def python_loops(ids, mask_id, vocab_size, n_special):
    inputs, labels = ids.clone(), torch.full_like(ids, -100)
    for b in range(ids.shape[0]):
        for j in range(ids.shape[1]):
            if ids[b, j] >= n_special and random.random() < 0.15:
                labels[b, j] = ids[b, j]
                r = random.random()
                if r < 0.8:
                    inputs[b, j] = mask_id
                elif r < 0.9:
                    inputs[b, j] = random.randrange(n_special, vocab_size)
    return inputs, labels


def never_the_original(ids, mask_id, vocab_size, n_special):
    """A replacement that is never the original token: also a fair reading of the rule."""
    inputs, labels = right(ids, mask_id, vocab_size, n_special)
    same = (labels != -100) & (inputs == ids)
    redraw = same & (torch.rand(ids.shape) < 0.5 * 0.1 / 0.1022)  # keep the shares 10/10
    inputs[redraw] = n_special + (ids[redraw] - n_special + 1) % (vocab_size - n_special)
    return inputs, labels


def package(ids, mask_id, vocab_size, n_special):
    return mask_tokens(ids, mask_id, vocab_size, n_special)


VALID = [right, other_order_bernoulli, numpy_version, python_loops, package]


@pytest.mark.parametrize("fn", VALID, ids=lambda f: f.__name__)
def test_valid_masking_is_accepted(fn):
    feedback = check_mask_tokens(fn)
    assert feedback.passed, feedback.message


def test_false_rejection_rate_is_tiny():
    """200 independent correct maskings (another draw order each time) all pass the judge."""
    ids = _test_ids()
    for seed in range(200):
        gen = torch.Generator().manual_seed(10_000 + seed)
        inputs, labels = mask_tokens(ids, 3, VOCAB_SIZE, N_SPECIAL, generator=gen)
        outcome = (ids.numpy(), inputs.numpy(), labels.numpy())
        problem = _exact_rules(*outcome) or _rates(*outcome) or _independence(*outcome)
        assert problem is None, (seed, problem)


def test_binomial_bounds_are_exact_tails():
    lo, hi = binomial_bounds(10, 0.5, 0.1)
    assert (lo, hi) == (2, 8)  # P(X ≤ 1) = 11/1024 ≤ 0.05 < P(X ≤ 2) = 56/1024
    lo, hi = binomial_bounds(11_000, 0.15)
    assert lo < 1650 < hi and hi - lo < 500


# ----------------------------------------------------------------------------- masking: the zoo
def all_mask(ids, mask_id, vocab_size, n_special):
    chosen = (torch.rand(ids.shape) < 0.15) & (ids >= n_special)
    return torch.where(chosen, torch.full_like(ids, mask_id), ids), torch.where(chosen, ids, -100)


def labels_only_for_masked(ids, mask_id, vocab_size, n_special):
    inputs, labels = right(ids, mask_id, vocab_size, n_special)
    return inputs, torch.where(inputs == mask_id, labels, -100)


def masks_12_percent(ids, mask_id, vocab_size, n_special):
    chosen = (torch.rand(ids.shape) < 0.12) & (ids >= n_special)
    return torch.where(chosen, torch.full_like(ids, mask_id), ids), torch.where(chosen, ids, -100)


def picks_specials(ids, mask_id, vocab_size, n_special):
    chosen = torch.rand(ids.shape) < 0.15
    return torch.where(chosen, torch.full_like(ids, mask_id), ids), torch.where(chosen, ids, -100)


def labels_everywhere(ids, mask_id, vocab_size, n_special):
    return right(ids, mask_id, vocab_size, n_special)[0], ids


def labels_are_inputs(ids, mask_id, vocab_size, n_special):
    inputs, labels = right(ids, mask_id, vocab_size, n_special)
    return inputs, torch.where(labels != -100, inputs, labels)


def rate_30_percent(ids, mask_id, vocab_size, n_special):
    return mask_tokens(ids, mask_id, vocab_size, n_special, p=0.3)


def random_from_whole_vocab(ids, mask_id, vocab_size, n_special):
    chosen = (torch.rand(ids.shape) < 0.15) & (ids >= n_special)
    r = torch.rand(ids.shape)
    inputs = ids.clone()
    inputs[chosen & (r < 0.8)] = mask_id
    rand = chosen & (r >= 0.8) & (r < 0.9)
    inputs[rand] = torch.randint(0, vocab_size, ids.shape)[rand]
    return inputs, torch.where(chosen, ids, -100)


def same_positions_every_sentence(ids, mask_id, vocab_size, n_special):
    chosen = (torch.rand(ids.shape[1]) < 0.15) & (ids >= n_special)  # (n,) broadcast over B
    r = torch.rand(ids.shape)
    inputs = ids.clone()
    inputs[chosen & (r < 0.8)] = mask_id
    rand = chosen & (r >= 0.8) & (r < 0.9)
    inputs[rand] = torch.randint(n_special, vocab_size, ids.shape)[rand]
    return inputs, torch.where(chosen, ids, -100)


def one_random_word(ids, mask_id, vocab_size, n_special):
    chosen = (torch.rand(ids.shape) < 0.15) & (ids >= n_special)
    r = torch.rand(ids.shape)
    inputs = ids.clone()
    inputs[chosen & (r < 0.8)] = mask_id
    inputs[chosen & (r >= 0.8) & (r < 0.9)] = random.randrange(n_special, vocab_size)
    return inputs, torch.where(chosen, ids, -100)


def two_independent_draws(ids, mask_id, vocab_size, n_special):
    chosen = (torch.rand(ids.shape) < 0.15) & (ids >= n_special)
    inputs = ids.clone()
    masked = chosen & (torch.rand(ids.shape) < 0.8)
    inputs[masked] = mask_id
    rand = chosen & ~masked & (torch.rand(ids.shape) < 0.1)  # 10 % of the rest, not of all
    inputs[rand] = torch.randint(n_special, vocab_size, ids.shape)[rand]
    return inputs, torch.where(chosen, ids, -100)


def in_place(ids, mask_id, vocab_size, n_special):
    chosen = (torch.rand(ids.shape) < 0.15) & (ids >= n_special)
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    r = torch.rand(ids.shape)
    ids[chosen & (r < 0.8)] = mask_id  # no clone: edits the caller's ids
    rand = chosen & (r >= 0.8) & (r < 0.9)
    ids[rand] = torch.randint(n_special, vocab_size, ids.shape)[rand]
    return ids, labels


def one_action_per_sentence(ids, mask_id, vocab_size, n_special):
    chosen = (torch.rand(ids.shape) < 0.15) & (ids >= n_special)
    r = torch.rand(ids.shape[0], 1).expand(ids.shape)  # one 80/10/10 draw per sentence
    inputs = ids.clone()
    inputs[chosen & (r < 0.8)] = mask_id
    rand = chosen & (r >= 0.8) & (r < 0.9)
    inputs[rand] = torch.randint(n_special, vocab_size, ids.shape)[rand]
    return inputs, torch.where(chosen, ids, -100)


def seeds_itself(ids, mask_id, vocab_size, n_special):
    torch.manual_seed(0)
    return right(ids, mask_id, vocab_size, n_special)


def separate_draws_for_labels(ids, mask_id, vocab_size, n_special):
    labels = torch.where((torch.rand(ids.shape) < 0.15) & (ids >= n_special), ids, -100)
    inputs, _ = all_mask(ids, mask_id, vocab_size, n_special)
    return inputs, labels


def first_half_only(ids, mask_id, vocab_size, n_special):
    inputs, labels = mask_tokens(ids, mask_id, vocab_size, n_special, p=0.3)
    half = ids.shape[0] // 2
    inputs[half:], labels[half:] = ids[half:], -100
    return inputs, labels


def returns_only_inputs(ids, mask_id, vocab_size, n_special):
    return right(ids, mask_id, vocab_size, n_special)[0]


def float_ids(ids, mask_id, vocab_size, n_special):
    inputs, labels = right(ids, mask_id, vocab_size, n_special)
    return inputs.float() + 0.5, labels


ZOO = [
    (all_mask, "every chosen token became [MASK]"),
    (labels_only_for_masked, "need a label too"),
    (masks_12_percent, "all of them are [MASK]"),
    (picks_specials, "special token"),
    (labels_everywhere, "no -100"),
    (labels_are_inputs, "ORIGINAL token"),
    (rate_30_percent, "BERT chooses 15 %"),
    (random_from_whole_vocab, "special tokens"),
    (same_positions_every_sentence, "same positions in every sentence"),
    (one_random_word, "not one id for all of them"),
    (two_independent_draws, "split at 0.8 and 0.9"),
    (in_place, "changed the ids it was given"),
    (one_action_per_sentence, "not once per sentence"),
    (seeds_itself, "must not set a seed"),
    (separate_draws_for_labels, "got no label"),
    (first_half_only, "every sentence must be masked the same way"),
    (returns_only_inputs, "return two things"),
    (float_ids, "whole numbers"),
]


@pytest.mark.parametrize(("fn", "fragment"), ZOO, ids=[f.__name__ for f, _ in ZOO])
def test_masking_slip_is_rejected_by_name(fn, fragment):
    feedback = check_mask_tokens(fn)
    assert not feedback.passed, fn.__name__
    assert fragment in feedback.message, feedback.message


@pytest.mark.parametrize("answer", [0, None, "ids", (1, 2, 3), 10**400, [[1.5]]])
def test_masking_checker_never_crashes(answer):
    feedback = check_mask_tokens(lambda *args: answer)
    assert isinstance(feedback, Feedback) and not feedback.passed


def test_masking_checker_stops_an_endless_loop(monkeypatch):
    monkeypatch.setenv("COURSE_CHECK_TIMEOUT", "1")

    def forever(ids, mask_id, vocab_size, n_special):
        while True:
            pass

    feedback = check_mask_tokens(forever)
    assert not feedback.passed and "loop" in feedback.message.lower()


def test_unwritten_stub_is_named():
    def stub(ids, mask_id, vocab_size, n_special):
        raise NotImplementedError

    assert "not written yet" in check_mask_tokens(stub).message


# ----------------------------------------------------------------------------- the MLM loss
def loss_right(logits, labels):
    chosen = labels != -100
    return -logits.log_softmax(-1)[chosen, labels[chosen]].mean()


def loss_torch(logits, labels):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))


def loss_numpy_float64(logits, labels):
    x, y = logits.double().numpy(), labels.numpy()
    x = x - x.max(-1, keepdims=True)
    log_p = x - np.log(np.exp(x).sum(-1, keepdims=True))
    b, j = np.nonzero(y != -100)
    return float(-log_p[b, j, y[b, j]].mean())


def loss_loops(logits, labels):
    total, count = 0.0, 0
    for b in range(labels.shape[0]):
        for j in range(labels.shape[1]):
            if labels[b, j] != -100:
                row = logits[b, j]
                total += float(torch.logsumexp(row, 0) - row[labels[b, j]])
                count += 1
    return total / count


def loss_einsum_one_hot(logits, labels):
    chosen = labels != -100
    one_hot = F.one_hot(labels.clamp(min=0), logits.shape[-1]).float()
    per_position = -torch.einsum("bnv,bnv->bn", logits.log_softmax(-1), one_hot)
    return per_position[chosen].sum() / chosen.sum()


LOSS_VALID = [loss_right, loss_torch, loss_numpy_float64, loss_loops, loss_einsum_one_hot]


@pytest.mark.parametrize("fn", LOSS_VALID, ids=lambda f: f.__name__)
def test_valid_loss_is_accepted(fn):
    feedback = check_mlm_loss(fn)
    assert feedback.passed, feedback.message


def _picked(logits, labels):
    return logits.log_softmax(-1).gather(-1, labels.clamp(min=0)[..., None])[..., 0]


LOSS_ZOO = [
    (lambda lo, la: -_picked(lo, la)[la != -100].sum(), "summed"),
    (lambda lo, la: -(_picked(lo, la) * (la != -100)).sum() / la.numel(), "ALL positions"),
    (lambda lo, la: _picked(lo, la)[la != -100].mean(), "sign"),
    (lambda lo, la: -_picked(lo, la).mean(), "as if their label were 0"),
    (
        lambda lo, la: F.cross_entropy(lo.softmax(-1).reshape(-1, lo.shape[-1]), la.reshape(-1)),
        "softmax twice",
    ),
    (lambda lo, la: -_picked(lo, la).exp()[la != -100].mean(), "probabilities"),
    (
        lambda lo, la: (
            -lo.log_softmax(1).gather(-1, la.clamp(min=0)[..., None])[..., 0][la != -100].mean()
        ),
        "wrong axis",
    ),
    (
        lambda lo, la: torch.stack(
            [
                -_picked(lo, la)[b][la[b] != -100].mean()
                for b in range(la.shape[0])
                if (la[b] != -100).any()
            ]
        ).mean(),
        "mean per sentence",
    ),
    (lambda lo, la: -_picked(lo, la)[la != -100].mean() / math.log(2), "log base 2"),
    (lambda lo, la: -_picked(lo, la) * (la != -100), "ONE number"),
    (lambda lo, la: F.cross_entropy(lo, la), "reshape"),
]


@pytest.mark.parametrize(("fn", "fragment"), LOSS_ZOO, ids=[f for _, f in LOSS_ZOO])
def test_loss_slip_is_rejected_by_name(fn, fragment):
    feedback = check_mlm_loss(fn)
    assert not feedback.passed
    assert fragment in feedback.message, feedback.message


def test_loss_indexing_with_minus_100_gets_advice():
    def raw_index(logits, labels):
        return -logits.log_softmax(-1).gather(-1, labels[..., None]).mean()

    feedback = check_mlm_loss(raw_index)
    assert not feedback.passed and "-100 is not a word" in feedback.message


@pytest.mark.parametrize("answer", [None, "1.0", float("nan"), 10**400, (1.0, 2.0), [[]]])
def test_loss_checker_never_crashes(answer):
    feedback = check_mlm_loss(lambda logits, labels: answer)
    assert isinstance(feedback, Feedback) and not feedback.passed


# ----------------------------------------------------------------------------- predictions

MEASURED = {  # one measurement that makes each choice right
    FINE_TUNE.id: {"fine": 0.22, "same": 0.0, "scratch": -0.3},
    NEGATION.id: {
        "own": {"own": 0.6, "others": 0.1, "rest": 0.3},
        "others": {"own": 0.1, "others": 0.7, "rest": 0.2},
        "rest": {"own": 0.27, "others": 0.19, "rest": 0.54},
    },
}


@pytest.mark.parametrize("prediction", PREDICTIONS, ids=lambda p: p.id)
def test_every_choice_of_every_prediction_is_answered(prediction, capsys):
    assert_every_choice_is_answered(prediction, MEASURED[prediction.id], capsys)
    for measured in MEASURED[prediction.id].values():
        reveal(prediction, measured=measured, shown="the measurement")  # no guess made
        assert "No prediction locked in yet" in capsys.readouterr().out
