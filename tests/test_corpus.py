"""The shipped corpus is what its generator writes.

It has the grammar's structure, and loads cleanly.
"""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

from course_utils import corpus
from course_utils.corpus import (
    NOUNS,
    PEOPLE,
    TOPICS,
    blank_posteriors,
    generate_corpus,
    generate_topic_task,
    grammar_fill,
    load_corpus,
    load_topic_task,
    topic_of,
    word_classes,
)

BARE_VERBS = {bare for verbs in (*corpus.VERBS.values(), corpus.GENERIC_VERBS) for _, bare in verbs}
DATA = Path(corpus.__file__).parent / "data"


def test_shipped_files_are_reproduced_by_the_generator(tmp_path):
    corpus.write_data(tmp_path)
    for name in ("corpus.txt", "topics.tsv"):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name


def test_data_is_small_and_documented():
    assert sum(p.stat().st_size for p in DATA.iterdir()) < 2_000_000
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert "python -m course_utils.corpus" in readme and "licen" in readme.lower()


def test_generator_is_seeded():
    assert generate_corpus(50, seed=3) == generate_corpus(50, seed=3)
    assert generate_corpus(50, seed=3) != generate_corpus(50, seed=4)
    with pytest.raises(ValueError, match="whole number ≥ 1"):
        generate_corpus(0)


def test_grammar_has_agreement_and_co_occurrence():
    sentences = generate_corpus(3000)
    for s in sentences:
        words = s.split()
        for a, nxt in zip(words, words[1:], strict=False):
            if a in ("a", "an"):
                assert a == ("an" if nxt[0] in "aeiou" else "a"), s
        if "not" in words:
            i = words.index("not")
            assert words[i - 1] == "does" and words[i + 1] in BARE_VERBS, s
        if words[-4:-1] == ["a", "kind", "of"]:
            assert topic_of(words[1]) == words[-1], s
    # a topic's verb is followed by nouns of that topic only
    for s in sentences:
        words = s.split()
        if "slices" in words:
            assert topic_of(words[-1]) == "food", s


def test_vocabulary_is_balanced():
    counts = collections.Counter(w for s in generate_corpus(5000) for w in s.split())
    for topic in TOPICS:
        assert counts[topic] > 50 and all(counts[n] > 10 for n in NOUNS[topic])
    assert counts["the"] == max(counts.values())


def test_load_corpus_holds_out_unseen_sentences():
    train, held = load_corpus()
    assert len(train) > 10_000 and len(held) > 300
    assert not set(held) & set(train)
    with pytest.raises(ValueError, match="must lie in"):
        load_corpus(held_out=1.5)


def test_topic_task_labels_follow_the_noun():
    pairs = generate_topic_task(200)
    for sentence, topic in pairs:
        assert topic_of(sentence.split()[-1]) == topic
    train, test = load_topic_task(n_train=120, n_test=400, seed=7)
    assert len(train) == 120 and len(test) == 400
    assert {t for _, t in train} == set(TOPICS)
    assert load_topic_task(seed=7) == load_topic_task(seed=7)
    with pytest.raises(ValueError, match="n_train"):
        load_topic_task(n_train=0)


def test_topic_of_explains_unknown_words():
    assert topic_of("fox") == "animal"
    with pytest.raises(ValueError, match="not a noun"):
        topic_of("unicorn")


def test_the_grammar_table_is_the_generator_written_out():
    table = corpus._sentence_table()
    assert abs(sum(table.values()) - 1) < 1e-9
    sentences = generate_corpus(20_000)
    placeholder = [tuple(s.split()) for s in sentences]
    placeholder = [(w[0], corpus._PERSON, *w[2:]) if w[1] in PEOPLE else w for w in placeholder]
    assert all(w in table for w in placeholder)
    # every (length, position, word) is as frequent in the corpus as the table says
    expected, seen = collections.Counter(), collections.Counter()
    for words, p in table.items():
        for j, word in enumerate(words):
            expected[len(words), j, word] += p
    for words in placeholder:
        for j, word in enumerate(words):
            seen[len(words), j, word] += 1 / len(placeholder)
    worst = max(abs(expected[k] - seen[k]) for k in expected.keys() | seen.keys())
    assert worst < 0.012, worst  # sd of a share near 0.5 over 20,000 sentences: 0.0035


def test_grammar_fill_knows_the_right_answers():
    assert grammar_fill("an [MASK] is a kind of food") == pytest.approx(
        {w: 0.2 for w in ("apple", "egg", "olive", "onion", "orange")}
    )
    verbs = grammar_fill("the pilot [MASK] the fast jeep")
    assert set(list(verbs)[:4]) == {"drives", "parks", "steers", "fuels"}
    assert verbs["drives"] == pytest.approx(0.2) and verbs["likes"] == pytest.approx(0.04)
    assert grammar_fill("the [MASK] slices the pear") == pytest.approx({p: 1 / 8 for p in PEOPLE})
    assert grammar_fill("[MASK] cook slices the pear") == {"the": 1.0}
    assert set(grammar_fill("the [MASK] hides")) == set(NOUNS["animal"])
    assert list(grammar_fill("the farmer does not [MASK] the pear"))[:4] == [
        "cook",
        "eat",
        "slice",
        "taste",
    ]
    with pytest.raises(ValueError, match="exactly one"):
        grammar_fill("the fox hides")
    with pytest.raises(ValueError, match="no word"):
        grammar_fill("the pilot [MASK] the fox is")


def test_blank_posteriors_give_a_ceiling_no_guesser_beats():
    train, held = load_corpus()
    post = blank_posteriors(held[:200])
    assert len(post) == sum(len(s.split()) for s in held[:200])
    assert all(abs(sum(d.values()) - 1) < 1e-9 and hidden in d for hidden, d in post)
    ceiling = sum(max(d.values()) for _, d in post) / len(post)
    always_the = sum(hidden == "the" for hidden, _ in post) / len(post)
    assert always_the < ceiling < 0.6  # many blanks have several equally right answers
    with pytest.raises(ValueError, match="not a sentence"):
        blank_posteriors(["the fox slices the pear"])


def test_word_classes():
    assert word_classes("the") == {"article"} and word_classes("fox") == {"noun"}
    assert word_classes("cook") == {"person", "verb"} and word_classes("ripe") == {"adjective"}
    assert word_classes("food") == {"topic"} and word_classes("not") == {"function word"}
    vocab = {w for s in generate_corpus(2000) for w in s.split()}
    assert all(word_classes(w) for w in vocab)
    with pytest.raises(ValueError, match="not a word"):
        word_classes("unicorn")
