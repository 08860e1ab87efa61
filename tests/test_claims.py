"""claim() and demo(): the printed line, the bound kinds, the margin, the JSON record."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
import torch

from course_utils.claims import claim, demo, margin


@pytest.fixture(autouse=True)
def no_ledger_run(monkeypatch):
    for var in ("COURSE_CLAIMS_FILE", "COURSE_CLAIMS_KEEP_GOING", "COURSE_SEED"):
        monkeypatch.delenv(var, raising=False)


def test_the_printed_line_is_the_one_in_the_plan(capsys):
    claim(
        "02.attention-long",
        "With attention, accuracy stays ≥ 0.9",
        0.981,
        at_least=0.9,
        fmt="{:.2f}",
    )
    assert capsys.readouterr().out == (
        "✔ 02.attention-long — With attention, accuracy stays ≥ 0.9 (measured 0.98; bound ≥ 0.9)\n"
    )


def test_claim_returns_none_so_a_cell_ending_in_it_displays_nothing():
    assert claim("01.x", "s", 1.0, at_most=2) is None


@pytest.mark.parametrize(
    ("kwargs", "bound"),
    [
        ({"at_least": 0.5}, "≥ 0.5"),
        ({"at_most": 2}, "≤ 2"),
        ({"at_least": 0.5, "at_most": 2}, "0.5 ≤ value ≤ 2"),
    ],
)
def test_each_bound_kind_prints_its_bound(capsys, kwargs, bound):
    claim("03.kind", "s", 1.0, **kwargs)
    assert f"bound {bound})" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("value", "kwargs"),
    [
        (0.89, {"at_least": 0.9}),
        (2.1, {"at_most": 2}),
        (0.4, {"at_least": 0.5, "at_most": 2}),
        (2.5, {"at_least": 0.5, "at_most": 2}),
        (float("nan"), {"at_least": 0}),
        ([0.95, 0.99, 0.85], {"at_least": 0.9}),
    ],
)
def test_a_failing_claim_raises_with_sentence_value_and_bound(value, kwargs):
    with pytest.raises(AssertionError) as err:
        claim("04.fails", "the sentence", value, **kwargs)
    text = str(err.value)
    assert "04.fails" in text and "the sentence" in text and "does not hold" in text
    assert "bound" in text and "measured" in text


def test_a_sequence_must_hold_for_every_item(capsys):
    claim("05.seq", "all above", [0.95, 0.99, 0.91], at_least=0.9, fmt="{:.2f}")
    assert "(measured [0.95, 0.99, 0.91]; bound ≥ 0.9)" in capsys.readouterr().out
    claim("05.long", "all above", np.linspace(1, 2, 20), at_least=0.9, fmt="{:.1f}")
    assert "measured 1.0 to 2.0 over 20 values" in capsys.readouterr().out


def test_numpy_and_torch_values_are_read(capsys):
    claim("06.np", "s", np.float32(0.5), at_most=1)
    claim("06.torch", "s", torch.tensor([0.2, 0.3]), at_most=1)
    claim("06.torch0", "s", torch.tensor(0.2), at_most=1)
    claim("06.nested", "s", [[1, 2], [3, 4]], at_least=1)
    assert capsys.readouterr().out.count("✔") == 4


def test_fmt_none_prints_no_value_but_a_failure_shows_it(capsys):
    claim("07.fast", "fast", 0.0123456, at_most=1, fmt=None)
    assert capsys.readouterr().out == "✔ 07.fast — fast (bound ≤ 1)\n"
    with pytest.raises(AssertionError, match="measured 3"):
        claim("07.fast", "fast", 3, at_most=1, fmt=None)


def test_holds_for_orderings(capsys):
    claim("06.order", "16 heads beat 1", holds=bool(0.1 < 0.2))
    claim("06.order-np", "np bool", holds=np.float64(1) < np.float64(2))
    claim("06.order-t", "0-d tensor", holds=torch.tensor(1.0) < torch.tensor(2.0))
    claim("06.order-v", "with values", [0.1, 0.2], holds=True, fmt="{:.1f}")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "✔ 06.order — 16 heads beat 1 (holds)"
    assert out[3] == "✔ 06.order-v — with values (measured [0.1, 0.2]; holds)"
    with pytest.raises(AssertionError, match="does not hold"):
        claim("06.order", "16 heads beat 1", holds=False)


@pytest.mark.parametrize(
    ("args", "kwargs", "fragment"),
    [
        (("bad id", "s", 1), {"at_least": 0}, "must look like"),
        (("1.x", "s", 1), {"at_least": 0}, "must look like"),
        (("01.Upper", "s", 1), {"at_least": 0}, "must look like"),
        (("01.x", "", 1), {"at_least": 0}, "sentence"),
        (("01.x", "s", 1), {}, "give a bound"),
        (("01.x", "s"), {"at_least": 0}, "measured value"),
        (("01.x", "s", 1), {"at_least": 0, "holds": True}, "not both"),
        (("01.x", "s", 1), {"at_least": 2, "at_most": 1}, "exceeds"),
        (("01.x", "s", "0.5"), {"at_least": 0}, "number"),
        (("01.x", "s", True), {"at_least": 0}, "holds="),
        (("01.x", "s", []), {"at_least": 0}, "empty"),
        (("01.x", "s", 1), {"at_least": float("inf")}, "finite"),
        (("01.x", "s"), {"holds": np.array([True, False])}, ".all()"),
        (("01.x", "s"), {"holds": 1}, "True or False"),
    ],
)
def test_misuse_is_explained(args, kwargs, fragment):
    with pytest.raises((ValueError, TypeError), match=re.escape(fragment)):
        claim(*args, **kwargs)


def test_margin_is_relative_to_the_bound_and_absolute_at_zero():
    assert margin([0.99], 0.9, None) == pytest.approx(0.1)
    assert margin([0.95, 0.99], 0.9, None) == pytest.approx(0.05 / 0.9)
    assert margin([1.5], None, 2.0) == pytest.approx(0.25)
    assert margin([0.3], 0.0, None) == pytest.approx(0.3)  # bound 0: absolute
    assert margin([-0.2], None, 0.0) == pytest.approx(0.2)
    assert margin([1.0], 0.5, 2.0) == pytest.approx(0.5)  # the nearer bound decides
    assert margin([0.8], 0.9, None) < 0
    assert margin([-1.0], -2.0, None) == pytest.approx(0.5)  # negative bounds: |bound|
    assert margin([float("nan")], 0, None) == -math.inf


def test_a_ledger_run_records_one_json_line_per_claim(tmp_path, monkeypatch, capsys):
    path = tmp_path / "sub" / "claims.jsonl"
    monkeypatch.setenv("COURSE_CLAIMS_FILE", str(path))
    monkeypatch.setenv("COURSE_SEED", "5971")
    claim("02.attention-long", "sentence", [0.95, 0.99], at_least=0.9, fmt="{:.2f}")
    claim("02.order", "ordering", holds=True)
    with pytest.raises(AssertionError):
        claim("02.fails", "fails", 0.1, at_least=0.9)
    demo("not a claim", True)
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == ["02.attention-long", "02.order", "02.fails"]
    first = records[0]
    assert first["notebook"] == "02" and first["seed"] == 5971 and first["passed"] is True
    assert first["values"] == [0.95, 0.99] and first["bound"] == {"at_least": 0.9, "at_most": None}
    assert first["margin"] == pytest.approx(0.05 / 0.9) and first["sentence"] == "sentence"
    assert records[1]["kind"] == "holds" and records[1]["margin"] is None
    assert records[2]["passed"] is False and records[2]["margin"] < 0


def test_the_default_seed_is_recorded_when_none_is_set(tmp_path, monkeypatch):
    from course_utils.reproducibility import DEFAULT_SEED

    path = tmp_path / "claims.jsonl"
    monkeypatch.setenv("COURSE_CLAIMS_FILE", str(path))
    claim("01.x", "s", 1, at_least=0)
    assert json.loads(path.read_text(encoding="utf-8"))["seed"] == DEFAULT_SEED


def test_keep_going_records_a_failure_without_stopping_the_notebook(tmp_path, monkeypatch, capsys):
    path = tmp_path / "claims.jsonl"
    monkeypatch.setenv("COURSE_CLAIMS_FILE", str(path))
    monkeypatch.setenv("COURSE_CLAIMS_KEEP_GOING", "1")
    claim("01.fails", "s", 0, at_least=1)
    assert "does not hold" in capsys.readouterr().err
    assert json.loads(path.read_text(encoding="utf-8"))["passed"] is False


def test_an_unwritable_claims_file_does_not_break_the_claim(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("COURSE_CLAIMS_FILE", str(blocker / "claims.jsonl"))
    claim("01.x", "s", 1, at_least=0)
    captured = capsys.readouterr()
    assert captured.out.startswith("✔ 01.x") and "could not record" in captured.err


def test_without_a_claims_file_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    claim("01.x", "s", 1, at_least=0)
    assert list(tmp_path.iterdir()) == []


def test_demo_prints_and_asserts_but_is_no_claim(capsys):
    demo("Every row sums to one", np.allclose(np.ones(3), 1))
    assert capsys.readouterr().out == "✔ demonstration — Every row sums to one\n"
    with pytest.raises(AssertionError, match="demonstration failed"):
        demo("Every row sums to one", False)
    with pytest.raises(TypeError, match="allclose"):
        demo("array", np.ones(3) == 1)


# --- tools/claims.py: the ledger --------------------------------------------------------------


def load_tool():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "tools" / "claims.py"
    spec = importlib.util.spec_from_file_location("claims_tool", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_notebook(path, *sources):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


@pytest.fixture
def tool(tmp_path, monkeypatch):
    module = load_tool()
    monkeypatch.setattr(module, "NOTEBOOKS", tmp_path / "notebooks")
    monkeypatch.setattr(module, "STORE", tmp_path / "build" / "claims")
    monkeypatch.setattr(module, "LEDGER", tmp_path / "docs" / "claims.md")
    monkeypatch.setattr(module, "FIGURE", tmp_path / "docs" / "claims.png")
    (tmp_path / "notebooks").mkdir()
    return module


def test_check_names_every_difference(tool, tmp_path, capsys):
    fake_notebook(
        tmp_path / "notebooks" / "01_a.ipynb",
        'claim("01.kept", "s", 1, at_least=0)\nclaim( "01.new", "s", holds=True)',
        '# claim("01.commented") in a comment is no claim\nx = 1',
    )
    fake_notebook(tmp_path / "notebooks" / "02_b.ipynb", 'claim("01.kept", "s", 1, at_least=0)')
    assert tool.check() == 1
    assert "does not exist yet" in capsys.readouterr().out
    tool.LEDGER.parent.mkdir()
    tool.LEDGER.write_text("| `01.kept` | 01 | s |\n| `01.gone` | 01 | s |\n")
    assert tool.check() == 1
    out = capsys.readouterr().out
    assert "+ 01.new" in out and "- 01.gone" in out and "used 2 times" in out
    assert "01.commented" not in out
    assert "make claims" in out
    assert tool.main(["--check"]) == 1


def test_check_passes_when_notebooks_and_ledger_agree(tool, tmp_path, capsys):
    fake_notebook(tmp_path / "notebooks" / "01_a.ipynb", 'claim("01.kept", "s", 1, at_least=0)')
    tool.LEDGER.parent.mkdir()
    tool.LEDGER.write_text("| claim |\n|---|\n| `01.kept` | 01 | s |\n")
    assert tool.check() == 0 and "1 claims" in capsys.readouterr().out


def test_report_tabulates_seeds_margins_and_the_stored_value(tool, tmp_path):
    notebook = tmp_path / "notebooks" / "01_a.ipynb"
    fake_notebook(
        notebook, 'claim("01.acc", "s", 1, at_least=0)\nclaim("01.order", "o", holds=True)'
    )
    tool.STORE.mkdir(parents=True)
    for seed, acc in [(0, 0.98), (11, 0.95), (12, 0.85)]:
        records = [
            {
                "id": "01.acc",
                "notebook": "01",
                "sentence": "Accuracy | stays high",
                "kind": "bound",
                "bound": {"at_least": 0.9, "at_most": None},
                "values": [acc],
                "passed": acc >= 0.9,
                "margin": (acc - 0.9) / 0.9,
                "seed": seed,
                "fmt": "{:.2f}",
            },
            {
                "id": "01.order",
                "notebook": "01",
                "sentence": "A beats B",
                "kind": "holds",
                "bound": None,
                "values": [],
                "passed": True,
                "margin": None,
                "seed": seed,
                "fmt": None,
            },
            {"id": "01.renamed", "notebook": "01", "sentence": "old", "kind": "holds"},
        ]
        path = tool.STORE / f"01-{seed}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
        path.with_suffix(".meta.json").write_text(
            json.dumps(
                {
                    "notebook": "01_a.ipynb",
                    "seed": seed,
                    "ok": True,
                    "error": "",
                    "seconds": 3.0,
                    "code_hash": tool.code_hash(notebook),
                }
            )
        )
    (tool.STORE / "sessions.json").write_text(
        json.dumps(
            [
                {
                    "seeds": [11, 12],
                    "default_seed": 0,
                    "notebooks": ["01_a.ipynb"],
                    "jobs": 2,
                    "cores": 2,
                    "started": "2026-12-01T15:00:00+00:00",
                    "wall_s": 9.0,
                }
            ]
        )
    )
    assert tool.report() == 0
    text = tool.LEDGER.read_text()
    row = next(line for line in text.splitlines() if line.startswith("| `01.acc`"))
    cells = [c.strip() for c in row.strip("|").split(" | ")]
    assert cells[2] == "Accuracy \\| stays high" and cells[3] == "≥ 0.9"
    assert cells[4] == "0.98" and cells[5] == "0.85 – 0.95" and cells[6] == "1/2"
    assert cells[7] == "-6%"
    order = next(line for line in text.splitlines() if line.startswith("| `01.order`"))
    assert "| holds |" in order and "| 2/2 | — |" in order
    assert "- `01.acc`: fails for seed 12 (0.85)" in text
    assert "11 12" in text and "Demonstrations are not claims" in text and "9 s" in text
    assert "![Smallest margin over 2 seeds" in text and tool.FIGURE.exists()
    assert tool.ids_in_ledger() == ["01.acc", "01.order"]
    assert tool.check() == 0
    assert "Records of ids no longer in any notebook were left out: `01.renamed`" in text
    assert "changed after its runs" not in text
    fake_notebook(
        notebook, 'claim("01.acc", "s", 2, at_least=0)\nclaim("01.order", "o", holds=True)'
    )
    tool.report()
    assert "The code of 01_a.ipynb changed after its runs" in tool.LEDGER.read_text()


def test_run_executes_a_copy_with_the_seed_and_records_its_claims(tool, tmp_path, capsys):
    nb = tmp_path / "notebooks" / "01_a.ipynb"
    fake_notebook(
        nb,
        "import os\nfrom course_utils.claims import claim\nseed = int(os.environ['COURSE_SEED'])",
        'claim("01.seeded", "the seed is small", seed, at_most=5)',
        'claim("01.after", "still runs after a failed claim", 1, at_least=0)',
        "raise ValueError('boom')",
    )
    before = nb.read_bytes()
    assert tool.run([7], None, jobs=2, timeout=60) == 1
    out = capsys.readouterr().out
    assert "COURSE_SEED=0" in out and "COURSE_SEED=7" in out
    assert "cell 3 (`raise ValueError('boom')`): ValueError: boom" in out
    assert "failed claims" not in out.split("COURSE_SEED=0")[1].splitlines()[0]
    at7 = [json.loads(line) for line in (tool.STORE / "01-7.jsonl").read_text().splitlines()]
    assert [(r["id"], r["passed"], r["seed"]) for r in at7] == [
        ("01.seeded", False, 7),
        ("01.after", True, 7),
    ]
    assert nb.read_bytes() == before  # the notebook itself is never touched
    assert json.loads((tool.STORE / "sessions.json").read_text())[-1]["seeds"] == [7]


def test_the_course_claim_ids_are_unique_and_numbered_for_their_notebook():
    tool = load_tool()
    found = tool.ids_in_notebooks()
    twice = {cid: nbs for cid, nbs in found.items() if len(nbs) > 1}
    assert not twice, f"claim ids used more than once: {twice}"
    wrong = {cid: nbs[0] for cid, nbs in found.items() if cid[:2] != nbs[0][:2]}
    assert not wrong, f"claim ids whose number is not their notebook's: {wrong}"
