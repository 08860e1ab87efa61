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
import random
from importlib import resources
from pathlib import Path

__all__ = [
    "TOPICS",
    "NOUNS",
    "generate_corpus",
    "generate_topic_task",
    "load_corpus",
    "load_topic_task",
    "topic_of",
]

TOPICS = ("animal", "food", "tool", "vehicle")

PEOPLE = ("farmer", "cook", "child", "teacher", "doctor", "baker", "driver", "pilot")

NOUNS = {
    "animal": ("dog", "cat", "horse", "fox", "cow", "sheep", "rabbit", "goat", "mouse", "owl",
               "eagle", "pig", "duck", "bear", "wolf", "deer", "hen", "lamb", "donkey", "otter",
               "badger", "camel", "tiger", "zebra"),
    "food": ("bread", "soup", "apple", "cheese", "cake", "rice", "pear", "egg", "onion", "carrot",
             "pie", "plum", "bean", "orange", "cookie", "pasta", "salad", "lemon", "melon", "peach",
             "potato", "muffin", "olive", "noodle"),
    "tool": ("hammer", "saw", "drill", "spade", "wrench", "axe", "chisel", "rake", "shovel",
             "ladder", "brush", "needle", "anvil", "ruler", "pliers", "file", "mallet", "trowel",
             "scraper", "sickle", "clamp", "level", "awl", "hoe"),
    "vehicle": ("car", "bus", "truck", "bike", "train", "boat", "tractor", "van", "tram", "taxi",
                "yacht", "scooter", "jeep", "ambulance", "airplane", "ferry", "canoe", "sled",
                "wagon", "lorry", "coach", "rocket", "glider", "barge"),
}

# (third person singular, bare form): each topic's verbs take only that topic's nouns.
VERBS = {
    "animal": (("feeds", "feed"), ("pets", "pet"), ("chases", "chase"), ("tames", "tame")),
    "food": (("eats", "eat"), ("cooks", "cook"), ("tastes", "taste"), ("slices", "slice")),
    "tool": (("uses", "use"), ("sharpens", "sharpen"), ("swings", "swing"), ("grips", "grip")),
    "vehicle": (("drives", "drive"), ("parks", "park"), ("steers", "steer"), ("fuels", "fuel")),
}
GENERIC_VERBS = (("sees", "see"), ("likes", "like"), ("wants", "want"), ("buys", "buy"),
                 ("finds", "find"))

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


def topic_of(noun: str) -> str:
    """The topic ("animal", "food", "tool" or "vehicle") of a noun of the corpus."""
    if noun not in _TOPIC_OF:
        raise ValueError(f"{noun!r} is not a noun of the corpus; nouns are e.g. {', '.join(NOUNS['animal'][:4])}")
    return _TOPIC_OF[noun]


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


def generate_corpus(n_sentences: int = 20_000, seed: int = 0) -> list[str]:
    """``n_sentences`` sentences of the grammar, the same list for the same seed."""
    if n_sentences < 1:
        raise ValueError(f"n_sentences must be positive, got {n_sentences}")
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
    rng = random.Random(seed)
    return [(_topic_sentence(rng, topic), topic) for topic in (rng.choice(TOPICS) for _ in range(n_sentences))]


def _data_file(name: str) -> str:
    """The text of a file shipped in ``course_utils/data``."""
    return resources.files("course_utils").joinpath("data", name).read_text(encoding="utf-8")


def load_corpus(held_out: float = 0.1) -> tuple[list[str], list[str]]:
    """The shipped corpus as ``(train, held_out)`` sentence lists; held-out sentences never occur in train."""
    if not 0 < held_out < 1:
        raise ValueError(f"held_out is a fraction between 0 and 1, got {held_out}")
    sentences = _data_file("corpus.txt").split("\n")
    sentences = [s for s in sentences if s]
    cut = int(len(sentences) * (1 - held_out))
    train, rest = sentences[:cut], sentences[cut:]
    seen = set(train)
    return train, [s for s in rest if s not in seen]


def load_topic_task(n_train: int = 160, n_test: int = 400, seed: int = 0
                    ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """A small labelled set and a test set of ``(sentence, topic)`` pairs, drawn with ``seed``."""
    rows = [line.split("\t") for line in _data_file("topics.tsv").split("\n")[1:] if line]
    pairs = [(s, t) for s, t in rows]
    if n_train < 1 or n_test < 1 or n_train + n_test > len(pairs):
        raise ValueError(f"need 1 ≤ n_train, 1 ≤ n_test and n_train + n_test ≤ {len(pairs)}; "
                         f"got n_train={n_train}, n_test={n_test}")
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
