"""The teacher's edition: `make student` removes the solutions and nothing else, and the
otter-grader assignment built by `make assignment` grades with the course's own checkers:
the worked solutions score full marks, and one known slip loses exactly its question's point.
The round trip runs `otter assign` and `otter run` locally (no Docker)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import teacher  # noqa: E402

NOTEBOOKS = teacher.notebooks()
otter = pytest.importorskip("otter", reason="pip install -e '.[teacher]' (make test-teacher does)")
# One real learner slip per notebook, written into its first exercise's worked solution.
SLIPS = {
    "rnn_step": ("np.tanh(W_x @ x + W_h @ h + b)", "np.tanh(W_x @ x) + W_h @ h + b"),
    "additive_score": ("np.tanh(W_a @ s + H @ U_a.T)", "(W_a @ s + H @ U_a.T)"),
    "self_attention": ("/ np.sqrt(d_k)", "/ 2"),
    "my_attention": ("/ np.sqrt(d_k)", "/ d_k"),
    "estimate_dot_variance": ("dots.var()", "dots.std()"),
    "my_split_heads": (".transpose(1, 2)", ""),
    "predict_peak": ("np.exp(p * np.log(n_new) + c)", "p * np.log(n_new) + c"),
    "my_mask_tokens": (" & (ids >= n_special)", ""),
}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_edition_removes_the_solutions_and_nothing_else(path):
    nb = nbformat.read(path, as_version=4)
    student = teacher.student_edition(nb)
    kept = [c for c in nb.cells if not teacher.is_solution(c)]
    assert len(student.cells) == len(kept) < len(nb.cells), "no solution cell found to remove"
    assert json.dumps(student.cells) == json.dumps(kept)
    assert student.metadata == nb.metadata
    assert "<summary><b>Solution</b>" not in json.dumps(student.cells)


def _fill(student: Path, solutions: dict[str, str], dest: Path) -> Path:
    """The student notebook with each answer cell replaced by the given code."""
    nb = nbformat.read(student, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "otter_answer_cell" in cell.metadata.get("tags", []):
            name = next(n for n in solutions if f"def {n}(" in cell.source)
            cell.source = solutions[name]
    nbformat.write(nb, dest)
    return dest


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_assignment_grades_with_the_course_checkers(path, tmp_path):
    items = teacher.exercises(nbformat.read(path, as_version=4))
    autograder = teacher.write_assignment(path, tmp_path / "assignment")
    (student,) = (tmp_path / "assignment" / "dist" / "student").glob("*.ipynb")
    solutions = {item["name"]: item["solution"] for item in items}

    full = teacher.grade(autograder, _fill(student, solutions, tmp_path / "full.ipynb"))
    assert full == {name: 1.0 for name in solutions}, "the worked solutions lose points"

    slipped = items[0]["name"]
    before, after = SLIPS[slipped]
    assert before in solutions[slipped], f"update SLIPS: {before!r} is no longer in the solution"
    wrong = {**solutions, slipped: solutions[slipped].replace(before, after)}
    scores = teacher.grade(autograder, _fill(student, wrong, tmp_path / "slip.ipynb"))
    assert scores == {**full, slipped: 0.0}, f"the slip in {slipped} was not graded as such"
