"""The teacher's edition: student notebooks without solutions, and an autograded assignment.

Usage:
    python tools/teacher.py student       # -> build/student/NN_….ipynb (solutions removed)
    python tools/teacher.py assignment    # -> build/assignment/NN/{autograder,student}/
                                          #    (otter-grader)
    python tools/teacher.py grade NN SUBMISSION.ipynb   # score one submission, locally

A solution is a Markdown cell tagged ``solution`` (one per exercise) whose metadata names
its checker and the function it defines. The student edition is each notebook with those
cells removed and nothing else changed. The assignment has one question per exercise: the
prompt is the exercise text and its stub, the solution is the tagged cell's code, and the
autograder's test is the course's own checker, so a submission scores what the checker
says. Grading runs with ``otter run`` in the current environment: no Docker.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
CODE_BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def notebooks() -> list[Path]:
    """The course notebooks in order."""
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def is_solution(cell: dict) -> bool:
    """A worked solution: a Markdown cell tagged ``solution``."""
    return cell.cell_type == "markdown" and "solution" in cell.metadata.get("tags", [])


def student_edition(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook without its solution cells; every other cell exactly as it was."""
    copy = nbformat.from_dict(json.loads(json.dumps(nb)))
    copy.cells = [c for c in copy.cells if not is_solution(c)]
    return copy


def exercises(nb: nbformat.NotebookNode) -> list[dict]:
    """Each exercise: its prompt (Markdown since the last heading), stub, solution, checker."""
    found = []
    for i, cell in enumerate(nb.cells):
        if not is_solution(cell):
            continue
        meta = cell.metadata["solution"]
        defines = meta["defines"]
        stub_at = next(
            j
            for j in range(i - 1, -1, -1)
            if nb.cells[j].cell_type == "code" and f"def {defines}(" in nb.cells[j].source
        )
        start = stub_at
        while start > 0 and nb.cells[start - 1].cell_type == "markdown":
            start -= 1
            if nb.cells[start].source.lstrip().startswith("#"):
                break
        module, _, checker = meta["checker"].rpartition(".")
        stub = nb.cells[stub_at].source.split(f"\n{checker}(")[0].rstrip()
        found.append(
            {
                "name": defines,
                "prompt": [c.source for c in nb.cells[start:stub_at]],
                "stub": stub,
                "solution": CODE_BLOCK.search(cell.source).group(1).strip(),
                "module": module,
                "checker": checker,
            }
        )
    return found


def setup_code(nb: nbformat.NotebookNode) -> str:
    """The notebook's setup cell without the Colab install branch, and every import the
    lesson makes later (an exercise may use a module the lesson imported on the way)."""
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    setup = re.sub(r'if "google.colab" in sys.modules:\n(?:[ \t]+.*\n)+', "", code[0])
    later = []
    for source in code[1:]:
        try:
            tree = ast.parse(re.sub(r"(?m)^(\s*)[%!].*$", r"\1pass", source))
        except SyntaxError:
            continue
        later += [
            ast.get_source_segment(source, node)
            for node in tree.body
            if isinstance(node, (ast.Import, ast.ImportFrom))
        ]
    return "\n".join([setup.rstrip(), *dict.fromkeys(later)]) + "\n"


def master_notebook(path: Path) -> nbformat.NotebookNode | None:
    """An otter-grader master notebook for one course notebook's exercises (None if none)."""
    nb = nbformat.read(path, as_version=4)
    items = exercises(nb)
    if not items:
        return None
    v4 = nbformat.v4
    config = (
        f"# ASSIGNMENT CONFIG\nname: {path.stem}\ninit_cell: false\ncheck_all_cell: false\n"
        "export_cell: false\nrun_tests: false\ngenerate: true\nsolutions_pdf: false\n"
    )
    cells = [
        v4.new_raw_cell(config),
        v4.new_markdown_cell(
            f"# Exercises of {path.stem.replace('_', ' ', 1)}\n\nWrite each function in its "
            "cell, run the cell, then submit the notebook. Each exercise is graded by the "
            "course's own checker."
        ),
        v4.new_code_cell(setup_code(nb)),
    ]
    for item in items:
        test = (
            f"from {item['module']} import {item['checker']}\n"
            f"feedback = {item['checker']}({item['name']})\n"
            "assert feedback.passed, feedback.message"
        )
        cells += [
            v4.new_raw_cell(f"# BEGIN QUESTION\nname: {item['name']}\npoints: 1"),
            *(v4.new_markdown_cell(text) for text in item["prompt"]),
            v4.new_raw_cell("# BEGIN PROMPT"),
            v4.new_code_cell(item["stub"]),
            v4.new_raw_cell("# END PROMPT"),
            v4.new_raw_cell("# BEGIN SOLUTION"),
            v4.new_code_cell(item["solution"]),
            v4.new_raw_cell("# END SOLUTION"),
            v4.new_raw_cell("# BEGIN TESTS"),
            v4.new_code_cell(test),
            v4.new_raw_cell("# END TESTS"),
            v4.new_raw_cell("# END QUESTION"),
        ]
    master = v4.new_notebook(cells=cells, metadata=nb.metadata)
    master.metadata.pop("widgets", None)
    return master


def write_student(dest: Path = BUILD / "student") -> list[Path]:
    """Write every notebook's student edition into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks():
        nbformat.write(student_edition(nbformat.read(path, as_version=4)), dest / path.name)
        written.append(dest / path.name)
    return written


def write_assignment(path: Path, dest: Path) -> Path | None:
    """Run ``otter assign`` on one notebook's master; return its autograder zip."""
    master = master_notebook(path)
    if master is None:
        return None
    out, source = dest / "dist", dest / "master" / path.name
    shutil.rmtree(dest, ignore_errors=True)
    source.parent.mkdir(parents=True)
    nbformat.write(master, source)
    run = subprocess.run(
        [sys.executable, "-m", "otter", "assign", "--no-pdfs", str(source), str(out)],
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        raise SystemExit(f"otter assign failed for {path.name}:\n{run.stdout}{run.stderr}")
    (zip_path,) = (out / "autograder").glob("*.zip")
    return zip_path


def grade(autograder: Path, submission: Path) -> dict[str, float]:
    """Score one submission with the autograder, locally (``otter run``): {question: points}."""
    with tempfile.TemporaryDirectory() as tmp:
        run = subprocess.run(
            [sys.executable, "-m", "otter", "run", "-a", str(autograder), "-o", tmp,
             str(submission)],
            capture_output=True,
            text=True,
        )  # fmt: skip
        results = Path(tmp) / "results.json"
        if not results.exists():
            raise SystemExit(f"otter run failed:\n{run.stdout}{run.stderr}")
        data = json.loads(results.read_text())
    return {t["name"]: float(t["score"]) for t in data["tests"] if "score" in t}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("student")
    sub.add_parser("assignment")
    graded = sub.add_parser("grade")
    graded.add_argument("notebook", help="the course notebook's number, e.g. 04")
    graded.add_argument("submission", type=Path)
    args = parser.parse_args()
    if args.command == "student":
        for page in write_student():
            print(f"wrote {page}")
    elif args.command == "assignment":
        for path in notebooks():
            zip_path = write_assignment(path, BUILD / "assignment" / path.name[:2])
            if zip_path:
                print(f"wrote {zip_path.parent.parent}/student and {zip_path}")
    else:
        (path,) = [p for p in notebooks() if p.name.startswith(args.notebook)]
        zip_path = write_assignment(path, BUILD / "assignment" / path.name[:2])
        for question, points in grade(zip_path, args.submission).items():
            print(f"{question}: {points:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
