"""Give every notebook cell a slide type, so each notebook presents well as slides.

Usage:
    python tools/slides.py [NOTEBOOK ...]           # default: every notebooks/0N_*.ipynb
    python tools/slides.py --reset [NOTEBOOK ...]   # recompute every type
                                                    # (pinned cells keep theirs)
    python tools/slides.py --check [NOTEBOOK ...]   # change nothing; exit 1 if a cell lacks one
                                                    # or a slide is over its word budget

The slide type lives in the cell metadata ``slideshow.slide_type``, read by jupyterlab-slideshow
(live, widgets keep working) and by ``nbconvert --to slides`` (``make slides``). A cell that
already has one keeps it, so a teacher's choice always wins and running this again changes
nothing. Defaults, first match wins:

- the title cell, and markdown starting with ``## ``          -> slide
- markdown starting with ``### ``                             -> subslide
- the setup cell (first code cell), and empty cells           -> skip
- markdown starting with "Teacher notes" (bold or quoted too) -> notes
- markdown that is a ``<details>`` block (solutions, answers) -> fragment
- markdown tagged ``speaker-notes``                           -> notes
- markdown right after a code cell (the next step of a story) -> subslide
- a code cell when its slide already shows one                -> subslide
- anything else                                               -> "-" (stays on the slide)

Slides are slides, not pages: each one shows at most ``WORD_BUDGET`` words of prose beside
its one figure or code cell. Where a slide's Markdown runs over, the rest of the text moves
into a Markdown cell tagged ``speaker-notes`` right after it (slide type ``notes``): the
notebook reads exactly as before, and the deck shows the text in the speaker view (press S).
Stored outputs are never touched.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
TYPES = ("slide", "subslide", "fragment", "skip", "notes", "-")
NOTES_RE = re.compile(r"^(>\s*)?(\*\*|__)?\s*Teacher notes", re.I)
WORD_BUDGET = 40
NOTES_TAG, PIN_TAG = "speaker-notes", "keep-slide-type"
FRAME_STARTS = ("slide", "subslide")
HIDDEN = ("skip", "notes")


def default_type(
    cell: dict, index: int, first_code: int, previous: dict | None, frame_has_code: bool = False
) -> str:
    """The slide type a cell gets when it has none (the rules in this module's docstring)."""
    text = cell["source"].strip()
    if index == 0 or (cell["cell_type"] == "markdown" and text.startswith("## ")):
        return "slide"
    if cell["cell_type"] == "markdown" and text.startswith("### "):
        return "subslide"
    if index == first_code or not text:
        return "skip"
    if cell["cell_type"] != "markdown":
        return "subslide" if frame_has_code else "-"
    if NOTES_RE.match(text) or NOTES_TAG in cell.get("metadata", {}).get("tags", []):
        return "notes"
    if text.startswith("<details"):
        return "fragment"
    if previous is not None and previous["cell_type"] == "code":
        return "subslide"
    return "-"


def slide_type(cell: dict) -> str | None:
    """The slide type stored in a cell's metadata, or None."""
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type")


def add_slide_types(nb: nbformat.NotebookNode, reset: bool = False) -> int:
    """Set the default slide type on every cell that has none (``reset``: on every cell that is
    not tagged ``keep-slide-type``); return how many changed."""
    cells = nb.cells
    first_code = next((i for i, c in enumerate(cells) if c.cell_type == "code"), -1)
    changed, frame_has_code = 0, False
    for i, cell in enumerate(cells):
        kind = slide_type(cell)
        if kind is None or (reset and PIN_TAG not in cell.metadata.get("tags", [])):
            previous = cells[i - 1] if i > 0 else None
            new = default_type(cell, i, first_code, previous, frame_has_code)
            if new != kind:
                cell.metadata.setdefault("slideshow", {})["slide_type"] = new
                changed += 1
            kind = new
        if kind in FRAME_STARTS:
            frame_has_code = False
        if cell.cell_type == "code" and kind not in HIDDEN:
            frame_has_code = True
    return changed


def visible_text(cell: dict) -> str:
    """The prose a slide shows of a Markdown cell: no heading, only the summary of a details."""
    text = re.sub(
        r"<details>.*?<summary>(.*?)</summary>.*?</details>", r"\1", cell["source"], flags=re.S
    )
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def count_words(text: str) -> int:
    """Words a reader reads: a formula or a link counts once, markup not at all."""
    text = re.sub(r"\$\$.*?\$\$|\$[^$]+\$", " formula ", text, flags=re.S)
    text = re.sub(r"\]\([^)]*\)", "]", text)  # link targets
    text = re.sub(r"<[^>]+>", " ", text)  # html tags
    return len(re.findall(r"[\w’'-]*\w", text))


def frames(nb: nbformat.NotebookNode) -> list[list[int]]:
    """The indices of the visible cells of each slide, in order."""
    found: list[list[int]] = []
    for i, cell in enumerate(nb.cells):
        kind = slide_type(cell)
        if kind in HIDDEN:
            continue
        if kind in FRAME_STARTS or not found:
            found.append([])
        found[-1].append(i)
    return found


def _blocks(text: str) -> list[str]:
    """Markdown split into paragraphs; a plain paragraph further into its sentences."""
    out = []
    for block in re.split(r"\n\s*\n", text.strip()):
        plain = not re.match(r"\s*([-*>|#]|\d+\.|\$\$|```|<)", block)
        out += re.split(r"(?<=[.!?])\s+(?=[A-Z])", block) if plain else [block]
    return out


def fit_to_budget(nb: nbformat.NotebookNode, budget: int = WORD_BUDGET) -> int:
    """Move the prose that does not fit on its slide into speaker notes; return cells split."""
    total = 0
    while split := _fit_once(nb, budget):
        total += split
    return total


def _fit_once(nb: nbformat.NotebookNode, budget: int) -> int:
    """One pass of ``fit_to_budget``: the first over-full cell of each slide, from the end."""
    split = 0
    for frame in reversed(frames(nb)):  # from the end, so inserting keeps earlier indices
        used = 0
        for i in frame:
            cell = nb.cells[i]
            if cell.cell_type != "markdown" or slide_type(cell) == "fragment":
                continue
            words = count_words(visible_text(cell))
            if used + words <= budget:
                used += words
                continue
            if cell.source.startswith("#"):
                heading, _, body = cell.source.partition("\n")
            else:
                heading, body = "", cell.source
            keep, rest, taken = [], [], used
            for block in _blocks(body):
                n = count_words(block)
                if not rest and taken + n <= budget:
                    keep.append(block)
                    taken += n
                else:
                    rest.append(block)
            if not rest:
                continue
            if keep or heading:
                shown = "\n\n".join(keep)
                cell.source = "\n\n".join(part for part in (heading, shown) if part)
                notes = nbformat.v4.new_markdown_cell(
                    "\n\n".join(rest),
                    metadata={"tags": [NOTES_TAG], "slideshow": {"slide_type": "notes"}},
                )
                nb.cells.insert(i + 1, notes)
            else:  # nothing of it fits: the whole cell is speaker notes
                kind = slide_type(cell)
                cell.metadata.setdefault("tags", []).append(NOTES_TAG)
                cell.metadata["slideshow"]["slide_type"] = "notes"
                later = [j for j in frame if j > i]
                if kind in FRAME_STARTS and later:  # the slide now starts at its next cell
                    nb.cells[later[0]].metadata["slideshow"]["slide_type"] = kind
            split += 1
            break  # the next pass sees this slide anew
    return split


def over_budget(nb: nbformat.NotebookNode, budget: int = WORD_BUDGET) -> list[str]:
    """Slides whose visible prose is over ``budget`` words (with ~10 % slack), as messages."""
    found = []
    for frame in frames(nb):
        words = sum(
            count_words(visible_text(nb.cells[i]))
            for i in frame
            if nb.cells[i].cell_type == "markdown"
        )
        if words > budget * 1.1:
            first = nb.cells[frame[0]].source.strip().splitlines()
            found.append(
                f"slide at cell {frame[0]} ({first[0][:40] if first else ''!r}) has {words} words"
            )
    return found


def problems(nb: nbformat.NotebookNode) -> list[str]:
    """Cells whose slide type is missing or not one reveal.js knows."""
    found = []
    for i, cell in enumerate(nb.cells):
        kind = slide_type(cell)
        if kind is None:
            found.append(f"cell {i} has no slide type")
        elif kind not in TYPES:
            found.append(f"cell {i} has slide type {kind!r}; use one of {', '.join(TYPES)}")
    return found


def _settle(nb: nbformat.NotebookNode, reset: bool) -> int:
    """Slide types, then the word budget; a second round settles what the split moved."""
    return add_slide_types(nb, reset=reset) + fit_to_budget(nb)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--check", action="store_true", help="report what is missing or too long")
    parser.add_argument("--reset", action="store_true", help="recompute every unpinned type")
    args = parser.parse_args()
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    failed = False
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if args.check:
            found = problems(nb) + over_budget(nb)
            if found:
                print(
                    f"{path.name}: {len(found)} cell(s) to fix, first: {found[0]}; "
                    f"run `python tools/slides.py {path}`"
                )
                failed = True
        elif sum(_settle(nb, args.reset) for _ in range(3)):
            nbformat.write(nb, path)
            print(f"updated {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
