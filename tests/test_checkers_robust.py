"""Every checker survives any answer: odd return values, an endless loop, a flood of prints.

The checkers are found, not listed: every ``check_*`` defined in a ``course_utils.checks.<topic>``
module is tested, so a new checker is covered the day it is written. The first tests hold the
shared machinery (``checks/_core.py``) to its promises.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import threading
import time

import numpy as np
import pytest
import torch

import course_utils.checks as checks_pkg
from course_utils.checks import Feedback, as_array, call_learner, checker
from course_utils.checks._core import LearnerTimeout, time_limit


def _discover() -> list:
    found = []
    for info in pkgutil.iter_modules(checks_pkg.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"course_utils.checks.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("check_") and fn.__module__ == module.__name__:
                found.append(pytest.param(fn, id=f"{info.name}.{name}"))
    return found


CHECKERS = _discover()


class _RaisingFloat:
    """An object whose conversion to a number fails."""

    def __float__(self):
        raise RuntimeError("no float for you")

    __int__ = __index__ = __float__


def _generator():
    yield from range(3)


BAD_RETURNS = {
    "zero-d int": lambda: 0,
    "zero-d array": lambda: np.array(0.0),
    "none": lambda: None,
    "huge int": lambda: 10**400,
    "huge int in a list": lambda: [[10**400, 1.0], [2.0, 3.0]],
    "raising __float__": lambda: _RaisingFloat(),
    "raising __float__ in a list": lambda: [_RaisingFloat(), 1.0],
    "bfloat16 tensor": lambda: torch.ones(2, 3, dtype=torch.bfloat16),
    "float16 tensor": lambda: torch.ones(3, dtype=torch.float16),
    "generator": _generator,
    "string": lambda: "attention",
    "ragged list": lambda: [[1.0, 2.0], [3.0]],
    "dict": lambda: {"output": np.ones(3)},
    "tuple": lambda: (np.ones(3), np.ones(3)),
    "nan array": lambda: np.full((2, 2), np.nan),
    "function": lambda: print,
}


def _returning(make):
    def learner(*args, **kwargs):
        return make()

    return learner


def _run_checker(check, learner, seconds: float = 15.0):
    """Call ``check(learner)``; a checker that hangs fails this test instead of blocking it."""
    try:
        with time_limit(seconds):
            return check(learner)
    except LearnerTimeout:
        pytest.fail(f"{check.__name__} did not come back within {seconds:g} s")


# --------------------------------------------------------------------------- the shared machinery


def _endless(*args, **kwargs):
    i = 0
    while True:
        i += 1


def test_call_learner_stops_an_endless_loop_and_names_its_line():
    start = time.monotonic()
    result, problem = call_learner(_endless, np.ones(3), name="your loop", timeout=0.5)
    assert time.monotonic() - start < 3
    assert result is None and not problem.passed
    assert "time limit of 0.5 s" in problem.message and "endless loop" in problem.message
    assert "i += 1" in problem.message or "while True" in problem.message


def test_the_time_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("COURSE_CHECK_TIMEOUT", "0.3")
    _, problem = call_learner(_endless)
    assert "time limit of 0.3 s" in problem.message
    monkeypatch.setenv("COURSE_CHECK_TIMEOUT", "not a number")
    assert call_learner(lambda: 1)[0] == 1


def test_a_learners_except_exception_cannot_swallow_the_time_limit():
    def stubborn():
        while True:
            try:
                while True:
                    pass
            except Exception:
                pass

    _, problem = call_learner(stubborn, timeout=0.3)
    assert "time limit" in problem.message


def test_time_limits_nest_and_leave_no_alarm_behind():
    with time_limit(5):
        _, problem = call_learner(_endless, timeout=0.2)
        assert "0.2 s" in problem.message
        time.sleep(0.3)  # the outer limit is still far away
    time.sleep(0.1)  # and no stray alarm fires afterwards


def test_an_earlier_alarm_survives_a_check():
    import signal

    rang = []
    previous = signal.signal(signal.SIGALRM, lambda *_: rang.append(True))
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.6)
        call_learner(_endless, timeout=0.2)
        assert not rang and 0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 0.6
        time.sleep(0.8)
        assert rang == [True]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_outside_the_main_thread_a_worker_thread_enforces_the_limit():
    box = {}
    worker = threading.Thread(target=lambda: box.update(out=call_learner(_endless, timeout=0.3)))
    start = time.monotonic()
    worker.start()
    worker.join(5)
    assert time.monotonic() - start < 3
    result, problem = box["out"]
    assert result is None and "endless loop" in problem.message
    assert call_learner(lambda x: x + 1, 1)[0] == 2  # and the main thread still works


def test_call_learner_works_on_copies():
    x, t = np.ones(3), torch.ones(3)

    def vandal(a, b, c):
        a[:] = 0
        b.zero_()
        c[0][:] = 0
        return 1

    nested = [np.ones(2)]
    assert call_learner(vandal, x, t, nested)[0] == 1
    assert x.sum() == 3 and t.sum() == 3 and nested[0].sum() == 2


@pytest.mark.parametrize(
    "learner, fragment",
    [
        (lambda: (_ for _ in ()).throw(NotImplementedError), "not written yet"),
        (lambda: None, "forget the `return`"),
        (lambda: 1 / 0, "ZeroDivisionError"),
        (None, "is None"),
        (3, "expected a function"),
    ],
)
def test_call_learner_explains_failures(learner, fragment):
    result, problem = call_learner(learner)
    assert result is None and fragment in problem.message


@pytest.mark.parametrize(
    "error, advice",
    [
        (NameError("name 'd_k' is not defined"), "not defined inside it"),
        (ValueError("shapes (3,4) and (5,2) not aligned"), "Check the shapes"),
        (RuntimeError("mat1 and mat2 shapes cannot be multiplied"), "Check the shapes"),
        (IndexError("index 5 is out of bounds"), "out of range"),
        (TypeError("unsupported operand"), "Check the types"),
        (KeyError("x"), "Print the values"),
    ],
)
def test_call_learner_advice_fits_the_error(error, advice):
    def failing():
        raise error

    _, problem = call_learner(failing)
    assert type(error).__name__ in problem.message and advice in problem.message


def test_call_learner_names_the_learners_line_not_numpys():
    def wrong(a):
        return a @ np.ones((5, 2))  # the learner's line

    _, problem = call_learner(wrong, np.ones((3, 4)))
    assert "the learner's line" in problem.message


@pytest.mark.parametrize("label", list(BAD_RETURNS))
def test_as_array_never_raises(label):
    got, problem = as_array(BAD_RETURNS[label](), "the output")
    if problem is None:  # single numbers and half-precision tensors are readable numbers
        assert label in ("zero-d int", "zero-d array", "bfloat16 tensor", "float16 tensor")
        assert got.dtype == np.float64
    else:
        assert not problem.passed and problem.message.startswith("the output")


def test_as_array_reports_rank_when_asked():
    _, problem = as_array(0, "the output", ndim=2)
    assert "a single number" in problem.message
    assert as_array([[1, 2]], ndim=2)[0].shape == (1, 2)


def test_checker_turns_internal_errors_and_wrong_calls_into_feedback():
    @checker("00")
    def check_broken(fn):
        return [][1]

    feedback = check_broken(lambda: 1)
    assert not feedback.passed and "IndexError" in feedback.message
    feedback = check_broken()
    assert not feedback.passed and "check_broken(my_function)" in feedback.message
    assert check_broken.notebook == "00"


def test_checker_shows_prints_once_shortened_and_records_the_verdict(capsys):
    @checker("00")
    def check_echo(fn):
        for _ in range(3):
            fn()
        return Feedback(True, "fine")

    def chatty():
        for i in range(1000):
            print("debug line", i)

    feedback = check_echo(chatty)
    assert capsys.readouterr().out == ""
    assert feedback.passed and feedback.printed.count("\n") < 15
    assert "3000 lines in all" in feedback.printed
    assert repr(feedback).count("debug line 0") == 1
    assert "debug line 0" in feedback._repr_html_()
    progress = pytest.importorskip("course_utils.progress")
    assert any(r["item"] == "check_echo" and r["passed"] for r in progress.records())


def test_a_checker_that_calls_the_learner_directly_is_still_stopped(monkeypatch):
    monkeypatch.setenv("COURSE_CHECK_TIMEOUT", "0.5")

    @checker("00")
    def check_direct(fn):
        fn()
        return Feedback(True, "fine")

    start = time.monotonic()
    feedback = check_direct(_endless)
    assert time.monotonic() - start < 3 and "time limit" in feedback.message


# --------------------------------------------------------------------------- every real checker


def test_checkers_are_found():
    assert len(CHECKERS) >= 10


@pytest.mark.parametrize("check", CHECKERS)
@pytest.mark.parametrize("label", list(BAD_RETURNS))
def test_no_return_value_crashes_or_fools_a_checker(check, label):
    feedback = _run_checker(check, _returning(BAD_RETURNS[label]))
    assert isinstance(feedback, Feedback), f"{check.__name__} returned {type(feedback)}"
    assert not feedback.passed, f"{check.__name__} accepted a {label}: {feedback.message}"
    assert feedback.message.strip()


@pytest.mark.parametrize("check", CHECKERS)
@pytest.mark.parametrize("answer", [None, 3, 0.5, "my_function", [1, 2]], ids=repr)
def test_an_answer_that_is_not_a_function_gets_a_message(check, answer):
    feedback = _run_checker(check, answer)
    assert isinstance(feedback, Feedback) and not feedback.passed and feedback.message.strip()


TOPIC_NOTEBOOK = {
    "rnn": "01",
    "bahdanau": "02",
    "self_attention": "03",
    "attention": "04",
    "scaling": "05",
    "transformer": "06",
    "cost": "07",
    "bert": "08",
}


@pytest.mark.parametrize("check", CHECKERS)
def test_every_checker_wears_the_decorator_with_its_notebook(check):
    topic = check.__module__.rsplit(".", 1)[-1]
    assert getattr(check, "is_checker", False), f'decorate {check.__name__} with @checker("NN")'
    assert check.notebook == TOPIC_NOTEBOOK.get(topic), (
        f"{check.__name__} is in checks/{topic}.py, so it belongs to notebook "
        f"{TOPIC_NOTEBOOK.get(topic)}, not {check.notebook}"
    )


def _first_array(args):
    return next((a for a in args if isinstance(a, (np.ndarray, torch.Tensor))), None)


LAZY_LEARNERS = {
    "echoes its first array": lambda *a, **k: _first_array(a),
    "zeros like its first array": lambda *a, **k: (
        None if _first_array(a) is None else _first_array(a) * 0
    ),
    "raises RuntimeError": lambda *a, **k: (_ for _ in ()).throw(RuntimeError("oops")),
}


@pytest.mark.parametrize("check", CHECKERS)
@pytest.mark.parametrize("label", list(LAZY_LEARNERS))
def test_a_lazy_answer_does_not_pass(check, label):
    feedback = _run_checker(check, LAZY_LEARNERS[label])
    assert isinstance(feedback, Feedback) and not feedback.passed, (
        f"{check.__name__} accepted a function that {label}: {feedback.message}"
    )


@pytest.mark.parametrize("check", CHECKERS)
def test_an_endless_loop_gets_a_message_within_ten_seconds(check, monkeypatch):
    monkeypatch.setenv("COURSE_CHECK_TIMEOUT", "2")  # the default is 5 s; 2 keeps the suite fast
    start = time.monotonic()
    feedback = _run_checker(check, _endless, seconds=10)
    assert time.monotonic() - start < 10
    assert not feedback.passed and "time limit" in feedback.message, feedback.message


def test_with_the_default_limit_an_endless_loop_is_stopped_within_ten_seconds(monkeypatch):
    monkeypatch.delenv("COURSE_CHECK_TIMEOUT", raising=False)
    check = CHECKERS[0].values[0]
    start = time.monotonic()
    feedback = _run_checker(check, _endless, seconds=12)
    assert time.monotonic() - start < 10 and "time limit" in feedback.message


@pytest.mark.parametrize("check", CHECKERS)
def test_a_flood_of_prints_is_shown_once_shortened(check, capsys):
    def chatty(*args, **kwargs):
        for i in range(1000):
            print(f"debugging step {i}")

    feedback = _run_checker(check, chatty)
    leaked = capsys.readouterr().out
    assert "debugging step" not in leaked, f"{check.__name__} let the prints through"
    assert "debugging step 0" in feedback.printed
    assert len(feedback.printed.splitlines()) <= 15
    assert repr(feedback).count("debugging step 0") == 1


def test_feedback_is_json_friendly():
    feedback = Feedback(False, "x", printed="y")
    assert json.loads(json.dumps(feedback.__dict__)) == {
        "passed": False,
        "message": "x",
        "printed": "y",
    }
