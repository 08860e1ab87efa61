"""Every worked solution passes its own checker, and every exercise has exactly one.

A solution lives in the Markdown cell after its exercise, tagged ``solution``, as a fenced
```python block inside ``<details>``, with metadata ``{"solution": {"checker": "<import path>",
"defines": "<function name>"}}``. Here each block runs in a namespace made of the notebook's
setup-cell imports only (the Colab install and the seeding skipped), and its function goes
through the named checker. nbval never runs these blocks, so it proves that the lesson cells
work without them; this test proves the solutions are right.
"""

from __future__ import annotations

import ast
import importlib
import json
import re
from pathlib import Path

import pytest
from notebook_code import code_cells

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("0*.ipynb"))
FENCE = re.compile(r"```python[ \t]*\n(.*?)```", re.S)


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def _tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def _solutions() -> list:
    params = []
    for path in NOTEBOOKS:
        for k, cell in enumerate(_cells(path)):
            if "solution" in _tags(cell) or "solution" in cell.get("metadata", {}):
                meta = cell.get("metadata", {}).get("solution", {})
                label = f"{path.name[:2]}-cell{k}-{meta.get('defines', '?')}"
                params.append(pytest.param(path, k, id=label))
    return params


def _stubs() -> list:
    params = []
    for path in NOTEBOOKS:
        for k, cell in enumerate(_cells(path)):
            source = _source(cell)
            if (
                cell["cell_type"] == "code"
                and "raise NotImplementedError" in source
                and "# YOUR CODE HERE" in source
            ):
                params.append(pytest.param(path, k, id=f"{path.name[:2]}-cell{k}"))
    return params


def _setup_namespace(path: Path) -> dict:
    """The imports of the notebook's first code cell (its setup cell), nothing else."""
    tree = ast.parse(code_cells(path)[0])
    tree.body = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    namespace: dict = {"__name__": f"solution_{path.stem}"}
    exec(compile(tree, f"{path.name}[setup imports]", "exec"), namespace)  # noqa: S102
    return namespace


def _defined_functions(source: str) -> list[str]:
    cleaned = re.sub(r"(?m)^([ \t]*)[%!].*$", r"\1pass", source)  # magics as in notebook_code
    return [n.name for n in ast.parse(cleaned).body if isinstance(n, ast.FunctionDef)]


SOLUTIONS = _solutions()
STUBS = _stubs()


def test_solutions_are_found():
    assert SOLUTIONS, "no Markdown cell is tagged 'solution' yet"


@pytest.mark.parametrize("path, index", SOLUTIONS)
def test_solution_passes_its_checker(path, index):
    cell = _cells(path)[index]
    assert cell["cell_type"] == "markdown", "a solution cell must be Markdown (inside <details>)"
    assert "solution" in _tags(cell), "tag the cell 'solution'"
    meta = cell.get("metadata", {}).get("solution")
    assert isinstance(meta, dict) and {"checker", "defines"} <= set(meta), (
        'metadata needs "solution": {"checker": "course_utils.checks.<topic>.check_x", '
        '"defines": "my_x"}'
    )
    text = _source(cell)
    assert "<details>" in text and "</details>" in text, "wrap the solution in <details>"
    blocks = FENCE.findall(text)
    assert len(blocks) == 1, f"expected one ```python block, found {len(blocks)}"
    module_name, _, checker_name = meta["checker"].rpartition(".")
    check = getattr(importlib.import_module(module_name), checker_name)
    namespace = _setup_namespace(path)
    exec(compile(blocks[0], f"{path.name}[cell {index} solution]", "exec"), namespace)  # noqa: S102
    assert meta["defines"] in namespace, f"the block does not define {meta['defines']}"
    feedback = check(namespace[meta["defines"]])
    assert feedback.passed, f"{meta['checker']} rejects the solution: {feedback.message}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_no_visible_solution_functions_remain(path):
    leftovers = [
        f"cell {k}: def {name}"
        for k, cell in enumerate(_cells(path))
        if cell["cell_type"] == "code"
        for name in _defined_functions(_source(cell))
        if name.startswith("solution_")
    ]
    assert not leftovers, f"move these into a tagged solution cell: {leftovers}"


@pytest.mark.parametrize("path, index", STUBS)
def test_every_exercise_stub_has_a_solution_after_it(path, index):
    cells = _cells(path)
    wanted = set(_defined_functions(_source(cells[index])))
    later_stubs = [k for _, k in (p.values for p in STUBS) if _ == path and k > index]
    end = min(later_stubs, default=len(cells))
    found = [
        cells[k].get("metadata", {}).get("solution", {}).get("defines")
        for k in range(index + 1, end)
        if "solution" in _tags(cells[k])
    ]
    assert wanted & set(found), (
        f"the exercise defining {sorted(wanted)} has no solution cell before the next "
        f"exercise (solution cells found there define {found})"
    )


@pytest.mark.parametrize("path, index", SOLUTIONS)
def test_solution_sits_right_after_its_checker_cell(path, index):
    cells = _cells(path)
    checker = cells[index].get("metadata", {}).get("solution", {}).get("checker", "")
    previous = cells[index - 1] if index else {}
    assert previous.get("cell_type") == "code", "the solution follows the cell that runs the check"
    assert f"{checker.rpartition('.')[2]}(" in _source(previous), (
        f"the cell before the solution does not call {checker.rpartition('.')[2]}"
    )
