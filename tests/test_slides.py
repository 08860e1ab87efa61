"""Slides are slides: each has at most about 40 words of prose beside its figure or code, the
rest of the notebook's text is in speaker notes, and the notebook reads as before."""

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import slides  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
LONG = " ".join(f"Sentence number {k} says a little more about the idea." for k in range(12))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_slide_is_within_its_word_budget(path):
    found = slides.over_budget(nbformat.read(path, as_version=4))
    assert not found, f"{path.name}: {found[:3]}; run `python tools/slides.py {path.name}`"


def test_words_are_counted_as_a_reader_reads_them():
    assert slides.count_words("The **softmax** of $QK^T/\\sqrt{d_k}$ [here](https://x.y/z).") == 5
    assert slides.count_words(slides.visible_text(md("## A heading\n\ntwo words"))) == 2
    cell = md("<details><summary>Solution</summary>\n\n" + LONG + "\n</details>")
    assert slides.count_words(slides.visible_text(cell)) == 1


def test_long_prose_moves_to_speaker_notes_and_the_text_is_kept_whole():
    nb = nbformat.v4.new_notebook()
    nb.cells = [md("# T"), code("import sys"), md("## 1. Section\n\n" + LONG), code("x = 1")]
    before = " ".join(c.source for c in nb.cells if c.cell_type == "markdown").split()
    slides.add_slide_types(nb)
    assert slides.fit_to_budget(nb) == 1
    kinds = [slides.slide_type(c) for c in nb.cells]
    assert kinds == ["slide", "skip", "slide", "notes", "-"]
    assert nb.cells[2].source.startswith("## 1. Section\n\nSentence number 0")
    assert "speaker-notes" in nb.cells[3].metadata["tags"]
    after = " ".join(c.source for c in nb.cells if c.cell_type == "markdown").split()
    assert after == before  # same words in the same order: the notebook reads as before
    assert slides.over_budget(nb) == []
    assert slides.fit_to_budget(nb) == 0  # settled: running it again changes nothing


def test_a_second_code_cell_starts_a_new_slide_and_a_pinned_type_is_kept():
    nb = nbformat.v4.new_notebook()
    nb.cells = [md("# T"), code("import sys"), md("## 1"), code("a = 1"), code("b = 2"), code("c")]
    nb.cells[5].metadata = {"tags": ["keep-slide-type"], "slideshow": {"slide_type": "-"}}
    slides.add_slide_types(nb, reset=True)
    assert [slides.slide_type(c) for c in nb.cells] == [
        "slide",
        "skip",
        "slide",
        "-",
        "subslide",
        "-",
    ]
