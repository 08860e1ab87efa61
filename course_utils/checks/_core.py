"""What every checker shares: the Feedback it returns and safe ways to run and compare answers.

- ``@checker("04")`` wraps every ``check_*``: it never raises, captures what the learner's code
  prints and shows it once, shortened, after the verdict, and records the verdict in the
  learner's progress file.
- ``call_learner`` runs the learner's function on copies of its arguments, under a time limit
  (5 s per call, ``$COURSE_CHECK_TIMEOUT`` overrides), and turns every failure into advice.
- ``as_array`` reads whatever came back as a float array, or says why it cannot.
- ``check_array_cases`` is the shared case loop of the array-answer checkers.
"""

from __future__ import annotations

import contextlib
import copy
import ctypes
import dataclasses
import functools
import html
import io
import linecache
import os
import signal
import sys
import threading
import time
import traceback
import types
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT_TIMEOUT",
    "Feedback",
    "LearnerTimeout",
    "as_array",
    "call_learner",
    "check_array_cases",
    "checker",
    "compare",
    "first_match",
    "time_limit",
    "wrong_answer",
]

DEFAULT_TIMEOUT = 5.0  # seconds per call of a learner's function
_PRINT_LINES = 12  # at most this many printed lines are shown after a verdict
_PRINT_CHARS = 1500


@dataclass(frozen=True)
class Feedback:
    """The verdict on a learner's answer: ``passed`` and a message that says what to do next.

    Test ``feedback.passed`` (a Feedback object itself is always truthy). ``printed`` holds what
    the learner's code printed during the check, shortened; it is shown once, after the verdict.
    """

    passed: bool
    message: str
    printed: str = ""

    def __repr__(self) -> str:
        text = ("✅ Correct: " if self.passed else "❌ Not yet: ") + self.message
        if self.printed:
            text += "\n\nWhat your code printed during the check:\n" + self.printed
        return text

    def _repr_html_(self) -> str:
        color, mark = ("#009E73", "✅ Correct:") if self.passed else ("#D55E00", "❌ Not yet:")
        printed = ""
        if self.printed:
            printed = (
                '<div style="margin-top:4px">What your code printed during the check:</div>'
                f'<pre style="margin:2px 0;font-size:90%">{html.escape(self.printed)}</pre>'
            )
        return (
            f'<div style="border-left:6px solid {color};padding:6px 10px;margin:4px 0">'
            f"<b>{mark}</b> {html.escape(self.message)}{printed}</div>"
        )


# --------------------------------------------------------------------------- time limits


class LearnerTimeout(BaseException):
    """Raised inside a learner's function that ran past its time limit.

    A BaseException, so a learner's own ``except Exception`` cannot swallow it.
    """

    def __init__(self, seconds: float, where: str = "") -> None:
        super().__init__(f"ran longer than {seconds:g} s")
        self.seconds = seconds
        self.where = where


def _timeout_seconds(seconds: float | None = None) -> float:
    """The per-call limit: ``seconds``, else ``$COURSE_CHECK_TIMEOUT``, else 5 s."""
    if seconds is not None:
        return float(seconds)
    try:
        value = float(os.environ.get("COURSE_CHECK_TIMEOUT", DEFAULT_TIMEOUT))
    except ValueError:
        return DEFAULT_TIMEOUT
    return value if value > 0 else DEFAULT_TIMEOUT


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_LIBRARY_DIRS = tuple(
    os.path.dirname(os.path.abspath(m.__file__))
    for m in (np, os, contextlib)
    if getattr(m, "__file__", None)
)


def _is_learner_frame(filename: str) -> bool:
    """True for code the learner wrote (a notebook cell, a script), not a library's or ours."""
    path = os.path.abspath(filename) if not filename.startswith("<") else filename
    if "site-packages" in path or "dist-packages" in path:
        return False
    return not path.startswith(_PACKAGE_DIR) and not path.startswith(_LIBRARY_DIRS)


def _where(frame: types.FrameType | None) -> str:
    """'line 3: `while i < n:`' for the innermost learner frame at or above ``frame``."""
    fallback = ""
    while frame is not None:
        code = frame.f_code
        line = linecache.getline(code.co_filename, frame.f_lineno).strip()
        text = f"line {frame.f_lineno}" + (f": `{line}`" if line else "")
        if _is_learner_frame(code.co_filename):
            return text + (f" (in {code.co_name})" if code.co_name != "<module>" else "")
        fallback = fallback or text
        frame = frame.f_back
    return fallback


_deadlines: list[float] = []  # active limits (monotonic times), innermost last


def _arm() -> None:
    """Set the interval timer to the nearest active deadline, or switch it off."""
    if not _deadlines:
        signal.setitimer(signal.ITIMER_REAL, 0)
        return
    signal.setitimer(signal.ITIMER_REAL, max(min(_deadlines) - time.monotonic(), 1e-4))


def _on_alarm(signum: int, frame: types.FrameType | None) -> None:
    now = time.monotonic()
    if _deadlines and min(_deadlines) <= now + 1e-3:
        raise LearnerTimeout(_active_seconds.get(min(_deadlines), 0.0), _where(frame))
    _arm()  # an early or stray alarm: wait for the real deadline


_active_seconds: dict[float, float] = {}


def _signals_usable() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def time_limit(seconds: float | None = None) -> Iterator[None]:
    """Raise ``LearnerTimeout`` inside the block after ``seconds`` (SIGALRM; main thread only).

    Limits nest: the nearest deadline wins. Outside the main thread, or where SIGALRM does
    not exist (Windows), the block runs without a limit; ``call_learner`` then uses a thread.
    """
    seconds = _timeout_seconds(seconds)
    if not _signals_usable():
        yield
        return
    deadline = time.monotonic() + seconds
    _active_seconds[deadline] = seconds
    outermost = not _deadlines
    if outermost:  # keep whoever used SIGALRM before us (pytest-timeout, a learner's alarm)
        previous = signal.getsignal(signal.SIGALRM)
        previous_timer = signal.setitimer(signal.ITIMER_REAL, 0)
        started = time.monotonic()
        signal.signal(signal.SIGALRM, _on_alarm)
    _deadlines.append(deadline)
    try:
        _arm()
        yield
    finally:
        _deadlines.remove(deadline)
        _active_seconds.pop(deadline, None)
        _arm()
        if outermost:
            signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)
            remaining, interval = previous_timer
            if remaining > 0:  # the earlier alarm still rings, as late as it would have
                left = max(remaining - (time.monotonic() - started), 1e-3)
                signal.setitimer(signal.ITIMER_REAL, left, interval)


def _run_in_thread(fn: Callable[..., Any], args: tuple, kwargs: dict, seconds: float) -> Any:
    """The fallback limit: run ``fn`` in a thread; stop it with an async exception on overrun."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = fn(*args, **kwargs)
        except BaseException as exc:  # handed back to the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=target, daemon=True, name="learner-function")
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        where = _where(sys._current_frames().get(worker.ident))
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(worker.ident), ctypes.py_object(LearnerTimeout)
        )
        worker.join(1.0)
        raise LearnerTimeout(seconds, where)
    if "error" in box:
        raise box["error"]
    return box.get("result")


def _timeout_feedback(name: str, exc: LearnerTimeout) -> Feedback:
    where = f" It was busy at {exc.where}." if exc.where else ""
    return Feedback(
        False,
        f"{name} did not finish within the time limit of {exc.seconds:g} s, so the check "
        f"stopped it: it is probably stuck in an endless loop.{where} Look for a `while` whose "
        "condition never becomes false, or a loop whose counter never changes. "
        "(If it is only slow, run `%env COURSE_CHECK_TIMEOUT=20` and check again.)",
    )


# --------------------------------------------------------------------------- calling the learner


def _copied(value: Any) -> Any:
    """A copy of arrays and tensors (also inside lists, tuples and dicts); anything else as is."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if type(value).__module__.startswith("torch") and hasattr(value, "clone"):
        return value if getattr(value, "requires_grad", False) else value.clone()
    if isinstance(value, (list, tuple)) and any(
        isinstance(v, (np.ndarray, list, tuple, dict)) or hasattr(v, "clone") for v in value
    ):
        items = [_copied(v) for v in value]
        return type(value)(items) if type(value) in (list, tuple) else copy.copy(value)
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    return value


def _learner_line(exc: BaseException) -> str:
    """'line 3: `return x @ y`' for the learner's own line where ``exc`` happened."""
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if _is_learner_frame(f.filename)] or frames[-1:]
    if not own:
        return ""
    frame = own[-1]
    return f"in line {frame.lineno}: `{(frame.line or '').strip()}`"


_SHAPE_WORDS = ("shape", "size", "dimension", "broadcast", "matmul", "mat1", "aligned")


def _advice(exc: Exception) -> str:
    """What to look at for this kind of error."""
    text = str(exc).lower()
    if isinstance(exc, NameError):
        return (
            "A name it uses is not defined inside it: define it in the function (or pass it "
            "in), and check the spelling."
        )
    if any(word in text for word in _SHAPE_WORDS):
        return "Check the shapes of what you multiply or add: print(x.shape) helps."
    if isinstance(exc, IndexError):
        return "An index is out of range: check the lengths and shapes you loop over."
    if isinstance(exc, (TypeError, AttributeError)):
        return (
            "Check the types you combine: numpy arrays and torch tensors do not mix, "
            "and a list has no .shape."
        )
    return "Print the values just before that line to see where it goes wrong."


def call_learner(
    fn: Any,
    *args: Any,
    name: str = "your function",
    timeout: float | None = None,
    kwargs: dict | None = None,
) -> tuple[Any, Feedback | None]:
    """Call ``fn`` on copies of ``args``; return ``(result, None)`` or ``(None, Feedback)``.

    The call gets ``timeout`` seconds (default 5 s, ``$COURSE_CHECK_TIMEOUT`` overrides); an
    endless loop is stopped and named. Errors, a missing ``return`` and an unwritten stub each
    get their own advice.
    """
    if fn is None:
        return None, Feedback(
            False, f"{name} is None: define it with `def …` and pass the function itself."
        )
    if not callable(fn):
        return None, Feedback(
            False,
            f"expected a function, got a {type(fn).__name__}. Pass the function itself "
            "(without calling it), e.g. check_x(my_function), not check_x(my_function(...)).",
        )
    seconds = _timeout_seconds(timeout)
    args = tuple(_copied(a) for a in args)
    kwargs = {k: _copied(v) for k, v in (kwargs or {}).items()}
    try:
        if _signals_usable():
            with time_limit(seconds):
                result = fn(*args, **kwargs)
        else:
            result = _run_in_thread(fn, args, kwargs, seconds)
    except LearnerTimeout as exc:
        return None, _timeout_feedback(name, exc)
    except NotImplementedError:
        return None, Feedback(
            False,
            f"{name} is not written yet: replace the `raise NotImplementedError` with your code.",
        )
    except RecursionError:
        return None, Feedback(
            False,
            f"{name} calls itself without end (RecursionError). Does it call itself instead "
            "of a helper, or miss the case that stops the recursion?",
        )
    except Exception as exc:  # any learner error becomes advice
        return None, Feedback(
            False,
            f"{name} raised {type(exc).__name__}: {_short(str(exc), 300)} ({_learner_line(exc)}). "
            + _advice(exc),
        )
    if result is None:
        return None, Feedback(
            False, f"{name} returned None: did you forget the `return` statement?"
        )
    return result, None


# --------------------------------------------------------------------------- reading answers


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _kind(value: Any) -> str:
    article = "an" if type(value).__name__[:1].lower() in "aeiou" else "a"
    return f"{article} {type(value).__name__}"


def as_array(
    value: Any, name: str = "your answer", *, ndim: int | None = None
) -> tuple[np.ndarray | None, Feedback | None]:
    """Turn a learner's array, tensor, number or nested list into a float array, or explain why not.

    Never raises: None, tuples, generators, strings, dicts, ragged lists, numbers too large for
    a float, objects whose ``__float__`` fails, complex and half-precision tensors all get a
    message. With ``ndim`` a single number (or a wrong rank) is reported too.
    """
    try:
        return _as_array(value, name, ndim)
    except Exception as exc:  # pragma: no cover - the last line of defence
        return None, Feedback(
            False,
            f"{name} ({_kind(value)}) could not be read as an array of numbers "
            f"({type(exc).__name__}: {_short(str(exc), 200)}).",
        )


def _as_array(value: Any, name: str, ndim: int | None) -> tuple[np.ndarray | None, Feedback | None]:
    if value is None:
        return None, Feedback(False, f"{name} is None: did you forget the `return` statement?")
    if isinstance(value, tuple):
        return None, Feedback(
            False,
            f"{name} is a tuple of {len(value)} items; return just the one result the exercise "
            "asks for, not a tuple (e.g. only the output, not (output, weights)).",
        )
    if isinstance(value, (str, bytes)):
        return None, Feedback(
            False, f"{name} is a string ({_short(repr(value), 40)}), not an array of numbers."
        )
    if isinstance(value, dict):
        return None, Feedback(
            False,
            f"{name} is a dict, not an array: return the array itself, not a dict that holds it.",
        )
    if isinstance(value, (types.GeneratorType, Iterator)) or (
        hasattr(value, "__next__") and not hasattr(value, "__len__")
    ):
        return None, Feedback(
            False,
            f"{name} is {_kind(value)} (produced lazily, e.g. by `yield`, map(...) or a "
            "generator expression): build the whole result, e.g. np.array([...]) or list(...).",
        )
    if callable(value) and not hasattr(value, "__array__"):
        return None, Feedback(
            False, f"{name} is a function: return the result of calling it, not the function."
        )
    if hasattr(value, "detach") and hasattr(value, "dtype"):  # a torch tensor
        tensor = value.detach().cpu()
        if tensor.is_complex():
            return None, Feedback(False, f"{name} holds complex numbers; it should be real.")
        if tensor.dtype.is_floating_point and tensor.dtype.itemsize < 4:
            tensor = tensor.float()  # bfloat16 and float16 cannot become numpy directly
        value = tensor.numpy()
    try:
        with np.errstate(all="ignore"):
            arr = np.asarray(value, dtype=float)
    except OverflowError:
        return None, Feedback(
            False,
            f"{name} contains a number too large for a float (beyond 1.8e308): look for an "
            "integer power or factorial that grows without bound.",
        )
    except (TypeError, ValueError) as exc:
        if "inhomogeneous" in str(exc) or "sequence" in str(exc):
            return None, Feedback(
                False,
                f"{name} is a ragged list (its rows have different lengths): every row must "
                "have the same length.",
            )
        return None, Feedback(
            False, f"{name} is {_kind(value)}, which is not an array of numbers ({exc})."
        )
    except Exception as exc:  # e.g. an object whose __float__ raises
        return None, Feedback(
            False,
            f"{name} holds something that cannot be read as a number ({type(exc).__name__}: "
            f"{_short(str(exc), 200)}). Return plain numbers, a numpy array or a tensor.",
        )
    if ndim is not None and arr.ndim != ndim:
        what = "a single number" if arr.ndim == 0 else f"a {arr.ndim}-D array of shape {arr.shape}"
        return None, Feedback(False, f"{name} is {what}; it should be a {ndim}-D array.")
    finite = np.isfinite(arr)
    if not np.all(finite):
        first = tuple(int(i) for i in np.argwhere(~finite)[0]) if arr.ndim else ()
        at = f" (first at index {first})" if first else ""
        return None, Feedback(
            False,
            f"{name} contains NaN or inf{at}: look for a division by zero, a log of 0, an "
            "exp overflow, or a row whose every score is -inf (a fully masked row).",
        )
    return arr, None


def compare(
    got: np.ndarray,
    expected: np.ndarray,
    name: str = "your answer",
    atol: float = 1e-6,
    rtol: float = 1e-5,
) -> Feedback | None:
    """None when ``got`` matches ``expected`` in shape and value; else a Feedback saying how not."""
    if got.shape != expected.shape:
        return Feedback(False, f"{name} has shape {got.shape}, expected {expected.shape}.")
    if not np.allclose(got, expected, atol=atol, rtol=rtol):
        worst = float(np.max(np.abs(got - expected)))
        return Feedback(
            False, f"{name} has the right shape but wrong values (largest difference {worst:.3g})."
        )
    return None


def first_match(got: np.ndarray, candidates: dict[str, Callable[[], np.ndarray]]) -> str | None:
    """The message of the first known mistake whose result equals ``got``, if any."""
    for message, make in candidates.items():
        try:
            wrong = np.asarray(make(), dtype=float)
        except Exception:  # a candidate that cannot be built simply does not match
            continue
        if wrong.shape == got.shape and np.allclose(got, wrong, atol=1e-6, rtol=1e-5):
            return message
    return None


def wrong_answer(
    got: np.ndarray,
    expected: np.ndarray,
    mistakes: dict[str, Callable[[], np.ndarray]],
    description: str,
    what: str,
    shape_advice: str = "",
    lead: str = "",
    rule: str = "",
) -> Feedback:
    """Why ``got`` (which does not match ``expected``) is wrong, said ``On {description}: …``.

    The advice of the first known mistake it equals; else, with ``shape_advice``, a wrong
    shape; else where its values differ, followed by ``rule``. ``lead`` opens the sentence.
    """
    hint = first_match(got, mistakes)
    if hint:
        return Feedback(False, f"On {description}: {lead}{hint}")
    if shape_advice and got.shape != expected.shape:
        return Feedback(
            False,
            f"On {description} {what} has shape {got.shape} but should have shape "
            f"{expected.shape}: {shape_advice}",
        )
    return Feedback(False, f"On {description}: {lead}{compare(got, expected, what).message}{rule}")


def check_array_cases(
    fn: Any,
    cases: Sequence[tuple[str, tuple]],
    reference: Callable[..., np.ndarray],
    mistakes: Callable[..., dict],
    *,
    name: str,
    what: str,
    shape_advice: str,
    later_failure_advice: str,
) -> Feedback | None:
    """Run ``fn`` on each case (an easy one first); None when every answer matches ``reference``.

    Otherwise the Feedback names the first problem: an error (with ``later_failure_advice``
    when only a later, harder case fails: "it works for <the first case> but fails for …"), a
    known mistake from ``mistakes(*args)``, a wrong shape (with ``shape_advice``) or wrong values.
    """
    for k, (description, args) in enumerate(cases):
        result, problem = call_learner(fn, *args, name=name)
        if problem:
            if k > 0:
                return Feedback(
                    False,
                    f"it works for {cases[0][0]} but fails for {description}: {problem.message} "
                    + later_failure_advice,
                )
            return problem
        got, problem = as_array(result, what)
        if problem:
            return problem
        expected = np.asarray(reference(*args), dtype=float)
        if got.shape != expected.shape and got.size == expected.size and expected.ndim == 1:
            got = got.reshape(expected.shape)  # a column or row vector is fine
        if compare(got, expected) is not None:
            return wrong_answer(got, expected, mistakes(*args), description, what, shape_advice)
    return None


# --------------------------------------------------------------------------- the decorator


class _Capture(io.TextIOBase):
    """A stdout/stderr stand-in that keeps the first lines and the last few, and counts the rest."""

    def __init__(self) -> None:
        self.head: list[str] = []
        self.tail: list[str] = []
        self.lines = 0
        self._partial = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        text = str(text)
        self._partial += text
        *complete, self._partial = self._partial.split("\n")
        for line in complete:
            self._add(line)
        if len(self._partial) > _PRINT_CHARS:  # one endless line
            self._add(self._partial)
            self._partial = ""
        return len(text)

    def _add(self, line: str) -> None:
        self.lines += 1
        line = _short(line, 200)
        if len(self.head) < _PRINT_LINES - 2:
            self.head.append(line)
        else:
            self.tail = (self.tail + [line])[-2:]

    def text(self) -> str:
        """The printed lines, shortened to at most ``_PRINT_LINES`` lines."""
        if self._partial:
            self._add(self._partial)
            self._partial = ""
        hidden = self.lines - len(self.head) - len(self.tail)
        lines = list(self.head)
        if hidden > 0:
            lines.append(f"… ({hidden} more lines not shown; {self.lines} lines in all) …")
        lines += self.tail
        return _short("\n".join(lines), _PRINT_CHARS)


def _record(number: str, item: str, feedback: Feedback) -> None:
    """Write the verdict to the progress file, if the progress module exists; never raise."""
    try:
        from course_utils import progress
    except ImportError:
        return
    try:
        kind = getattr(progress, "EXERCISE", "exercise")
        progress.record(kind, number, item, passed=bool(feedback.passed))
    except Exception:  # progress is a convenience: a full disk must not break a check
        pass


def checker(number: str, *, seconds: float | None = None) -> Callable:
    """Decorate a ``check_*`` of notebook ``number`` ("04"): it never raises, prints once, records.

    The learner's prints during the check are captured and shown once, shortened, after the
    verdict; any internal error becomes a Feedback; the whole check gets at most
    ``seconds`` (default 1.6 × the per-call limit), which also stops an endless loop
    in a learner function that the checker called directly.
    """

    def decorate(check: Callable[..., Feedback]) -> Callable[..., Feedback]:
        @functools.wraps(check)
        def wrapper(*args: Any, **kwargs: Any) -> Feedback:
            capture = _Capture()
            limit = seconds if seconds is not None else 1.6 * _timeout_seconds()
            try:
                with contextlib.redirect_stdout(capture), contextlib.redirect_stderr(capture):
                    with _limit_whole_check(limit):
                        feedback = check(*args, **kwargs)
                if not isinstance(feedback, Feedback):
                    feedback = Feedback(bool(feedback), str(feedback))
            except LearnerTimeout as exc:
                feedback = _timeout_feedback("your function", exc)
            except TypeError as exc:
                feedback = Feedback(False, _call_advice(check, exc))
            except Exception as exc:
                feedback = Feedback(
                    False,
                    f"the check could not finish on your answer ({type(exc).__name__}: "
                    f"{_short(str(exc), 200)}). Look at what your function returns: its type "
                    "and shape should match the exercise's description.",
                )
            printed = capture.text()
            if printed:
                feedback = dataclasses.replace(feedback, printed=printed)
            _record(number, check.__name__, feedback)
            return feedback

        wrapper.notebook = number
        wrapper.is_checker = True
        return wrapper

    return decorate


def _call_advice(check: Callable, exc: TypeError) -> str:
    """Advice for a TypeError: a wrong call of the checker itself, or an odd answer."""
    frames = traceback.extract_tb(exc.__traceback__)
    if len(frames) <= 2 and ("argument" in str(exc)):
        return (
            f"{check.__name__} was called the wrong way ({exc}). Pass your function itself: "
            f"{check.__name__}(my_function)."
        )
    return (
        f"the check could not finish on your answer (TypeError: {_short(str(exc), 200)}). "
        "Look at what your function returns: its type and shape should match the exercise."
    )


@contextlib.contextmanager
def _limit_whole_check(seconds: float) -> Iterator[None]:
    if _signals_usable():
        with time_limit(seconds):
            yield
    else:
        yield
