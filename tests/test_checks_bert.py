"""check_mask_tokens accepts the 80/10/10 rule, names each typical mistake, and never crashes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_utils.bert import mask_tokens
from course_utils.checks import Feedback
from course_utils.checks.bert import check_mask_tokens


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
