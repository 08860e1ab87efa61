"""Predict, then run: the learner commits a guess before an experiment, the experiment answers it.

A topic defines its predictions in ``checks/<topic>.py``::

    GRADIENT_50 = Prediction(
        id="01.gradient-50", notebook="01",
        question="How much of token 1's gradient reaches step 50 of a tanh RNN?",
        choices={"most": "more than half", "tenth": "about a tenth",
                 "tiny": "less than a millionth"},
        explanations={"most": "…", "tenth": "…", "tiny": "…"},
        answer=lambda ratio: "tiny" if ratio < 1e-6 else "tenth" if ratio < 0.5 else "most",
    )

and the notebook asks before the experiment and reveals after it::

    guess = ask(GRADIENT_50)      # prints the question and lettered choices, shows a widget
    ...                           # the experiment
    reveal(guess, measured=ratio, shown=f"{ratio:.1e}")

The learner picks a choice and presses "Lock in my guess", or sets ``guess.choice = "c"``
(a letter or a choice key) in code. ``reveal`` says whether the guess was right, shows the
measurement and explains every choice; with no guess (as in the stored run) it prints a
fixed "No prediction locked in yet" line instead, so the output is the same everywhere.
A number prediction has ``kind="number"``, a ``unit`` and a relative ``tolerance``.
A guess that was made is recorded in the progress file (``course_utils.progress``).
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from course_utils import progress

ID_PATTERN = re.compile(r"^(\d\d)\.[a-z0-9]+(?:-[a-z0-9]+)*$")
LOCK_LABEL = "Lock in my guess"

__all__ = ["Prediction", "Guess", "ask", "reveal"]


@dataclass(frozen=True)
class Prediction:
    """A question asked before an experiment, with an explanation for every possible answer.

    ``kind="choice"``: ``choices`` maps a key to its text, ``explanations`` has one entry per
    key, ``answer(measured)`` returns the right key. ``kind="number"``: the learner guesses a
    number in ``unit``; right when within ``tolerance`` (relative) of the measured value;
    ``explanation`` says why the value is what it is.
    """

    id: str
    notebook: str
    question: str
    choices: dict[str, str] = field(default_factory=dict)
    explanations: dict[str, str] = field(default_factory=dict)
    answer: Callable[[Any], str] | None = None
    kind: str = "choice"
    unit: str = ""
    tolerance: float = 0.25
    explanation: str = ""

    def __post_init__(self) -> None:
        match = ID_PATTERN.match(self.id) if isinstance(self.id, str) else None
        if match is None:
            raise ValueError(f"Prediction id must look like '01.gradient-50', got {self.id!r}")
        if self.notebook != match.group(1):
            raise ValueError(
                f"Prediction {self.id!r}: notebook={self.notebook!r} but the id starts with "
                f"{match.group(1)!r}"
            )
        if not isinstance(self.question, str) or not self.question.strip():
            raise ValueError(f"Prediction {self.id!r}: the question must be a non-empty string")
        if self.kind == "choice":
            if len(self.choices) < 2:
                raise ValueError(f"Prediction {self.id!r}: give at least two choices")
            if len(self.choices) > len(string.ascii_lowercase):
                raise ValueError(f"Prediction {self.id!r}: too many choices")
            if set(self.explanations) != set(self.choices):
                missing = sorted(set(self.choices) - set(self.explanations))
                extra = sorted(set(self.explanations) - set(self.choices))
                raise ValueError(
                    f"Prediction {self.id!r}: every choice needs an explanation "
                    f"(missing {missing}, unknown {extra})"
                )
            if not callable(self.answer):
                raise ValueError(
                    f"Prediction {self.id!r}: answer must be a function measured -> choice key"
                )
        elif self.kind == "number":
            if self.choices or self.answer is not None:
                raise ValueError(
                    f"Prediction {self.id!r}: a number prediction has no choices and no answer "
                    "function (the measured value is the answer)"
                )
            if not (
                isinstance(self.tolerance, int | float)
                and not isinstance(self.tolerance, bool)
                and self.tolerance > 0
            ):
                raise ValueError(
                    f"Prediction {self.id!r}: tolerance must be a positive fraction, e.g. 0.25"
                )
        else:
            raise ValueError(f"Prediction {self.id!r}: kind must be 'choice' or 'number'")

    @property
    def letters(self) -> dict[str, str]:
        """Choice key → its letter (a, b, c … in the order given)."""
        return dict(zip(self.choices, string.ascii_lowercase, strict=False))

    def label(self, key: str) -> str:
        """'b. about a tenth' for choice key 'tenth'."""
        return f"{self.letters[key]}. {self.choices[key]}"

    def key_for(self, choice) -> str:
        """A choice key from a key or a letter; a clear message for anything else."""
        if isinstance(choice, str):
            text = choice.strip()
            if text in self.choices:
                return text
            by_letter = {v: k for k, v in self.letters.items()}
            if text.lower().rstrip(".)") in by_letter:
                return by_letter[text.lower().rstrip(".)")]
        options = ", ".join(f"{self.letters[k]!r} or {k!r}" for k in self.choices)
        raise ValueError(f"{choice!r} is not one of the choices: use {options}")

    def right_key(self, measured) -> str:
        """The key the measurement makes right (a course bug if answer() gives no key)."""
        key = self.answer(measured)
        if key not in self.choices:
            raise ValueError(
                f"Prediction {self.id!r}: answer({measured!r}) returned {key!r}, not a choice key"
            )
        return key


class Guess:
    """What ``ask`` returns: the learner's locked-in guess (``.choice``) and its widget."""

    def __init__(self, prediction: Prediction, name: str = "guess") -> None:
        self.prediction = prediction
        self.name = name  # the notebook's variable, for the printed hints
        self._choice = None
        self.ui, self.widgets = _build_widget(self)

    @property
    def choice(self):
        """The locked-in guess: a choice key (or a number), None while there is none."""
        return self._choice

    @choice.setter
    def choice(self, value) -> None:
        pred = self.prediction
        if value is None:
            self._choice = None
        elif pred.kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                try:
                    value = float(value)
                except (TypeError, ValueError):
                    raise ValueError(
                        f"the guess must be a number (in {pred.unit or 'the unit asked'}), "
                        f"got {value!r}"
                    ) from None
            if not math.isfinite(float(value)):
                raise ValueError(f"the guess must be a finite number, got {value!r}")
            self._choice = float(value)
        else:
            self._choice = pred.key_for(value)
        self._sync()

    def _sync(self) -> None:
        """Show the current guess in the widget (locked controls and a status line)."""
        w = self.widgets
        if self._choice is None:
            w["status"].value = ""
            w["choice"].disabled = w["lock"].disabled = False
            return
        w["choice"].value = self._choice
        w["choice"].disabled = w["lock"].disabled = True
        w["status"].value = f"Locked in: <b>{_describe(self.prediction, self._choice)}</b>"

    def __repr__(self) -> str:
        shown = "none yet" if self._choice is None else _describe(self.prediction, self._choice)
        return f"<guess for {self.prediction.id}: {shown}>"


def _describe(pred: Prediction, choice) -> str:
    if pred.kind == "number":
        return f"{choice:g} {pred.unit}".strip()
    return pred.label(choice)


def _build_widget(guess: Guess):
    """A choice (RadioButtons, nothing selected) or a number box, a lock button and a status."""
    import ipywidgets as w

    pred = guess.prediction
    if pred.kind == "number":
        choice = w.FloatText(value=0.0, description=pred.unit or "guess")
    else:
        choice = w.RadioButtons(
            options=[(pred.label(k), k) for k in pred.choices],
            value=None,
            layout=w.Layout(width="auto"),
        )
    lock = w.Button(description=LOCK_LABEL, icon="check")  # default colours: readable contrast
    status = w.HTML(value="")

    def on_lock(_button=None) -> None:
        if choice.value is None:
            status.value = "Pick a choice first."
            return
        guess.choice = choice.value

    lock.on_click(on_lock)
    ui = w.VBox([choice, w.HBox([lock, status])])
    return ui, {"choice": choice, "lock": lock, "status": status, "on_lock": on_lock}


def ask(prediction: Prediction, name: str = "guess") -> Guess:
    """Print the question and its lettered choices, show a choice widget; return the guess.

    ``name`` is the variable the notebook assigns the result to (used in the printed hint).
    """
    if not isinstance(prediction, Prediction):
        raise TypeError(f"ask() takes a Prediction, got {type(prediction).__name__}")
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be the variable ask()'s result is stored in, got {name!r}")
    guess = Guess(prediction, name)
    print(f"Predict before you run: {prediction.question}")
    if prediction.kind == "number":
        unit = f" in {prediction.unit}" if prediction.unit else ""
        print(f"  Your guess: a number{unit}.")
        print(
            f"Type it below and press “{LOCK_LABEL}”, or in code: {name}.choice = 100 "
            "(before you run the experiment)."
        )
    else:
        for key in prediction.choices:
            print(f"  {prediction.label(key)}")
        first = prediction.letters[next(iter(prediction.choices))]
        print(
            f"Pick one below and press “{LOCK_LABEL}”, or in code: {name}.choice = {first!r} "
            "(before you run the experiment)."
        )
    try:
        from IPython import get_ipython
        from IPython.display import display

        if get_ipython() is not None:
            display(guess.ui)
    except ImportError:  # plain python: the printed question is the whole interface
        pass
    return guess


def reveal(guess, measured, shown: str) -> None:
    """Compare the guess with the measurement, print the result and explain every choice."""
    if isinstance(guess, Prediction):  # reveal(PRED, …) without ask: nothing was guessed
        guess = Guess(guess)
    if not isinstance(guess, Guess):
        raise TypeError(f"reveal() takes what ask() returned, got {type(guess).__name__}")
    pred = guess.prediction
    choice = guess.choice
    if pred.kind == "number":
        _reveal_number(pred, choice, measured, shown, guess.name)
        return None
    right = pred.right_key(measured)
    if choice is None:
        print(
            "No prediction locked in yet — pick a choice in the widget above (or set "
            f"{guess.name}.choice) before you run the experiment; here is what it measured."
        )
        picked = guess.widgets["choice"].value
        if picked is not None:  # selected, but the button was never pressed
            print(f"(You selected {pred.label(picked)} but did not lock it in: not counted.)")
    elif choice == right:
        print(f"Your guess: {pred.label(choice)} — right!")
    else:
        print(f"Your guess: {pred.label(choice)} — not this time.")
    print(f"Measured: {shown}, so the answer is {pred.label(right)}.")
    for key in pred.choices:
        mark = "✔" if key == right else "✘"
        print(f"{mark} {pred.label(key)}: {pred.explanations[key]}")
    _close(pred, choice, choice == right, shown)
    return None


def _reveal_number(pred: Prediction, choice, measured, shown: str, name: str) -> None:
    value = float(measured)
    unit = f" {pred.unit}" if pred.unit else ""
    within = f"within {pred.tolerance:.0%} of the measurement"
    if choice is None:
        print(
            "No prediction locked in yet — type a number in the widget above (or set "
            f"{name}.choice) before you run the experiment; here is what it measured."
        )
        right = None
    else:
        right = abs(choice - value) <= pred.tolerance * abs(value)
        if right:
            print(f"Your guess: {choice:g}{unit} — right ({within})!")
        else:
            direction = "high" if choice > value else "low"
            small, large = sorted((abs(choice), abs(value)))
            factor = f", off by a factor of {large / small:.2g}" if small > 0 else ""
            print(f"Your guess: {choice:g}{unit} — too {direction}{factor} (right means {within}).")
    print(f"Measured: {shown}.")
    _close(pred, choice, right, shown)


def _close(pred: Prediction, choice, right: bool, shown: str) -> None:
    """The extra explanation, if any; a guess that was made goes into the progress file."""
    if pred.explanation:
        print(pred.explanation)
    if choice is not None:
        progress.record(
            progress.PREDICTION, pred.notebook, pred.id, guess=choice, right=right, measured=shown
        )
