"""Tests of course_utils.bahdanau: the additive score in numpy and the alignment analysis."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_utils.bahdanau import (
    additive_attention,
    additive_scores,
    alignment_examples,
    alignment_offsets,
)
from course_utils.seq2seq import AdditiveAttention, make_model
from course_utils.toy_tasks import SequenceTask, expected_alignment


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
    with pytest.raises(ValueError, match="s must have 1 dimension"):
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


def test_alignment_offsets_of_a_perfect_and_a_shifted_alignment():
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


def test_alignment_examples_shapes_and_sums():
    task = SequenceTask("reverse", n_symbols=5, max_length=6, seed=0)
    model = make_model("attention", task, seed=0, emb_dim=4, enc_hidden=4, dec_hidden=8, attn_dim=4)
    examples = alignment_examples(model, task, length=5, n_examples=3)
    assert examples["src"].shape == examples["pred"].shape == (3, 5)
    np.testing.assert_allclose(examples["weights"].sum(-1), 1, rtol=1e-5)
    with pytest.raises(ValueError, match="no attention"):
        alignment_examples(make_model("baseline", task), task, 4)
    with pytest.raises((TypeError, ValueError), match="length"):
        alignment_examples(model, task, 0)


def test_additive_scores_accept_lists_and_torch_and_reject_strings():
    s, H, W_a, U_a, v_a = _random_score_inputs()
    ref = additive_scores(s, H, W_a, U_a, v_a)
    np.testing.assert_allclose(additive_scores(list(s), H.tolist(), W_a, U_a, v_a), ref)
    np.testing.assert_allclose(
        additive_scores(torch.tensor(s).float(), H, W_a, U_a, v_a), ref, rtol=1e-6
    )
    with pytest.raises(TypeError, match="s must be an array"):
        additive_scores("s", H, W_a, U_a, v_a)
    with pytest.raises(ValueError, match="NaN"):
        additive_scores(s * np.nan, H, W_a, U_a, v_a)


# ------------------------------------------------------------------ fuzz: every bad input is named
def test_fuzz_the_numpy_attention_and_the_alignment_analysis():
    from fuzz import assert_all_kind, fuzz, public_callables

    from course_utils import bahdanau

    assert public_callables(bahdanau) == [
        "additive_attention",
        "additive_scores",
        "alignment_examples",
        "alignment_offsets",
    ]
    s, H, W_a, U_a, v_a = _random_score_inputs(S=3, L=4, d_h=5, A=2)
    arrays = {"s": s, "H": H, "W_a": W_a, "U_a": U_a, "v_a": v_a}
    # a random W_a of the valid shape (A, S) = (2, 3), in any real dtype, is a valid W_a
    same_shape = [
        ("W_a", f"{lib} {dtype} (2, 3)")
        for lib, dtypes in (
            ("np", ("float64", "float16", "int")),
            ("torch", ("float32", "float16", "bfloat16", "long")),
        )
        for dtype in dtypes
    ]
    task = SequenceTask("reverse", n_symbols=4, max_length=5, seed=0)
    model = make_model("attention", task, seed=0, emb_dim=4, enc_hidden=4, dec_hidden=8, attn_dim=4)
    examples = alignment_examples(model, task, 4, 2, 0)
    assert_all_kind(
        fuzz(additive_scores, arrays, allowed=same_shape),
        fuzz(additive_attention, arrays, allowed=same_shape),
        fuzz(alignment_offsets, {"weights": examples["weights"], "task_name": "reverse"}),
        fuzz(
            alignment_examples,
            {"model": model, "task": task, "length": 4, "n_examples": 2, "seed": 0},
            allowed=[("seed", "0"), ("seed", "huge")],
        ),
    )
