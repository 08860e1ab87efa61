"""Predictions: asked as readable text with a widget, revealed for every choice, recorded."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import ipywidgets
import pytest

from course_utils import progress
from course_utils.predict import LOCK_LABEL, Guess, Prediction, ask, reveal

ROOT = Path(__file__).resolve().parents[1]

GRADIENT = Prediction(
    id="01.gradient-50",
    notebook="01",
    question="How much of token 1's gradient reaches step 50 of a tanh RNN?",
    choices={"most": "more than half", "tenth": "about a tenth", "tiny": "less than a millionth"},
    explanations={
        "most": "Each step multiplies by a factor below one.",
        "tenth": "Fifty factors below one shrink far more than that.",
        "tiny": "Fifty factors of about 0.7 give about 1e-8.",
    },
    answer=lambda ratio: "tiny" if ratio < 1e-6 else "tenth" if ratio < 0.5 else "most",
)
MEMORY = Prediction(
    id="07.memory-8192",
    notebook="07",
    question="The score matrix takes 64 MiB at n = 4096. How much at n = 8192?",
    kind="number",
    unit="MiB",
    tolerance=0.25,
    explanation="Doubling n quadruples the n × n matrix.",
)
MEASURED = {"most": 0.9, "tenth": 0.1, "tiny": 1e-9}


def progress_records() -> list[dict]:
    path = Path(os.environ["COURSE_PROGRESS_FILE"])
    return json.loads(path.read_text())["records"] if path.exists() else []


def test_ask_prints_the_question_and_lettered_choices(capsys):
    guess = ask(GRADIENT)
    out = capsys.readouterr().out
    assert out.splitlines()[:4] == [
        f"Predict before you run: {GRADIENT.question}",
        "  a. more than half",
        "  b. about a tenth",
        "  c. less than a millionth",
    ]
    assert "guess.choice = 'a'" in out and LOCK_LABEL in out
    assert isinstance(guess, Guess) and guess.choice is None
    assert isinstance(guess.ui, ipywidgets.Widget)
    assert guess.widgets["choice"].value is None  # no initial value: nothing is suggested


@pytest.mark.parametrize("picked", list(GRADIENT.choices))
@pytest.mark.parametrize("truth", list(GRADIENT.choices))
def test_every_choice_through_the_widget_against_every_outcome(capsys, picked, truth):
    guess = ask(GRADIENT)
    guess.widgets["choice"].value = picked
    guess.widgets["lock"].click()
    assert guess.choice == picked and guess.widgets["choice"].disabled
    assert "Locked in" in guess.widgets["status"].value
    capsys.readouterr()
    reveal(guess, measured=MEASURED[truth], shown=f"{MEASURED[truth]:.1e}")
    lines = capsys.readouterr().out.splitlines()
    verdict = "right!" if picked == truth else "not this time."
    assert lines[0] == f"Your guess: {GRADIENT.label(picked)} — {verdict}"
    assert lines[1] == f"Measured: {MEASURED[truth]:.1e}, so the answer is {GRADIENT.label(truth)}."
    explained = lines[2:5]
    assert explained == [
        f"{'✔' if key == truth else '✘'} {GRADIENT.label(key)}: {GRADIENT.explanations[key]}"
        for key in GRADIENT.choices
    ]
    [entry] = progress_records()
    assert entry["kind"] == "prediction" and entry["item"] == "01.gradient-50"
    assert entry["guess"] == picked and entry["right"] is (picked == truth)


def test_no_guess_takes_the_fixed_path_and_records_nothing(capsys):
    guess = ask(GRADIENT)
    capsys.readouterr()
    reveal(guess, measured=1e-9, shown="1.0e-09")
    first = capsys.readouterr().out
    assert first.startswith("No prediction locked in yet — ")
    assert "Measured: 1.0e-09, so the answer is c. less than a millionth." in first
    assert first.count("✘") == 2 and first.count("✔") == 1
    reveal(ask(GRADIENT), measured=1e-9, shown="1.0e-09")
    out = capsys.readouterr().out  # ask's text (and, outside Jupyter, the widget's repr), then
    second = out[out.index("No prediction locked in yet") :]
    assert second == first  # deterministic: the stored run is the same on every machine
    assert progress_records() == []


def test_a_selection_never_locked_in_is_named_but_not_counted(capsys):
    guess = ask(GRADIENT)
    guess.widgets["choice"].value = "most"
    reveal(guess, measured=1e-9, shown="1e-09")
    out = capsys.readouterr().out
    assert "No prediction locked in yet" in out
    assert "(You selected a. more than half but did not lock it in: not counted.)" in out
    assert progress_records() == []


def test_the_hints_name_the_notebook_variable(capsys):
    reveal(ask(GRADIENT, name="guess_50"), measured=1e-9, shown="1e-09")
    out = capsys.readouterr().out
    assert "in code: guess_50.choice = 'a'" in out and "(or set guess_50.choice)" in out
    with pytest.raises(ValueError, match="variable"):
        ask(GRADIENT, name="not a name")


def test_locking_with_nothing_picked_asks_for_a_choice():
    guess = ask(GRADIENT)
    guess.widgets["lock"].click()
    assert guess.choice is None and "Pick a choice first" in guess.widgets["status"].value


def test_a_guess_can_be_set_in_code_by_letter_or_key(capsys):
    guess = ask(GRADIENT)
    guess.choice = "C"
    assert guess.choice == "tiny" and guess.widgets["choice"].value == "tiny"
    guess.choice = "tenth"
    assert guess.choice == "tenth"
    with pytest.raises(ValueError, match="not one of the choices"):
        guess.choice = "d"
    assert repr(guess) == "<guess for 01.gradient-50: b. about a tenth>"


@pytest.mark.parametrize(
    ("value", "verdict"),
    [
        (256, "right (within 25% of the measurement)!"),
        (200, "right"),
        (128, "too low"),
        (1024, "too high, off by a factor of 4"),
    ],
)
def test_number_predictions(capsys, value, verdict):
    guess = ask(MEMORY)
    assert "a number in MiB" in capsys.readouterr().out
    guess.widgets["choice"].value = value
    guess.widgets["lock"].click()
    reveal(guess, measured=256.0, shown="256 MiB")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"Your guess: {value:g} MiB — ") and verdict in out[0]
    assert out[1:] == ["Measured: 256 MiB.", MEMORY.explanation]
    assert progress_records()[0]["right"] is (abs(value - 256) <= 64)


def test_number_prediction_without_a_guess(capsys):
    reveal(ask(MEMORY), measured=256.0, shown="256 MiB")
    out = capsys.readouterr().out
    assert "No prediction locked in yet — type a number" in out and "Measured: 256 MiB." in out
    with pytest.raises(ValueError, match="number"):
        ask(MEMORY).choice = "lots"


def test_reveal_without_ask_is_the_no_guess_path(capsys):
    reveal(GRADIENT, measured=0.9, shown="0.9")
    assert capsys.readouterr().out.startswith("No prediction locked in yet")
    with pytest.raises(TypeError, match="ask"):
        reveal("a", measured=0.9, shown="0.9")


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"id": "gradient"}, "must look like"),
        ({"notebook": "02"}, "starts with"),
        ({"question": ""}, "question"),
        ({"choices": {"a": "x"}, "explanations": {"a": "y"}}, "two choices"),
        ({"explanations": {"most": "x", "tenth": "y"}}, "missing ['tiny']"),
        ({"answer": "tiny"}, "function"),
        ({"kind": "slider"}, "kind"),
    ],
)
def test_a_malformed_prediction_is_refused_when_defined(changes, fragment):
    fields = {
        k: getattr(GRADIENT, k)
        for k in ("id", "notebook", "question", "choices", "explanations", "answer")
    }
    with pytest.raises(ValueError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        Prediction(**{**fields, **changes})
    with pytest.raises(ValueError, match="tolerance"):
        Prediction(id="07.x", notebook="07", question="q", kind="number", tolerance=0)


def test_an_answer_function_returning_no_key_is_a_course_bug():
    broken = Prediction(**{**GRADIENT.__dict__, "answer": lambda m: "huge"})
    with pytest.raises(ValueError, match="not a choice key"):
        reveal(ask(broken), measured=1.0, shown="1")


PROBE = r"""
import ipywidgets, sys
assert ipywidgets.__version__.startswith("7.7"), ipywidgets.__version__
from course_utils.predict import Prediction, ask, reveal
p = Prediction(id="01.x", notebook="01", question="q?", choices={"a": "A", "b": "B"},
               explanations={"a": "ea", "b": "eb"}, answer=lambda m: "a" if m else "b")
g = ask(p)
assert g.widgets["choice"].value is None
g.widgets["choice"].value = "b"
g.widgets["lock"].click()
assert g.choice == "b" and g.widgets["choice"].disabled
reveal(g, measured=True, shown="yes")
n = Prediction(id="07.n", notebook="07", question="n?", kind="number", unit="MiB")
h = ask(n)
h.widgets["choice"].value = 3.0
h.widgets["lock"].click()
reveal(h, measured=3.0, shown="3 MiB")
print("ok on", ipywidgets.__version__)
"""


def test_predictions_work_on_ipywidgets_7_7():
    """Colab ships ipywidgets 7.x: the same widget, driven the same way, on 7.7."""
    sys.path.insert(0, str(ROOT / "tests"))
    from test_launch import ipywidgets77

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ipywidgets77()), str(ROOT)])}
    run = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr[-2000:]}"
    assert "ok on 7.7" in run.stdout and "Your guess: b. B — not this time." in run.stdout


def test_progress_is_recorded_in_the_summary(capsys):
    guess = ask(GRADIENT)
    guess.choice = "tiny"
    reveal(guess, measured=1e-9, shown="1e-09")
    assert progress.summary()["01"] == {
        "exercises_passed": 0,
        "predictions_made": 1,
        "predictions_right": 1,
    }


# --- the course's predictions: at least two per notebook, each asked before and revealed after ---

TOPICS = {"01": "rnn", "02": "bahdanau", "03": "self_attention", "04": "attention",
          "05": "scaling", "06": "transformer", "07": "cost", "08": "bert"}  # fmt: skip
ASK = re.compile(r"^\s*(\w+)\s*=\s*ask\(\s*([\w.]+)", re.MULTILINE)
REVEAL = re.compile(r"(?<![\w.])reveal\(\s*(\w+)")


def notebook_code(number: str) -> list[str]:
    [path] = sorted((ROOT / "notebooks").glob(f"{number}_*.ipynb"))
    nb = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def topic_predictions(number: str) -> dict[str, Prediction]:
    """The topic's predictions by the name the notebook imports them under."""
    module = importlib.import_module(f"course_utils.checks.{TOPICS[number]}")
    return {k: v for k, v in vars(module).items() if isinstance(v, Prediction)}


@pytest.mark.parametrize("number", sorted(TOPICS))
def test_each_notebook_asks_two_predictions_and_reveals_each_after(number):
    cells = notebook_code(number)
    by_name = topic_predictions(number)
    asked = [(i, handle, name.split(".")[-1]) for i, c in enumerate(cells)
             for handle, name in ASK.findall(c)]  # fmt: skip
    assert len(asked) >= 2, f"notebook {number} asks {len(asked)} predictions; it needs two"
    for index, handle, name in asked:
        assert name in by_name, f"notebook {number} asks {name}, not a Prediction of its topic"
        assert by_name[name].notebook == number, (
            f"{name} belongs to notebook {by_name[name].notebook}"
        )
        later = [i for i, c in enumerate(cells) if handle in REVEAL.findall(c) and i > index]
        assert later, f"notebook {number}: {handle} = ask({name}) is never revealed after it"
    module = importlib.import_module(f"course_utils.checks.{TOPICS[number]}")
    listed = {p.id for p in getattr(module, "PREDICTIONS", [])}
    used = {by_name[name].id for _, _, name in asked}
    assert listed == set(p.id for p in by_name.values()), "list every Prediction in PREDICTIONS"
    assert listed <= used, f"notebook {number} never asks {sorted(listed - used)}"


def test_prediction_ids_are_unique_across_the_course():
    ids = [p.id for n in TOPICS for p in topic_predictions(n).values()]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
