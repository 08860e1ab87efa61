"""Tests of course_utils.seq2seq: additive attention, the two encoder–decoders, training, evaluation."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch

from course_utils.seq2seq import (
    AdditiveAttention,
    LengthReport,
    ProgressBar,
    additive_attention,
    additive_scores,
    count_parameters,
    evaluate_by_length,
    make_model,
    train,
)
from course_utils.toy_tasks import SequenceTask


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny models train much faster on one thread (and the notebooks use one)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _random_score_inputs(seed=0, S=4, L=5, d_h=6, A=3):
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=S),
        rng.normal(size=(L, d_h)),
        rng.normal(size=(A, S)),
        rng.normal(size=(A, d_h)),
        rng.normal(size=A),
    )


def test_additive_scores_match_the_formula_row_by_row():
    s, H, W_a, U_a, v_a = _random_score_inputs()
    e = additive_scores(s, H, W_a, U_a, v_a)
    expected = [v_a @ np.tanh(W_a @ s + U_a @ h) for h in H]
    np.testing.assert_allclose(e, expected)
    context, weights = additive_attention(s, H, W_a, U_a, v_a)
    assert weights.shape == (5,) and np.isclose(weights.sum(), 1) and np.all(weights > 0)
    np.testing.assert_allclose(context, weights @ H)


def test_additive_scores_reject_mismatched_shapes():
    s, H, W_a, U_a, v_a = _random_score_inputs()
    with pytest.raises(ValueError, match="W_a has 4 columns but s has 3"):
        additive_scores(s[:3], H, W_a, U_a, v_a)
    with pytest.raises(ValueError, match="U_a has 6 columns"):
        additive_scores(s, H[:, :2], W_a, U_a, v_a)
    with pytest.raises(ValueError, match="attention size"):
        additive_scores(s, H, W_a, U_a, v_a[:2])
    with pytest.raises(ValueError, match="expected s"):
        additive_scores(s[None], H, W_a, U_a, v_a)


def test_torch_module_equals_the_numpy_formula():
    s, H, W_a, U_a, v_a = _random_score_inputs()
    att = AdditiveAttention(4, 6, 3).double()
    with torch.no_grad():
        att.W_a.weight.copy_(torch.tensor(W_a))
        att.U_a.weight.copy_(torch.tensor(U_a))
        att.v_a.weight.copy_(torch.tensor(v_a)[None])
    context, weights = att(torch.tensor(s)[None], torch.tensor(H)[None])
    np_context, np_weights = additive_attention(s, H, W_a, U_a, v_a)
    np.testing.assert_allclose(weights[0].detach().numpy(), np_weights, atol=1e-10)
    np.testing.assert_allclose(context[0].detach().numpy(), np_context, atol=1e-10)


def test_models_shapes_and_parameter_counts():
    task = SequenceTask("reverse", n_symbols=10, max_length=8)
    base, att = make_model("baseline", task), make_model("attention", task)
    src, tgt = task.batch(3, 6)
    logits, w = base(src, tgt)
    assert logits.shape == (3, 6, 10) and w is None
    logits, w = att(src, tgt)
    assert logits.shape == (3, 6, 10) and w.shape == (3, 6, 6)
    torch.testing.assert_close(w.sum(-1), torch.ones(3, 6))
    preds, w = att.greedy(src, task.bos)
    assert preds.shape == (3, 6) and w.shape == (3, 6, 6)
    n_base, n_att = count_parameters(base), count_parameters(att)
    assert n_att > n_base and (n_att - n_base) / n_base < 0.2


def test_make_model_is_seeded_and_validates():
    task = SequenceTask()
    a, b = make_model("attention", task, seed=3), make_model("attention", task, seed=3)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q)
    c = make_model("attention", task, seed=4)
    assert not torch.equal(next(a.parameters()), next(c.parameters()))
    with pytest.raises(ValueError, match="kind"):
        make_model("transformer", task)
    with pytest.raises(TypeError, match="SequenceTask"):
        make_model("baseline", "reverse")


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


def test_alignment_offsets_of_a_perfect_and_a_shifted_alignment():
    from course_utils.seq2seq import alignment_offsets
    from course_utils.toy_tasks import expected_alignment

    perfect = expected_alignment("reverse", 5)[None]  # (1, 5, 5)
    offsets, mass, peak = alignment_offsets(perfect, "reverse")
    assert offsets.tolist() == list(range(-4, 5))
    assert mass[offsets == 0] == pytest.approx(1.0) and mass.sum() == pytest.approx(1.0)
    assert np.all(peak == 0)
    shifted = np.zeros((2, 4, 4))
    for i in range(4):
        shifted[:, i, min(3 - i + 1, 3)] = 1.0  # one position to the right of the mirror (clipped)
    offsets, mass, peak = alignment_offsets(torch.tensor(shifted), "reverse")
    assert mass[offsets == 1] == pytest.approx(0.75) and mass[offsets == 0] == pytest.approx(0.25)
    assert peak[0].tolist() == [0, 1, 1, 1]
    with pytest.raises(ValueError, match="shape"):
        alignment_offsets(np.zeros((3, 4)), "reverse")
