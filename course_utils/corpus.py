"""A small English corpus with real structure, written by the course: a seeded grammar.

Nouns fall into four topics (animal, food, tool, vehicle). Verbs and adjectives choose
nouns of their topic ("the cook slices the ripe pear"), articles agree with the next word
("a pear", "an onion"), "does not" takes the bare verb ("does not slice"), and some
sentences state a noun's topic ("an owl is a kind of animal"). A model that fills blanks
in this text has to learn which words belong together.

The corpus ships as ``course_utils/data/corpus.txt`` (one sentence a line) and a labelled
topic task as ``course_utils/data/topics.tsv``; both are written by ``python -m
course_utils.corpus`` (see ``course_utils/data/README.md``). Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import functools
import random
from collections import defaultdict
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path

from course_utils import _validate as v

__all__ = [
    "TOPICS",
    "NOUNS",
    "PEOPLE",
    "blank_posteriors",
    "generate_corpus",
    "grammar_fill",
    "generate_topic_task",
    "load_corpus",
    "load_topic_task",
    "topic_of",
    "word_classes",
]

TOPICS = ("animal", "food", "tool", "vehicle")

PEOPLE = ("farmer", "cook", "child", "teacher", "doctor", "baker", "driver", "pilot")

NOUNS = {
    "animal": (
        "dog",
        "cat",
        "horse",
        "fox",
        "cow",
        "sheep",
        "rabbit",
        "goat",
        "mouse",
        "owl",
        "eagle",
        "pig",
        "duck",
        "bear",
        "wolf",
        "deer",
        "hen",
        "lamb",
        "donkey",
        "otter",
        "badger",
        "camel",
        "tiger",
        "zebra",
    ),
    "food": (
        "bread",
        "soup",
        "apple",
        "cheese",
        "cake",
        "rice",
        "pear",
        "egg",
        "onion",
        "carrot",
        "pie",
        "plum",
        "bean",
        "orange",
        "cookie",
        "pasta",
        "salad",
        "lemon",
        "melon",
        "peach",
        "potato",
        "muffin",
        "olive",
        "noodle",
    ),
    "tool": (
        "hammer",
        "saw",
        "drill",
        "spade",
        "wrench",
        "axe",
        "chisel",
        "rake",
        "shovel",
        "ladder",
        "brush",
        "needle",
        "anvil",
        "ruler",
        "pliers",
        "file",
        "mallet",
        "trowel",
        "scraper",
        "sickle",
        "clamp",
        "level",
        "awl",
        "hoe",
    ),
    "vehicle": (
        "car",
        "bus",
        "truck",
        "bike",
        "train",
        "boat",
        "tractor",
        "van",
        "tram",
        "taxi",
        "yacht",
        "scooter",
        "jeep",
        "ambulance",
        "airplane",
        "ferry",
        "canoe",
        "sled",
        "wagon",
        "lorry",
        "coach",
        "rocket",
        "glider",
        "barge",
    ),
}

# (third person singular, bare form): each topic's verbs take only that topic's nouns.
VERBS = {
    "animal": (("feeds", "feed"), ("pets", "pet"), ("chases", "chase"), ("tames", "tame")),
    "food": (("eats", "eat"), ("cooks", "cook"), ("tastes", "taste"), ("slices", "slice")),
    "tool": (("uses", "use"), ("sharpens", "sharpen"), ("swings", "swing"), ("grips", "grip")),
    "vehicle": (("drives", "drive"), ("parks", "park"), ("steers", "steer"), ("fuels", "fuel")),
}
GENERIC_VERBS = (
    ("sees", "see"),
    ("likes", "like"),
    ("wants", "want"),
    ("buys", "buy"),
    ("finds", "find"),
)

ADJECTIVES = {
    "animal": ("hungry", "sleepy", "wild", "furry"),
    "food": ("fresh", "ripe", "tasty", "warm"),
    "tool": ("sharp", "heavy", "rusty", "sturdy"),
    "vehicle": ("fast", "loud", "shiny", "electric"),
}
GENERIC_ADJECTIVES = ("big", "small", "old", "new")

# What a noun of each topic does on its own ("the sleepy fox hides").
INTRANSITIVE = {
    "animal": ("sleeps", "runs", "hides"),
    "food": ("cools", "spoils", "bakes"),
    "tool": ("rusts", "breaks", "clatters"),
    "vehicle": ("stops", "honks", "speeds"),
}

_TOPIC_OF = {noun: topic for topic, nouns in NOUNS.items() for noun in nouns}
_VERB_FORMS = {
    form for verbs in (*VERBS.values(), GENERIC_VERBS) for pair in verbs for form in pair
}
_VERB_FORMS |= {verb for verbs in INTRANSITIVE.values() for verb in verbs}
_ADJECTIVE_SET = {a for adjectives in ADJECTIVES.values() for a in adjectives} | set(
    GENERIC_ADJECTIVES
)


def topic_of(noun: str) -> str:
    """The topic ("animal", "food", "tool" or "vehicle") of a noun of the corpus."""
    noun = v.corpus_word(noun, "noun")
    if noun not in _TOPIC_OF:
        raise ValueError(
            f"{noun!r} is not a noun of the corpus; nouns are e.g. {', '.join(NOUNS['animal'][:4])}"
        )
    return _TOPIC_OF[noun]


def word_classes(word: str) -> frozenset[str]:
    """The word classes of a word of the corpus: "article", "person", "noun", "verb",
    "adjective", "topic" or "function word" ("cook" is both a person and a verb)."""
    word = v.corpus_word(word, "word")
    classes = set()
    if word in ("the", "a", "an"):
        classes.add("article")
    if word in PEOPLE:
        classes.add("person")
    if word in _TOPIC_OF:
        classes.add("noun")
    if word in _VERB_FORMS:
        classes.add("verb")
    if word in _ADJECTIVE_SET:
        classes.add("adjective")
    if word in TOPICS:
        classes.add("topic")
    if word in ("is", "kind", "of", "does", "not", "and"):
        classes.add("function word")
    if not classes:
        raise ValueError(f"{word!r} is not a word of the corpus")
    return frozenset(classes)


def _article(word: str) -> str:
    """'a' or 'an', agreeing with the sound of the next word."""
    return "an" if word[0] in "aeiou" else "a"


def _noun_phrase(rng: random.Random, topic: str, noun: str, definite: bool = True) -> list[str]:
    """'the fox', 'the wild fox', 'a sleepy fox' (adjective of the topic or a generic one)."""
    words = [noun]
    r = rng.random()
    if r < 0.35:
        words.insert(0, rng.choice(ADJECTIVES[topic]))
    elif r < 0.5:
        words.insert(0, rng.choice(GENERIC_ADJECTIVES))
    return ["the" if definite else _article(words[0]), *words]


def _objects(rng: random.Random, topic: str, noun: str) -> list[str]:
    """'the ripe pear', or a pair of the same topic: 'the pear and the plum'."""
    if rng.random() < 0.3:
        other = rng.choice([n for n in NOUNS[topic] if n != noun])
        return ["the", noun, "and", "the", other]
    return _noun_phrase(rng, topic, noun)


def _sentence(rng: random.Random) -> str:
    """One sentence of the grammar."""
    topic = rng.choice(TOPICS)
    noun = rng.choice(NOUNS[topic])
    person = rng.choice(PEOPLE)
    kind = rng.random()
    if kind < 0.45:  # the cook slices the ripe pear
        verb = rng.choice(VERBS[topic])[0] if rng.random() < 0.8 else rng.choice(GENERIC_VERBS)[0]
        words = ["the", person, verb, *_objects(rng, topic, noun)]
    elif kind < 0.6:  # the cook does not slice the pear
        verb = rng.choice(VERBS[topic])[1] if rng.random() < 0.8 else rng.choice(GENERIC_VERBS)[1]
        words = ["the", person, "does", "not", verb, *_objects(rng, topic, noun)]
    elif kind < 0.85:  # the sleepy fox hides
        words = [*_noun_phrase(rng, topic, noun), rng.choice(INTRANSITIVE[topic])]
    else:  # an owl is a kind of animal
        words = [_article(noun), noun, "is", "a", "kind", "of", topic]
    return " ".join(words)


# The probabilities of _sentence and its helpers, written out: every sentence the grammar can
# write, with its probability. The person ("the cook …") is drawn uniformly and nothing else
# depends on it, so the table holds a placeholder there and stays 8× smaller.
_PERSON = "<person>"


def _noun_phrases(topic: str, noun: str) -> Iterator[tuple[float, tuple[str, ...]]]:
    """_noun_phrase's outcomes with their probabilities (definite)."""
    yield 0.5, ("the", noun)
    for adjective in ADJECTIVES[topic]:
        yield 0.35 / len(ADJECTIVES[topic]), ("the", adjective, noun)
    for adjective in GENERIC_ADJECTIVES:
        yield 0.15 / len(GENERIC_ADJECTIVES), ("the", adjective, noun)


@functools.lru_cache(maxsize=1)
def _sentence_table() -> dict[tuple[str, ...], float]:
    """Every sentence of the grammar (person as a placeholder) with its probability."""
    table: dict[tuple[str, ...], float] = defaultdict(float)
    for topic in TOPICS:
        nouns = NOUNS[topic]
        verbs = [(0.8 / len(VERBS[topic]), v) for v in VERBS[topic]]
        verbs += [(0.2 / len(GENERIC_VERBS), v) for v in GENERIC_VERBS]
        for noun in nouns:
            p_noun = 1 / len(TOPICS) / len(nouns)
            objects = [
                (0.3 / (len(nouns) - 1), ("the", noun, "and", "the", other))
                for other in nouns
                if other != noun
            ]
            objects += [(0.7 * p, phrase) for p, phrase in _noun_phrases(topic, noun)]
            for p_verb, (third, bare) in verbs:
                for p_obj, phrase in objects:
                    p = p_noun * p_verb * p_obj
                    table[("the", _PERSON, third, *phrase)] += 0.45 * p
                    table[("the", _PERSON, "does", "not", bare, *phrase)] += 0.15 * p
            for p_np, phrase in _noun_phrases(topic, noun):
                for verb in INTRANSITIVE[topic]:
                    table[(*phrase, verb)] += p_noun * 0.25 * p_np / len(INTRANSITIVE[topic])
            table[(_article(noun), noun, "is", "a", "kind", "of", topic)] += p_noun * 0.15
    return dict(table)


@functools.lru_cache(maxsize=1)
def _candidates() -> dict[tuple[int, int], tuple[str, ...]]:
    """For each (sentence length, position): the words the grammar ever puts there."""
    out: dict[tuple[int, int], set[str]] = defaultdict(set)
    for sentence in _sentence_table():
        for j, word in enumerate(sentence):
            out[len(sentence), j].add(word)
    return {key: tuple(sorted(words)) for key, words in out.items()}  # sorted: same order every run


def _posterior(words: Sequence[str], j: int) -> dict[str, float]:
    """The grammar's probability of each word at position ``j``, given the other words."""
    words = list(words)
    if j != 1 and len(words) > 1 and words[1] in PEOPLE:  # a person word only ever stands there
        words[1] = _PERSON
    table = _sentence_table()
    scores: dict[str, float] = defaultdict(float)
    for word in _candidates()[len(words), j]:
        p = table.get((*words[:j], word, *words[j + 1 :]), 0.0)
        if p > 0 and word == _PERSON:  # the placeholder stands for eight equally likely people
            for person in PEOPLE:
                scores[person] += p / len(PEOPLE)
        elif p > 0:
            scores[word] += p
    total = sum(scores.values())
    if total == 0:
        raise ValueError(f"no word of the grammar fits the blank in {' '.join(words)!r}")
    return {
        word: p / total for word, p in sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    }


def grammar_fill(sentence: str) -> dict[str, float]:
    """The grammar's exact probability of each word that can fill the one [MASK] of ``sentence``
    (most likely first): what a perfect guesser would answer."""
    words = sentence.split() if isinstance(sentence, str) else []
    if words.count("[MASK]") != 1:
        raise ValueError(
            "write a sentence with exactly one [MASK], e.g. 'the cook eats the [MASK]'"
        )
    return _posterior(words, words.index("[MASK]"))


def blank_posteriors(sentences: Sequence[str]) -> list[tuple[str, dict[str, float]]]:
    """Mask every word of every sentence in turn; for each blank, the hidden word and the
    grammar's exact probability of each word that could fill it, given all the other words.

    This is what a perfect guesser knows: no model can expect to do better on these blanks.
    """
    table = _sentence_table()
    out = []
    for sentence in v.strings(sentences, "sentences"):
        words = sentence.split()
        key = [words[0], _PERSON, *words[2:]] if len(words) > 1 and words[1] in PEOPLE else words
        if tuple(key) not in table:
            raise ValueError(
                f"sentences holds {sentence!r}, which is not a sentence of the corpus's grammar "
                "(a whole sentence, e.g. 'the fox hides')"
            )
        for j, hidden in enumerate(words):
            out.append((hidden, _posterior(words, j)))
    return out


def generate_corpus(n_sentences: int = 20_000, seed: int = 0) -> list[str]:
    """``n_sentences`` sentences of the grammar, the same list for the same seed."""
    n_sentences, seed = v.bert_count(n_sentences, "n_sentences"), v.non_negative_int(seed, "seed")
    rng = random.Random(seed)
    return [_sentence(rng) for _ in range(n_sentences)]


def _topic_sentence(rng: random.Random, topic: str) -> str:
    """A sentence whose topic shows only in its noun: everyday verb, generic or no adjective."""
    noun = rng.choice(NOUNS[topic])
    words = [noun]
    if rng.random() < 0.5:
        words.insert(0, rng.choice(GENERIC_ADJECTIVES))
    verb = rng.choice(GENERIC_VERBS)[0]
    return " ".join(["the", rng.choice(PEOPLE), verb, "the", *words])


def generate_topic_task(n_sentences: int = 2_000, seed: int = 1) -> list[tuple[str, str]]:
    """``(sentence, topic)`` pairs: which of the four topics is the sentence about?"""
    n_sentences, seed = v.bert_count(n_sentences, "n_sentences"), v.non_negative_int(seed, "seed")
    rng = random.Random(seed)
    return [
        (_topic_sentence(rng, topic), topic)
        for topic in (rng.choice(TOPICS) for _ in range(n_sentences))
    ]


def _data_file(name: str) -> str:
    """The text of a file shipped in ``course_utils/data``."""
    return resources.files("course_utils").joinpath("data", name).read_text(encoding="utf-8")


def load_corpus(held_out: float = 0.1) -> tuple[list[str], list[str]]:
    """The shipped corpus as ``(train, held_out)`` sentence lists.

    Held-out sentences never occur in train.
    """
    v.require(
        v.fraction(held_out, "held_out") > 0,
        "held_out=0 keeps no sentence to test on: pass e.g. held_out=0.1",
    )
    sentences = _data_file("corpus.txt").split("\n")
    sentences = [s for s in sentences if s]
    cut = int(len(sentences) * (1 - held_out))
    train, rest = sentences[:cut], sentences[cut:]
    seen = set(train)
    return train, [s for s in rest if s not in seen]


def load_topic_task(
    n_train: int = 160, n_test: int = 400, seed: int = 0
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """A small labelled set and a test set of ``(sentence, topic)`` pairs, drawn with ``seed``."""
    rows = [line.split("\t") for line in _data_file("topics.tsv").split("\n")[1:] if line]
    pairs = [(s, t) for s, t in rows]
    n_train, n_test = v.bert_count(n_train, "n_train"), v.bert_count(n_test, "n_test")
    seed = v.non_negative_int(seed, "seed")
    if n_train + n_test > len(pairs):
        raise ValueError(
            f"need 1 ≤ n_train, 1 ≤ n_test and n_train + n_test ≤ {len(pairs)}; "
            f"got n_train={n_train}, n_test={n_test}"
        )
    rng = random.Random(seed)
    order = rng.sample(range(len(pairs)), n_train + n_test)
    return [pairs[i] for i in order[:n_train]], [pairs[i] for i in order[n_train:]]


def write_data(folder: Path) -> None:
    """Write ``corpus.txt`` and ``topics.tsv`` into ``folder`` (what ships with the course)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "corpus.txt").write_text("\n".join(generate_corpus()) + "\n", encoding="utf-8")
    lines = ["sentence\ttopic"] + [f"{s}\t{t}" for s, t in generate_topic_task()]
    (folder / "topics.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    """Command line: regenerate the shipped data files."""
    parser = argparse.ArgumentParser(description="Write the course's corpus and topic task.")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data")
    args = parser.parse_args()
    write_data(args.out)
    print(f"wrote {args.out / 'corpus.txt'} and {args.out / 'topics.tsv'}")


if __name__ == "__main__":
    main()
