"""Tests of course_utils.seq2seq: the two encoder–decoders, and the drift test that holds
notebooks 01 and 02's decoder step (written in the open) equal to ``Seq2Seq.step``."""

from __future__ import annotations

import pytest
import torch
from notebook_code import definitions

from course_utils.seq2seq import AdditiveAttention, Seq2Seq, count_parameters, make_model
from course_utils.toy_tasks import SequenceTask


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
    with pytest.raises(TypeError, match="no argument 'hidden'; its layer sizes are emb_dim"):
        make_model("baseline", task, hidden=8)
    small = make_model("attention", task, dec_hidden=8)  # the other sizes keep Seq2Seq's defaults
    assert small.cell.hidden_size == 8 and small.encoder.rnn.hidden_size == 32


def test_step_is_the_one_line_that_differs():
    """Without attention the context is the summary at every step; with it, a fresh mix of h_j."""
    task = SequenceTask("reverse", n_symbols=5, max_length=6, seed=0)
    base, att = make_model("baseline", task, seed=1), make_model("attention", task, seed=1)
    src, _ = task.batch(2, 4)
    for model in (base, att):
        annotations, summary, s, projected = model.start(src)
        y = torch.full((2,), task.bos)
        logits, s_new, weights = model.step(y, s, annotations, summary, projected)
        assert logits.shape == (2, 5) and s_new.shape == s.shape
        assert (weights is None) == (model is base)
    assert base.kind == "baseline" and att.kind == "attention"


# ------------------------------------------------------------------ drift: notebooks 01 and 02
@pytest.fixture(scope="module")
def notebook_01():
    return definitions("01")


@pytest.fixture(scope="module")
def notebook_02():
    return definitions("02")


def _models(seed=3):
    task = SequenceTask("reverse", n_symbols=10, max_length=9, seed=seed)
    return task, make_model("baseline", task, seed=seed), make_model("attention", task, seed=seed)


def test_notebook_01_decoder_step_equals_the_package(notebook_01):
    task, base, _ = _models()
    src, _ = task.batch(5, 9)
    with torch.no_grad():
        annotations, summary, s, _ = base.start(src)
        y = torch.randint(0, 10, (5,))
        logits, s_new = notebook_01["decoder_step"](base, y, s, summary)
        ref_logits, ref_s, _ = base.step(y, s, annotations, summary)
        torch.testing.assert_close(logits, ref_logits, rtol=0, atol=0)
        torch.testing.assert_close(s_new, ref_s, rtol=0, atol=0)
        written = notebook_01["greedy_decode"](base, src, task.bos)
    assert torch.equal(written, base.greedy(src, task.bos)[0])


def test_notebook_02_attention_module_equals_the_package(notebook_02):
    ours = notebook_02["AdditiveAttention"](6, 8, 4).double()
    package = AdditiveAttention(6, 8, 4).double()
    package.load_state_dict(ours.state_dict())  # same weights, same parameter names
    gen = torch.Generator().manual_seed(0)
    query = torch.randn(3, 6, generator=gen, dtype=torch.float64)
    annotations = torch.randn(3, 7, 8, generator=gen, dtype=torch.float64)
    for a, b in zip(ours(query, annotations), package(query, annotations), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)
    projected = package.project_keys(annotations)
    torch.testing.assert_close(ours.project_keys(annotations), projected)
    torch.testing.assert_close(
        ours(query, annotations, projected)[0], package(query, annotations)[0]
    )


def test_notebook_02_decoder_step_equals_the_package(notebook_02):
    task, _, att = _models()
    src, _ = task.batch(5, 9)
    with torch.no_grad():
        annotations, summary, s, projected = att.start(src)
        y = torch.randint(0, 10, (5,))
        logits, s_new, weights = notebook_02["attention_decoder_step"](att, y, s, annotations)
        ref_logits, ref_s, ref_w = att.step(y, s, annotations, summary, projected)
        for a, b in ((logits, ref_logits), (s_new, ref_s), (weights, ref_w)):
            torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-6)
        written, looked = notebook_02["greedy_decode_with_attention"](att, src, task.bos)
    ref_written, ref_looked = att.greedy(src, task.bos)
    assert torch.equal(written, ref_written)
    torch.testing.assert_close(looked, ref_looked, rtol=1e-6, atol=1e-6)


def test_package_model_is_built_from_the_notebooks_class(notebook_02):
    """The attention inside Seq2Seq has the notebook class's parameters, name for name."""
    _, _, att = _models()
    ours = notebook_02["AdditiveAttention"](64, 64, 32)
    assert ours.state_dict().keys() == att.attention.state_dict().keys()
    assert isinstance(att, Seq2Seq) and count_parameters(att.attention) == count_parameters(ours)


# ------------------------------------------------------------------ fuzz: every bad input is named
def test_fuzz_the_model_builders():
    from fuzz import assert_all_kind, fuzz

    task = SequenceTask("reverse", n_symbols=4, max_length=5, seed=0)
    sizes = {"emb_dim": 4, "enc_hidden": 4, "dec_hidden": 8, "attn_dim": 4}
    assert_all_kind(
        fuzz(
            make_model,
            {"kind": "attention", "task": task, "seed": 0, **sizes},
            allowed=[("seed", "0"), ("seed", "huge")],
        ),
        # any torch module has a parameter count
        fuzz(
            count_parameters,
            {"model": make_model("baseline", task, **sizes)},
            allowed=["nn.Linear"],
        ),
    )
