"""Tests of course_utils.training: training with a progress bar, and evaluation by length."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch

from course_utils.seq2seq import make_model
from course_utils.toy_tasks import SequenceTask
from course_utils.training import LengthReport, ProgressBar, evaluate_by_length, train


def test_training_is_deterministic_and_lowers_the_loss():
    def run():
        task = SequenceTask("reverse", n_symbols=4, max_length=4, seed=0)
        model = make_model(
            "attention", task, seed=0, emb_dim=8, enc_hidden=8, dec_hidden=16, attn_dim=8
        )
        return train(model, task, steps=60, batch_size=32, lr=0.02, progress=False), model

    losses_a, model = run()
    losses_b, _ = run()
    np.testing.assert_array_equal(losses_a, losses_b)
    assert losses_a[-10:].mean() < 0.7 * losses_a[:10].mean()
    assert not model.training


def test_training_with_attention_learns_short_reversal():
    task = SequenceTask("reverse", n_symbols=5, min_length=2, max_length=5, seed=0)
    model = make_model(
        "attention", task, seed=0, emb_dim=8, enc_hidden=16, dec_hidden=32, attn_dim=16
    )
    train(model, task, steps=150, batch_size=32, lr=0.02, progress=False)
    report = evaluate_by_length(model, task, [3, 5], n_per_length=100)
    assert report.at(3) > 0.9


def test_progress_bar_ends_with_a_fixed_line(capsys):
    task = SequenceTask("copy", n_symbols=3, max_length=3)
    model = make_model("baseline", task, emb_dim=4, enc_hidden=4, dec_hidden=4)
    train(model, task, steps=20, batch_size=4, progress=True, label="tiny")
    out = capsys.readouterr().out
    last_line = out.split("\n")[-2]
    assert last_line.split("\r")[-1].startswith("tiny: ") and last_line.endswith(
        "20/20 steps, done"
    )
    assert "loss" not in last_line.split("\r")[-1]


def test_progress_bar_writes_to_the_given_stream():
    stream = io.StringIO()
    bar = ProgressBar(10, "x", every=5, stream=stream)
    for step in range(1, 11):
        bar.update(step, 1.0)
    bar.close()
    assert stream.getvalue().count("loss 1.000") == 2


def test_evaluate_by_length_reports_and_validates():
    task = SequenceTask("copy", n_symbols=4, max_length=6)
    model = make_model("baseline", task)
    report = evaluate_by_length(model, task, [2, 4], n_per_length=20)
    assert report.lengths.tolist() == [2, 4]
    assert np.all((0 <= report.token_accuracy) & (report.token_accuracy <= 1))
    assert np.all(report.sequence_accuracy <= report.token_accuracy + 1e-12)
    assert "per-token" in report.table()
    with pytest.raises(KeyError, match="not evaluated"):
        report.at(3)
    with pytest.raises(ValueError, match="lengths"):
        evaluate_by_length(model, task, [], n_per_length=2)
    with pytest.raises(TypeError, match="Seq2Seq"):
        evaluate_by_length(object(), task, [2])
    with pytest.raises(ValueError, match="steps"):
        train(model, task, steps=0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"steps": 2.5}, "steps"),
        ({"lr": float("inf")}, "lr"),
        ({"lr": -0.1}, "lr"),
        ({"lr": "0.02"}, "lr"),
        ({"clip": -1}, "clip"),
        ({"clip": float("nan")}, "clip"),
        ({"batch_size": 0}, "batch_size"),
        ({"task": "reverse"}, "SequenceTask"),
        ({"model": None}, "Seq2Seq"),
    ],
)
def test_bad_training_settings_get_a_clear_message(kwargs, message):
    task = SequenceTask("copy", n_symbols=3, max_length=3)
    args = {
        "model": make_model("baseline", task, emb_dim=4, enc_hidden=4, dec_hidden=4),
        "task": task,
        "steps": 2,
        "progress": False,
        **kwargs,
    }
    with pytest.raises((TypeError, ValueError), match=message):
        train(**args)


@pytest.mark.parametrize(
    "lengths, message", [("2 4", "list"), ([2, 0], "length"), ([2.5], "length"), (7, "list")]
)
def test_bad_lengths_get_a_clear_message(lengths, message):
    task = SequenceTask("copy", n_symbols=3, max_length=3)
    model = make_model("baseline", task, emb_dim=4, enc_hidden=4, dec_hidden=4)
    with pytest.raises((TypeError, ValueError), match=message):
        evaluate_by_length(model, task, lengths, n_per_length=2)


def test_evaluation_does_not_touch_the_training_stream():
    task = SequenceTask("copy", n_symbols=4, max_length=6, seed=1)
    model = make_model("baseline", task)
    evaluate_by_length(model, task, [3], n_per_length=5)
    assert torch.equal(task.batch(2, 3)[0], SequenceTask("copy", 4, 1, 6, seed=1).batch(2, 3)[0])


def test_longest_good_length():
    report = LengthReport(np.array([2, 4, 6, 8]), np.array([1.0, 0.95, 0.7, 0.92]), np.zeros(4))
    assert report.longest_good_length(0.9) == 4
    assert report.longest_good_length(0.99) == 2
    assert LengthReport(np.array([2]), np.array([0.1]), np.zeros(1)).longest_good_length() == 0


# ------------------------------------------------------------------ fuzz: every bad input is named
def test_fuzz_training_and_evaluation():
    from fuzz import assert_all_kind, fuzz, public_callables

    from course_utils import training

    assert public_callables(training) == [
        "LengthReport",
        "ProgressBar",
        "evaluate_by_length",
        "train",
    ]
    task = SequenceTask("reverse", n_symbols=4, max_length=5, seed=0)
    sizes = {"emb_dim": 4, "enc_hidden": 4, "dec_hidden": 8}
    model = make_model("baseline", task, seed=0, **sizes)
    assert_all_kind(
        fuzz(
            train,
            {
                "model": model,
                "task": task,
                "steps": 2,
                "batch_size": 4,
                "lr": 0.02,
                "clip": 1.0,
                "progress": False,
            },
            # a large clip means "do not clip": legitimate; so is showing the progress bar
            allowed=[("clip", "2.5"), ("clip", "1e308"), ("clip", "as numpy float32")]
            + [("progress", v) for v in ("True", "False")],
            timeout=20.0,
        ),
        fuzz(
            evaluate_by_length,
            {"model": model, "task": task, "lengths": [2, 3], "n_per_length": 4, "seed": 1},
            allowed=[("seed", "0"), ("seed", "huge")],
            timeout=20.0,
        ),
    )
