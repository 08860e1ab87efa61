"""Tests of course_utils.toy_tasks: the seeded toy sequence tasks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_utils.toy_tasks import SequenceTask, expected_alignment, source_position, to_text


def test_reverse_and_copy_targets():
    src = torch.tensor([[3, 1, 4, 1, 5]])
    assert SequenceTask("reverse").target_of(src).tolist() == [[5, 1, 4, 1, 3]]
    assert SequenceTask("copy").target_of(src).tolist() == [[3, 1, 4, 1, 5]]


def test_batches_have_one_length_and_valid_tokens():
    task = SequenceTask("reverse", n_symbols=7, min_length=3, max_length=9, seed=1)
    seen = set()
    for _ in range(50):
        src, tgt = task.batch(8)
        assert src.shape == tgt.shape and src.shape[0] == 8
        assert 3 <= src.shape[1] <= 9
        assert int(src.min()) >= 0 and int(src.max()) < 7
        assert torch.equal(tgt, src.flip(-1))
        seen.add(src.shape[1])
    assert seen == set(range(3, 10)), "every length in the range is drawn"
    src, _ = task.batch(4, length=12)  # an explicit length may exceed the training range
    assert src.shape == (4, 12)


def test_same_seed_same_batches_and_global_rng_untouched():
    torch.manual_seed(0)
    before = torch.rand(1)
    torch.manual_seed(0)
    assert torch.equal(SequenceTask(seed=5).batch(4)[0], SequenceTask(seed=5).batch(4)[0])
    assert torch.rand(1) == before
    assert not torch.equal(
        SequenceTask(seed=5).batch(4, 10)[0], SequenceTask(seed=6).batch(4, 10)[0]
    )


def test_reseed_restarts_the_stream():
    task = SequenceTask(seed=3)
    first = task.batch(2, 6)[0]
    task.batch(2, 6)
    assert torch.equal(task.reseed(3).batch(2, 6)[0], first)


def test_vocab_and_bos():
    task = SequenceTask(n_symbols=10)
    assert task.bos == 10 and task.vocab_size == 11
    assert to_text([3, 10], bos=10) == ["3", "<s>"]
    assert to_text(torch.tensor([1, 2])) == ["1", "2"]
    with pytest.raises(ValueError, match="tokens must have 1 dimension"):
        to_text(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="whole-number"):
        to_text([1.5, 2])
    with pytest.raises(TypeError, match="bos"):
        to_text([1, 2], bos=np.zeros(3))


def test_alignment_is_a_permutation_matching_the_targets():
    for name in ("copy", "reverse"):
        task = SequenceTask(name)
        src, tgt = task.batch(3, 7)
        a = task.alignment(7)
        assert np.allclose(a.sum(axis=1), 1) and np.allclose(a.sum(axis=0), 1)
        pos = source_position(name, 7)
        assert torch.equal(tgt, src[:, pos])
    assert np.allclose(expected_alignment("reverse", 3), np.fliplr(np.eye(3)))


def test_describe_is_readable_and_does_not_advance_the_stream():
    task = SequenceTask("reverse", seed=0)
    text = task.describe([4])
    left, right = text.split("  ->  ")
    assert left.split() == right.split()[::-1]
    assert torch.equal(task.batch(1, 4)[0], SequenceTask("reverse", seed=0).batch(1, 4)[0])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"name": "sort"}, "name must be one of 'copy', 'reverse'"),
        ({"name": ["reverse"]}, "name must be one of"),
        ({"max_length": 10**12}, "max_length must be at most"),
        ({"seed": 10**400}, "seed"),
        ({"n_symbols": 1}, "at least 2"),
        ({"min_length": 0}, "min_length"),
        ({"min_length": 5, "max_length": 3}, "larger than"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_settings_get_a_clear_message(kwargs, message):
    with pytest.raises((TypeError, ValueError), match=message):
        SequenceTask(**kwargs)
    with pytest.raises(ValueError, match="batch_size"):
        SequenceTask().batch(0)


# ------------------------------------------------------------------ fuzz: every bad input is named
def test_fuzz_the_tasks():
    from fuzz import assert_all_kind, fuzz

    assert_all_kind(
        fuzz(
            SequenceTask,
            {"name": "reverse", "n_symbols": 4, "min_length": 1, "max_length": 5, "seed": 0},
            allowed=[("seed", "0"), ("seed", "huge")],
        ),
        fuzz(source_position, {"task": "reverse", "length": 4}),
        fuzz(expected_alignment, {"task": "reverse", "length": 4}),
        # any bos id is legitimate: it only decides which id is shown as "<s>"
        fuzz(to_text, {"tokens": [1, 2, 4], "bos": 4}, allowed=["bos"]),
    )
