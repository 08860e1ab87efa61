"""Give every notebook cell a slide type, so each notebook presents well as slides.

Usage:
    python tools/slides.py [NOTEBOOK ...]           # default: every notebooks/0N_*.ipynb
    python tools/slides.py --check [NOTEBOOK ...]   # change nothing; exit 1 if a cell lacks one

The slide type lives in the cell metadata ``slideshow.slide_type``, read by jupyterlab-slideshow
(live, widgets keep working) and by ``nbconvert --to slides`` (``make slides``). A cell that
already has one keeps it, so a teacher's choice always wins and running this again changes
nothing. Defaults, first match wins:

- the title cell, and markdown starting with ``## ``          -> slide
- markdown starting with ``### ``                             -> subslide
- the setup cell (first code cell), and empty cells           -> skip
- markdown starting with "Teacher notes" (bold or quoted too) -> notes
- markdown holding a ``<details>`` block (solutions, answers) -> fragment
- markdown right after a code cell (the next step of a story) -> subslide
- anything else                                               -> "-" (stays on the slide)
Only metadata changes; sources and stored outputs are left alone.
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


def default_type(cell: dict, index: int, first_code: int, previous: dict | None) -> str:
    """The slide type a cell gets when it has none (the rules in this module's docstring)."""
    text = cell["source"].strip()
    if index == 0 or (cell["cell_type"] == "markdown" and text.startswith("## ")):
        return "slide"
    if cell["cell_type"] == "markdown" and text.startswith("### "):
        return "subslide"
    if index == first_code or not text:
        return "skip"
    if cell["cell_type"] != "markdown":
        return "-"
    if NOTES_RE.match(text):
        return "notes"
    if "<details" in text:
        return "fragment"
    if previous is not None and previous["cell_type"] == "code":
        return "subslide"
    return "-"


def slide_type(cell: dict) -> str | None:
    """The slide type stored in a cell's metadata, or None."""
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type")


def add_slide_types(nb: nbformat.NotebookNode) -> int:
    """Set the default slide type on every cell that has none; return how many were set."""
    cells = nb.cells
    first_code = next((i for i, c in enumerate(cells) if c.cell_type == "code"), -1)
    changed = 0
    for i, cell in enumerate(cells):
        if slide_type(cell) is not None:
            continue
        previous = cells[i - 1] if i > 0 else None
        cell.metadata.setdefault("slideshow", {})["slide_type"] = default_type(
            cell, i, first_code, previous
        )
        changed += 1
    return changed


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--check", action="store_true", help="report cells without a slide type")
    args = parser.parse_args()
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    failed = False
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if args.check:
            found = problems(nb)
            if found:
                print(
                    f"{path.name}: {len(found)} cell(s) to fix, first: {found[0]}; "
                    f"run `python tools/slides.py {path}`"
                )
                failed = True
        elif add_slide_types(nb):
            nbformat.write(nb, path)
            print(f"updated {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
