"""The tokenizer, BERT's 15 % / 80-10-10 masking (statistically), the tiny BERT and its helpers."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from course_utils.bert import (
    IGNORE,
    BertClassifier,
    TinyBert,
    Tokenizer,
    classifier_accuracy,
    fill_mask,
    load_pretrained,
    mask_tokens,
    masked_guesses,
    masked_token_accuracy,
    most_frequent_word,
    pretrain,
    train_classifier,
)
from course_utils.corpus import load_corpus

SENTENCES = ["the cook slices the pear", "the fox hides", "an owl is a kind of animal"]


def test_tokenizer_round_trip_and_padding():
    tok = Tokenizer(SENTENCES)
    assert tok.vocab[:5] == ["[PAD]", "[CLS]", "[SEP]", "[MASK]", "[UNK]"]
    ids = tok.encode("the fox hides")
    assert tok.decode(ids) == ["[CLS]", "the", "fox", "hides", "[SEP]"]
    assert tok.decode(tok.encode("the unicorn hides"))[2] == "[UNK]"
    batch, pad = tok.batch(["the fox hides", "the cook slices the pear"])
    assert batch.shape == (2, 7) and pad.dtype == torch.bool
    assert pad[0].tolist() == [True] * 5 + [False] * 2 and (batch[0, 5:] == tok.pad_id).all()
    with pytest.raises(TypeError, match="list of strings"):
        tok.batch("the fox hides")
    with pytest.raises(TypeError, match="letter by letter"):
        Tokenizer("the fox hides")  # once built a vocabulary of letters


def test_masking_follows_the_15_and_80_10_10_rule():
    vocab, n_special, mask_id = 200, 5, 3
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(n_special, vocab, (500, 40), generator=gen)
    ids[:, 0], ids[:, -1], ids[:, -5:-1] = 1, 2, 0  # [CLS] … [PAD] [SEP]
    inputs, labels = mask_tokens(ids, mask_id, vocab, n_special, generator=gen)
    ordinary = ids >= n_special
    chosen = labels != IGNORE
    n_chosen = int(chosen.sum())  # about 0.15 * 500 * 34 = 2550
    assert not (chosen & ~ordinary).any(), "special tokens must never be chosen"
    assert (labels[chosen] == ids[chosen]).all() and (inputs[~chosen] == ids[~chosen]).all()
    rate = chosen[ordinary].float().mean().item()
    assert abs(rate - 0.15) < 0.01  # sd ≈ 0.0027
    to_mask = (inputs[chosen] == mask_id).float().mean().item()
    kept = (inputs[chosen] == ids[chosen]).float().mean().item()
    replaced = 1 - to_mask - kept
    assert abs(to_mask - 0.8) < 0.03 and abs(replaced - 0.1) < 0.025 and abs(kept - 0.1) < 0.025, (
        n_chosen,
        to_mask,
        replaced,
        kept,
    )
    assert (inputs[chosen] >= n_special).logical_or(inputs[chosen] == mask_id).all()


def test_masking_validates_input():
    ids = torch.zeros(2, 3, dtype=torch.long)
    with pytest.raises(TypeError, match="whole-number token ids"):
        mask_tokens(torch.zeros(2, 3) + 0.5, 3, 10, 5)
    with pytest.raises(ValueError, match="rate"):
        mask_tokens(ids, 3, 10, 5, p=1.5)
    with pytest.raises(ValueError, match="p=0 chooses no token"):
        mask_tokens(ids, 3, 10, 5, p=0)
    with pytest.raises(ValueError, match="not a special id"):
        mask_tokens(ids, 7, 10, 5)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        mask_tokens(ids + 12, 3, 10, 5)
    inputs, labels = mask_tokens([[1, 6, 7, 2]], 3, 10, 5)  # a list of ids is read kindly
    assert inputs.dtype == torch.long and labels.shape == (1, 4)


def test_tiny_bert_shapes_attention_and_classifier():
    torch.manual_seed(0)
    tok = Tokenizer(SENTENCES)
    model = TinyBert(len(tok), d_model=16, n_heads=2, n_layers=2, d_ff=32)
    ids, pad = tok.batch(SENTENCES)
    assert model(ids, pad).shape == (3, ids.shape[1], 16)
    assert model.mlm_logits(ids, pad).shape == (3, ids.shape[1], len(tok))
    maps = model.attention_maps()
    assert maps.shape == (2, 3, 2, ids.shape[1], ids.shape[1])
    assert torch.allclose(maps.sum(-1), torch.ones(maps.shape[:-1]))
    assert (maps[:, 1, :, :, 5:] == 0).all(), "padding must get no attention"
    clf = BertClassifier(model, 4)
    assert clf(ids, pad).shape == (3, 4)
    with pytest.raises(ValueError, match="divisible"):
        TinyBert(10, d_model=10, n_heads=3)
    with pytest.raises(ValueError, match="max_len"):
        model(torch.ones(1, 40, dtype=torch.long))
    with pytest.raises(ValueError, match="outside the vocabulary"):
        model(torch.full((1, 4), 99))
    with pytest.raises(RuntimeError, match="no attention maps yet"):
        TinyBert(len(tok), d_model=16, n_heads=2).attention_maps()
    with pytest.raises(TypeError, match="TinyBert"):
        BertClassifier("bert", 4)


def test_pretraining_learns_and_fill_mask_answers():
    torch.manual_seed(0)
    sentences = ["the cook slices the pear", "the driver parks the car"] * 50
    tok = Tokenizer(sentences)
    model = TinyBert(len(tok), d_model=16, n_heads=2, n_layers=1, d_ff=32, dropout=0.0)
    losses = pretrain(model, tok, sentences, steps=60, batch_size=16, lr=1e-2, seed=0)
    assert sum(losses[-10:]) / 10 < sum(losses[:10]) / 10 / 2
    top = fill_mask(model, tok, "the driver parks the [MASK]", k=3)
    assert len(top) == 3 and top[0][0] == "car" and 0 < top[0][1] <= 1
    assert top[0][1] >= top[1][1] >= top[2][1]
    acc, base = masked_token_accuracy(model, tok, sentences[:4], most_frequent_word(sentences))
    assert 0 <= base < acc <= 1
    hidden, guesses = masked_guesses(model, tok, sentences[:2])
    assert hidden == "the cook slices the pear the driver parks the car".split()
    assert len(guesses) == 10 and guesses[9] == "car"  # "the driver parks the [MASK]"
    assert (
        acc
        == sum(h == g for h, g in zip(*masked_guesses(model, tok, sentences[:4]), strict=True)) / 20
    )
    for bad, match in (
        ("the driver parks the car", "exactly one"),
        ("the [MASK] drives the unicorn", "unknown word"),
        ("[MASK] [MASK]", "exactly one"),
    ):
        with pytest.raises(ValueError, match=match):
            fill_mask(model, tok, bad)
    with pytest.raises(ValueError, match="k must"):
        fill_mask(model, tok, "the [MASK] parks the car", k=0)
    with pytest.raises(TypeError, match="one sentence"):
        fill_mask(model, tok, ["the [MASK] parks the car"])
    for bad, match in ((float("inf"), "finite"), (-1e-3, "> 0"), ("0.01", "string")):
        with pytest.raises((TypeError, ValueError), match=match):
            pretrain(model, tok, sentences, steps=2, lr=bad)
    with pytest.raises(ValueError, match="steps must be"):
        pretrain(model, tok, sentences, steps=0)
    with pytest.raises(TypeError, match="list of strings"):
        pretrain(model, tok, "the cook slices the pear", steps=2)
    with pytest.raises(TypeError, match="after_step must be a function"):
        pretrain(model, tok, sentences, steps=2, after_step=[])


def test_classifier_training_fits_a_small_set():
    torch.manual_seed(0)
    pairs = [("the cook slices the pear", 0), ("the driver parks the car", 1)] * 8
    tok = Tokenizer([s for s, _ in pairs])
    clf = BertClassifier(TinyBert(len(tok), d_model=16, n_heads=2, n_layers=1, d_ff=32), 2)
    train_classifier(clf, tok, pairs, epochs=15, batch_size=8, lr=1e-2, seed=0)
    assert classifier_accuracy(clf, tok, pairs) == 1.0
    with pytest.raises(ValueError, match="2 classes"):
        train_classifier(clf, tok, [("the cook slices the pear", 2)], epochs=1)
    with pytest.raises(TypeError, match="TOPICS.index"):
        classifier_accuracy(clf, tok, [("the cook slices the pear", "food")])
    with pytest.raises(ValueError, match="epochs must be"):
        train_classifier(clf, tok, pairs, epochs=-1)


def test_accuracy_and_baseline_can_be_restricted_to_some_words():
    sentences = ["the cook slices the pear", "the fox hides", "the fox runs"]
    assert most_frequent_word(sentences) == "the"
    assert most_frequent_word(sentences, only={"fox", "pear"}) == "fox"
    with pytest.raises(TypeError, match="letter by letter"):
        most_frequent_word("the fox hides")  # once answered 'e'
    with pytest.raises(ValueError, match="only"):
        most_frequent_word(sentences, only={"unicorn"})
    tok = Tokenizer(sentences)
    model = TinyBert(len(tok), d_model=16, n_heads=2, n_layers=1, d_ff=32)
    acc, base = masked_token_accuracy(model, tok, sentences, "fox", only={"fox"})
    assert base == 1.0 and 0 <= acc <= 1
    with pytest.raises(ValueError, match="nothing to mask"):
        masked_token_accuracy(model, tok, sentences, "fox", only={"unicorn"})


def test_shipped_checkpoint_loads_safely_and_knows_topics():
    model = load_pretrained()
    assert isinstance(model, TinyBert) and not model.training
    tok = Tokenizer(load_corpus()[0])
    assert fill_mask(model, tok, "a fox is a kind of [MASK]", 1)[0][0] == "animal"
    assert fill_mask(model, tok, "an onion is a kind of [MASK]", 1)[0][0] == "food"


def test_notebook_tiny_bert_and_loop_equal_the_package():
    """The drift test: notebook 08's TinyBert and pretrain, run with the package's weights and
    seed, give the package's scores and losses."""
    import notebook_code

    from course_utils import bert

    nb = notebook_code.definitions("08")
    tok = Tokenizer(SENTENCES * 4)
    torch.manual_seed(0)
    ours = nb["TinyBert"](len(tok), d_model=16, n_heads=2, n_layers=2, d_ff=32)
    theirs = bert.TinyBert(len(tok), d_model=16, n_heads=2, n_layers=2, d_ff=32)
    theirs.load_state_dict(ours.state_dict())  # same parameter names, same shapes
    ids, pad = tok.batch(SENTENCES)
    assert torch.equal(ours.mlm_logits(ids, pad), theirs.mlm_logits(ids, pad))
    torch.manual_seed(1)
    fresh = nb["TinyBert"](len(tok), d_model=16, n_heads=2, n_layers=1, d_ff=32)
    torch.manual_seed(1)
    same = bert.TinyBert(len(tok), d_model=16, n_heads=2, n_layers=1, d_ff=32)
    assert all(
        torch.equal(a, b)
        for a, b in zip(fresh.state_dict().values(), same.state_dict().values(), strict=True)
    )
    nb_losses = nb["pretrain"](fresh, tok, SENTENCES * 4, steps=8, batch_size=4, lr=1e-2, seed=3)
    pkg_losses = bert.pretrain(same, tok, SENTENCES * 4, steps=8, batch_size=4, lr=1e-2, seed=3)
    assert nb_losses == pkg_losses
    assert torch.equal(fresh.mlm_logits(ids, pad), same.mlm_logits(ids, pad))


def test_checkpoint_recipe_quick_check_passes():
    """tools/make_bert_checkpoint.py --quick-check: the recipe's first 100 steps are unchanged."""
    import subprocess
    import sys

    tool = Path(__file__).resolve().parents[1] / "tools" / "make_bert_checkpoint.py"
    out = subprocess.run(
        [sys.executable, str(tool), "--quick-check"], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0 and "same recipe" in out.stdout, out.stdout + out.stderr
