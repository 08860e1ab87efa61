"""Read a notebook's own code, so tests can hold it equal to the package (the drift test).

``definitions(path)`` executes the notebook's setup imports and every code cell that only
defines things (imports, ``def`` and ``class`` statements only, nothing else at top level),
and returns the resulting namespace. A test then builds the notebook's class and the package's
class with the same weights and asserts they give the same outputs.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
_DEFINING = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)


def notebook_path(number: str) -> Path:
    """The notebook whose name starts with ``number`` (e.g. "06")."""
    (path,) = NOTEBOOKS.glob(f"{number}_*.ipynb")
    return path


def code_cells(path: Path) -> list[str]:
    """The source of every code cell, IPython magics (``%pip``, ``!cmd``) removed."""
    cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    return [re.sub(r"(?m)^(\s*)[%!].*$", r"\1pass", s) for s in sources]


def _only_defines(tree: ast.Module) -> bool:
    """True when every top-level statement is an import, a ``def``, a ``class`` or a bare string."""
    for node in tree.body:
        if isinstance(node, _DEFINING):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # a docstring or a bare string
        return False
    return True


def definitions(path: Path | str) -> dict:
    """Run the setup cell's imports and every defining cell of ``path``; return their namespace."""
    path = notebook_path(path) if isinstance(path, str) and len(path) == 2 else Path(path)
    namespace: dict = {"__name__": f"notebook_{Path(path).stem}"}
    for k, source in enumerate(code_cells(path)):
        tree = ast.parse(source)
        if k == 0:  # the setup cell: keep its imports, skip the seeding and the Colab branch
            tree.body = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        elif not _only_defines(tree):
            continue
        exec(compile(tree, f"{Path(path).name}[cell {k}]", "exec"), namespace)  # noqa: S102
    return namespace
