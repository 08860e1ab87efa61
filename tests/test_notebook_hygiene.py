"""Every notebook is stored executed, in order, without errors or machine paths, and has
what every notebook of the course has (the course design card's "What every notebook has";
the card, COURSE.md, is kept beside the repository in the team's shared folder, not in it)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from nbval.plugin import get_sanitize_patterns

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
EXPECTED = [
    "01_rnn_bottleneck.ipynb",
    "02_bahdanau_attention.ipynb",
    "03_self_attention.ipynb",
    "04_query_key_value.ipynb",
    "05_scaling_sqrt_dk.ipynb",
    "06_transformer_block.ipynb",
    "07_quadratic_cost.ipynb",
    "08_bert.ipynb",
]
ids = [p.name for p in NOTEBOOKS]


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def markdown(nb: dict) -> str:
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def test_notebooks_are_named_as_the_course_says():
    unexpected = [p.name for p in NOTEBOOKS if p.name not in EXPECTED]
    assert not unexpected, f"notebooks not in the course's list: {unexpected}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_code_cells_executed_in_order(path):
    counts = [
        c.get("execution_count")
        for c in code_cells(load(path))
        if "".join(c["source"]).strip() and "skip-execution" not in tags(c)
    ]
    assert None not in counts, (
        f"{path.name}: a code cell is not executed (nbval would not compare it)"
    )
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: re-run from a fresh kernel ({counts})"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_no_stored_errors_paths_or_svg(path):
    for i, cell in enumerate(code_cells(load(path))):
        for out in cell.get("outputs", []):
            if out["output_type"] == "error":
                assert "raises-exception" in tags(cell), (
                    f"{path.name} code cell {i}: stored {out['ename']}"
                )
            text = json.dumps(out)
            assert not re.search(r"/(root|home|work|tmp|Users)/", text), (
                f"{path.name} code cell {i}: machine path"
            )
            assert "image/svg+xml" not in out.get("data", {}), (
                f"{path.name} code cell {i}: SVG output"
            )
            assert "grad_fn" not in text, f"{path.name} code cell {i}: prints a tensor's grad_fn"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_has_what_every_notebook_has(path):
    nb = load(path)
    md = markdown(nb)
    code = "\n".join("".join(c["source"]) for c in code_cells(nb))
    assert nb["cells"][0]["cell_type"] == "markdown" and "".join(
        nb["cells"][0]["source"]
    ).startswith("# ")
    for heading in (
        "What you will learn",
        "Builds on",
        "Key takeaways",
        "Checkpoint",
        "Further reading",
    ):
        assert re.search(heading, md, re.I), f"{path.name}: no '{heading}'"
    assert re.search(r"exercise", md, re.I) and "<details" in md, (
        f"{path.name}: no exercise with hidden solution"
    )
    assert re.search(r"check_\w+\(", code), f"{path.name}: no checker call"
    assert re.search(r"ipywidgets|interact|make_\w+\(", code), (
        f"{path.name}: no interactive element"
    )
    assert re.search(r"\bassert\b|\bclaim\(|\bdemo\(", code), f"{path.name}: no asserted conclusion"
    first = "".join(code_cells(nb)[0]["source"])
    assert '"google.colab" in sys.modules' in first and "seed_everything(" in first, (
        f"{path.name}: the first code cell must be the Colab bootstrap + imports + seeding"
    )
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_links_to_previous_and_next_notebook(path):
    md = markdown(load(path))
    k = EXPECTED.index(path.name)
    neighbours = EXPECTED[max(k - 1, 0) : k] + EXPECTED[k + 1 : k + 2]
    for name in neighbours:
        assert f"({name})" in md, f"{path.name}: no markdown link to {name}"


def test_sanitize_file_parses_to_every_pair():
    text = (NOTEBOOKS_DIR / "sanitize.cfg").read_text(encoding="utf-8")
    n_regex = len(re.findall(r"^regex:", text, flags=re.M))
    assert n_regex > 0
    assert len(get_sanitize_patterns(text)) == n_regex, (
        "a regex/replace pair in sanitize.cfg is malformed"
    )
