"""Every public helper of notebook 08 (bert, corpus, the fill-mask widget) answers bad input with
a clear ValueError/TypeError that names the argument, or a documented result (tests/fuzz.py)."""

from __future__ import annotations

import pytest
import torch
from fuzz import assert_all_kind, fuzz

from course_utils import bert, corpus
from course_utils.widgets import bert as widget

# A list of short strings, or a numpy array of them, is a list of (short) sentences.
SENTENCE_LISTS = [("sentences", "list of str"), ("sentences", "np str array")]
# Any whole number ≥ 0 is a seed (0 and very large ones too).
SEEDS = [("seed", "0"), ("seed", "huge"), ("seed", "10**400")]
SENTENCES = ["the cook slices the pear", "the driver parks the car", "a fox is a kind of animal"]


def _setup():
    torch.manual_seed(0)
    tok = bert.Tokenizer(SENTENCES)
    model = bert.TinyBert(len(tok), d_model=16, n_heads=2, n_layers=1, d_ff=32)
    clf = bert.BertClassifier(
        bert.TinyBert(len(tok), d_model=16, n_heads=2, n_layers=1, d_ff=32), 2
    )
    ids, pad = tok.batch(SENTENCES)
    return tok, model, clf, ids, pad


def targets():
    tok, model, clf, ids, pad = _setup()
    pairs = [(SENTENCES[0], 0), (SENTENCES[1], 1)]
    mlm = {"model": model, "tok": tok}
    blank = "the cook slices the [MASK]"
    sizes = {
        "vocab_size": 20,
        "d_model": 16,
        "n_heads": 2,
        "n_layers": 1,
        "d_ff": 32,
        "max_len": 16,
        "dropout": 0.0,
    }
    masking = {"ids": ids, "mask_id": 3, "vocab_size": len(tok), "n_special": 5, "p": 0.15}
    training = {"steps": 2, "batch_size": 2, "lr": 1e-3, "seed": 0}
    only = [*SENTENCE_LISTS, ("only", "None"), ("only", "np str array"), ("only", "list of str")]
    # (name, function, valid arguments, documented results: (argument, bad value) pairs)
    return [
        ("Tokenizer", bert.Tokenizer, {"sentences": SENTENCES}, SENTENCE_LISTS),
        ("encode", tok.encode, {"sentence": "the fox hides"}, ["sentence"]),  # any str
        ("batch", tok.batch, {"sentences": SENTENCES}, SENTENCE_LISTS),
        ("decode", tok.decode, {"ids": [1, 5, 2]}, [("ids", "0"), ("ids", "0.0")]),  # one id
        (
            "mask_tokens",
            bert.mask_tokens,
            masking,
            [
                ("ids", "0"),
                ("ids", "0.0"),
                ("ids", "one axis fewer"),
                ("ids", "np int (2, 3)"),
                ("ids", "torch long (2, 3)"),
                ("mask_id", "0"),
            ],
        ),  # other valid ids; [PAD] as mask
        ("TinyBert", bert.TinyBert, sizes, ["dropout"]),  # dropout 0 is valid
        (
            "TinyBert.forward",
            model,
            {"ids": ids, "key_padding_mask": pad},
            [("key_padding_mask", "None")],
        ),
        (
            "mlm_logits",
            model.mlm_logits,
            {"ids": ids, "key_padding_mask": pad},
            [("key_padding_mask", "None")],
        ),
        (
            "BertClassifier",
            bert.BertClassifier,
            {"bert": model, "n_classes": 2, "dropout": 0.1},
            ["dropout"],
        ),
        (
            "pretrain",
            bert.pretrain,
            {**mlm, "sentences": SENTENCES, **training},
            [*SENTENCE_LISTS, *SEEDS],
        ),
        (
            "train_classifier",
            bert.train_classifier,
            {
                "clf": clf,
                "tok": tok,
                "pairs": pairs,
                "epochs": 1,
                "batch_size": 2,
                "lr": 1e-3,
                "seed": 0,
            },
            SEEDS,
        ),
        ("fill_mask", bert.fill_mask, {**mlm, "sentence": blank, "k": 3}, []),
        (
            "masked_guesses",
            bert.masked_guesses,
            {**mlm, "sentences": SENTENCES, "only": None},
            only,
        ),
        (
            "masked_token_accuracy",
            bert.masked_token_accuracy,
            {**mlm, "sentences": SENTENCES, "baseline_word": "the"},
            [*SENTENCE_LISTS, "baseline_word"],
        ),  # any word may be the baseline's guess
        (
            "most_frequent_word",
            bert.most_frequent_word,
            {"sentences": SENTENCES, "only": None},
            only,
        ),
        (
            "classifier_accuracy",
            bert.classifier_accuracy,
            {"clf": clf, "tok": tok, "pairs": pairs},
            [],
        ),
        ("topic_of", corpus.topic_of, {"noun": "fox"}, []),
        ("word_classes", corpus.word_classes, {"word": "fox"}, []),
        ("grammar_fill", corpus.grammar_fill, {"sentence": blank}, []),
        ("blank_posteriors", corpus.blank_posteriors, {"sentences": SENTENCES}, []),
        ("generate_corpus", corpus.generate_corpus, {"n_sentences": 5, "seed": 0}, SEEDS),
        ("generate_topic_task", corpus.generate_topic_task, {"n_sentences": 5, "seed": 1}, SEEDS),
        ("load_corpus", corpus.load_corpus, {"held_out": 0.1}, []),
        ("load_topic_task", corpus.load_topic_task, {"n_train": 4, "n_test": 4, "seed": 0}, SEEDS),
        ("fill_figure", widget.fill_figure, {**mlm, "sentence": blank, "k": 3}, []),
        (
            "make_fill_mask",
            widget.make_fill_mask,
            {**mlm, "sentence": blank, "k": 3},
            ["sentence"],
        ),  # the box itself says what to change in the sentence
    ]


@pytest.mark.parametrize("name, fn, kwargs, allowed", targets(), ids=[t[0] for t in targets()])
def test_bad_input_gets_a_clear_message(name, fn, kwargs, allowed):
    report = fuzz(fn, kwargs, allowed=allowed, name=name)
    assert_all_kind(report)
