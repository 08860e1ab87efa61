"""The checkers of notebook 08 (80/10/10 masking, masked-LM loss) accept right answers, name each
typical mistake, and never crash."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils.bert import mask_tokens
from course_utils.checks import Feedback
from course_utils.checks.bert import check_mask_tokens, check_mlm_loss


def right(ids, mask_id, vocab_size, n_special):
    chosen = (torch.rand(ids.shape) < 0.15) & (ids >= n_special)
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    r = torch.rand(ids.shape)
    inputs = ids.clone()
    inputs[chosen & (r < 0.8)] = mask_id
    rand = chosen & (r >= 0.8) & (r < 0.9)
    inputs[rand] = torch.randint(n_special, vocab_size, ids.shape)[rand]
    return inputs, labels


def all_mask(ids, mask_id, vocab_size, n_special):
    chosen = (torch.rand(ids.shape) < 0.15) & (ids >= n_special)
    return torch.where(chosen, torch.full_like(ids, mask_id), ids), torch.where(chosen, ids, -100)


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


def half_rate(ids, mask_id, vocab_size, n_special):
    return mask_tokens(ids, mask_id, vocab_size, n_special, p=0.3)


def random_specials(ids, mask_id, vocab_size, n_special):
    inputs, labels = right(ids, mask_id, vocab_size, n_special)
    swap = (labels != -100) & (inputs != mask_id) & (inputs != ids)
    inputs[swap] = 0
    return inputs, labels


def fixed(ids, mask_id, vocab_size, n_special):
    g = torch.Generator().manual_seed(0)
    return mask_tokens(ids, mask_id, vocab_size, n_special, generator=g)


def fifty_fifty(ids, mask_id, vocab_size, n_special):
    chosen = (torch.rand(ids.shape) < 0.15) & (ids >= n_special)
    r = torch.rand(ids.shape)
    inputs = ids.clone()
    inputs[chosen & (r < 0.5)] = mask_id
    return inputs, torch.where(chosen, ids, -100)


def numpy_version(ids, mask_id, vocab_size, n_special):
    ids = ids.numpy()
    chosen = (np.random.rand(*ids.shape) < 0.15) & (ids >= n_special)
    r = np.random.rand(*ids.shape)
    inputs = ids.copy()
    inputs[chosen & (r < 0.8)] = mask_id
    rand = chosen & (r >= 0.8) & (r < 0.9)
    inputs[rand] = np.random.randint(n_special, vocab_size, ids.shape)[rand]
    return inputs, np.where(chosen, ids, -100)


def test_accepts_right_answers():
    assert check_mask_tokens(right).passed
    assert check_mask_tokens(mask_tokens).passed
    assert check_mask_tokens(numpy_version).passed


@pytest.mark.parametrize("fn, words", [
    (all_mask, "80 %"),
    (masks_12_percent, "every chosen token"),
    (picks_specials, "special token"),
    (labels_everywhere, "-100"),
    (labels_are_inputs, "ORIGINAL"),
    (half_rate, "15 %"),
    (random_specials, "special tokens"),
    (fixed, "random"),
    (fifty_fifty, "80 % [MASK], 10 % random"),
])
def test_names_typical_mistakes(fn, words):
    fb = check_mask_tokens(fn)
    assert not fb.passed and words in fb.message, fb.message


def _raise(*args):
    raise NotImplementedError


def _crash(ids, *args):
    return ids @ ids


@pytest.mark.parametrize("answer", [
    None, 3, "text", _raise, _crash,
    lambda *a: None, lambda *a: a[0], lambda *a: (a[0],), lambda *a: ("x", "y"),
    lambda *a: (a[0][:2], a[0]), lambda *a: (a[0].float() + 0.5, a[0]),
    lambda *a: ([[1, 2]], None), lambda *a: (float("nan"), a[0]),
])
def test_never_crashes(answer):
    fb = check_mask_tokens(answer)
    assert isinstance(fb, Feedback) and not fb.passed and fb.message


def test_checker_leaves_global_rngs_alone():
    torch.manual_seed(5)
    np.random.seed(5)
    expected_t, expected_n = torch.rand(1), np.random.rand()
    torch.manual_seed(5)
    np.random.seed(5)
    check_mask_tokens(right)
    check_mask_tokens(numpy_version)
    assert torch.rand(1) == expected_t and np.random.rand() == expected_n


# ---- the masked-LM loss exercise ----

def loss_right(logits, labels):
    chosen = labels != -100
    return -logits.log_softmax(-1)[chosen, labels[chosen]].mean()


def loss_numpy(logits, labels):
    logits, labels = logits.numpy(), labels.numpy()
    chosen = labels != -100
    z = logits[chosen] - logits[chosen].max(-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(-1, keepdims=True))
    return float(-log_p[np.arange(len(log_p)), labels[chosen]].mean())


def _counted_as_zero(logits, labels):
    return -logits.log_softmax(-1).gather(-1, labels.clamp(min=0)[..., None]).mean()


def _mean_over_all(logits, labels):
    chosen = labels != -100
    per = -logits.log_softmax(-1).gather(-1, labels.clamp(min=0)[..., None])[..., 0]
    return (per * chosen).mean()


@pytest.mark.parametrize("fn", [
    loss_right, loss_numpy,
    lambda lg, y: F.cross_entropy(lg.reshape(-1, lg.shape[-1]), y.reshape(-1)),
    lambda lg, y: F.cross_entropy(lg.transpose(1, 2), y),
    lambda lg, y: loss_right(lg, y).item(),
])
def test_loss_accepts_right_answers(fn):
    fb = check_mlm_loss(fn)
    assert fb.passed, fb.message


@pytest.mark.parametrize("fn, words", [
    (_mean_over_all, "ALL positions"),
    (lambda lg, y: loss_right(lg, y) * (y != -100).sum(), "summed"),
    (lambda lg, y: -loss_right(lg, y), "sign"),
    (_counted_as_zero, "as if their label were 0"),
    (lambda lg, y: loss_right(lg.softmax(-1), y), "softmax twice"),
    (lambda lg, y: F.cross_entropy(lg.reshape(-1, lg.shape[-1]), y.reshape(-1), reduction="none"), "ONE number"),
    (lambda lg, y: F.cross_entropy(lg, y), "reshape"),
    (lambda lg, y: -lg.log_softmax(-1).gather(-1, y[..., None]).mean(), "-100 is not a word"),
    (lambda lg, y: loss_right(lg, y) + 0.5, "the right one is"),
])
def test_loss_names_typical_mistakes(fn, words):
    fb = check_mlm_loss(fn)
    assert not fb.passed and words in fb.message, fb.message


@pytest.mark.parametrize("answer", [
    None, 3, "text", _raise, lambda lg, y: None, lambda lg, y: "x", lambda lg, y: (1.0, 2.0),
    lambda lg, y: float("nan"), lambda lg, y: [[1.0, 2.0]],
])
def test_loss_checker_never_crashes(answer):
    fb = check_mlm_loss(answer)
    assert isinstance(fb, Feedback) and not fb.passed and fb.message
