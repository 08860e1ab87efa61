"""A small fuzz harness for the public helpers (issue 14): bad input must get a clear message.

``fuzz(fn, valid_kwargs)`` calls ``fn(**valid_kwargs)`` once to be sure the call works, then
replaces each argument in turn by each bad value (a standard list, plus variants derived from
the valid value: another dtype, half precision, a zero-size axis, NaN, a bare string for a list
of strings …) and classifies what happens:

- ``kind``: a ValueError/TypeError raised in course_utils whose message names the argument;
- ``raw``: any other exception, one raised inside torch/numpy/Python, or a message that does
  not name the argument;
- ``silent``: it returned normally (unless the pair is listed in ``allowed``);
- ``hang``: it did not return within ``timeout`` seconds;
- ``accepted``: it returned normally on a variant that means the same value (numpy float64 for
  a float32 tensor, a list for an array …), which is the kind thing to do;
- ``allowed``: it returned normally, and ``allowed`` says that is the documented result.

``assert_all_kind(report)`` fails with a readable list of every raw, silent and hang case::

    from fuzz import fuzz, assert_all_kind
    report = fuzz(attention, {"Q": Q, "K": K, "V": V}, allowed=[("mask", "None")])
    assert_all_kind(report)
"""

from __future__ import annotations

import copy
import math
import os
import traceback
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

import course_utils
from course_utils.checks._core import LearnerTimeout, time_limit

PACKAGE_DIR = os.path.dirname(os.path.abspath(course_utils.__file__))
FAILURES = ("raw", "silent", "hang")


class WrongClass:
    """An object of a class no helper expects."""

    def __repr__(self) -> str:
        return "WrongClass()"


def _generator():
    yield from (1, 2, 3)


# label -> factory (a fresh value per call: generators and lists can be consumed or mutated)
BAD_VALUES: dict[str, Callable[[], Any]] = {
    "None": lambda: None,
    "True": lambda: True,
    "False": lambda: False,
    "str": lambda: "abc",
    "sentence str": lambda: "the fox hides",
    "empty str": lambda: "",
    "bytes": lambda: b"abc",
    "empty list": lambda: [],
    "list of str": lambda: ["the", "fox"],
    "mixed list": lambda: [1, "a", None],
    "ragged list": lambda: [[1.0, 2.0], [3.0]],
    "dict": lambda: {"a": 1},
    "set": lambda: {1, 2},
    "generator": _generator,
    "function": lambda: print,
    "WrongClass()": WrongClass,
    "nn.Linear": lambda: torch.nn.Linear(2, 2),
    "0": lambda: 0,
    "-1": lambda: -1,
    "10**400": lambda: 10**400,
    "2.5": lambda: 2.5,
    "0.0": lambda: 0.0,
    "-0.5": lambda: -0.5,
    "nan": lambda: math.nan,
    "inf": lambda: math.inf,
    "-inf": lambda: -math.inf,
    "1e308": lambda: 1e308,
    "complex": lambda: 1 + 2j,
    "np 0-d": lambda: np.array(1.0),
    "np float64 (2, 3)": lambda: np.random.default_rng(0).normal(size=(2, 3)),
    "np float16 (2, 3)": lambda: np.ones((2, 3), dtype=np.float16),
    "np int (2, 3)": lambda: np.arange(6).reshape(2, 3),
    "np bool (2, 3)": lambda: np.ones((2, 3), dtype=bool),
    "np empty": lambda: np.zeros(0),
    "np zero-size dim (2, 0, 3)": lambda: np.zeros((2, 0, 3)),
    "np nan (2, 3)": lambda: np.full((2, 3), np.nan),
    "np str array": lambda: np.array(["a", "b"]),
    "torch float32 (2, 3)": lambda: torch.ones(2, 3),
    "torch float16 (2, 3)": lambda: torch.ones(2, 3, dtype=torch.float16),
    "torch bfloat16 (2, 3)": lambda: torch.ones(2, 3, dtype=torch.bfloat16),
    "torch long (2, 3)": lambda: torch.arange(6).reshape(2, 3),
    "torch bool (2, 3)": lambda: torch.ones(2, 3, dtype=torch.bool),
    "torch complex (2, 3)": lambda: torch.ones(2, 3, dtype=torch.complex64),
    "torch empty": lambda: torch.zeros(0),
    "torch zero-size dim (2, 0, 4)": lambda: torch.zeros(2, 0, 4),
}


def derived_values(value: Any) -> list[tuple[str, Callable[[], Any], bool]]:
    """Bad (or merely different) variants of a valid ``value``: (label, factory, same_meaning).

    ``same_meaning`` marks variants a kind helper may accept (another float dtype or container
    for the same numbers); returning normally on them counts as ``accepted``, not ``silent``.
    """
    out: list[tuple[str, Callable[[], Any], bool]] = []
    if isinstance(value, torch.Tensor) and value.numel():
        t = value.detach()
        if t.is_floating_point():
            out += [
                ("same values as numpy float64", lambda: t.double().numpy(), True),
                ("same values as float64 tensor", lambda: t.double(), True),
                ("same values as float32 tensor", lambda: t.float(), True),
                ("same values as float16 tensor", lambda: t.half(), True),
                ("same values as bfloat16 tensor", lambda: t.bfloat16(), True),
                ("same values as nested list", lambda: t.tolist(), True),
                ("with a NaN", lambda: _with_nan(t), False),
                ("with an inf", lambda: _with(t, math.inf), False),
            ]
        if t.ndim:
            out += [
                ("zero-size last axis", lambda: t[..., :0].clone(), False),
                ("one axis fewer", lambda: t[0].clone(), False),
                ("one axis more", lambda: t[None, None].clone(), False),
            ]
        if t.dtype == torch.bool:
            out.append(("as float 0/1", lambda: t.float(), False))
        elif not t.is_floating_point():
            out += [
                ("same ids as numpy", lambda: t.numpy().copy(), True),
                ("as float", lambda: t.float(), False),
                ("out of range (+1000)", lambda: t + 1000, False),
                ("negative", lambda: t - 1000, False),
            ]
    elif isinstance(value, np.ndarray) and value.size:
        a = value
        if a.dtype.kind == "f":
            out += [
                (
                    "same values as torch float32",
                    lambda: torch.from_numpy(a.astype(np.float32)),
                    True,
                ),
                ("same values as float32 array", lambda: a.astype(np.float32), True),
                ("same values as nested list", lambda: a.tolist(), True),
                ("with a NaN", lambda: _with_nan(a), False),
                ("with an inf", lambda: _with(a, np.inf), False),
            ]
        if a.ndim:
            out += [
                ("zero-size last axis", lambda: a[..., :0].copy(), False),
                ("one axis fewer", lambda: a[0].copy(), False),
                ("one axis more", lambda: a[None, None].copy(), False),
            ]
        if a.dtype == bool:
            out.append(("as float 0/1", lambda: a.astype(float), False))
    elif isinstance(value, bool):
        out.append(("the int 1", lambda: 1, False))
    elif isinstance(value, int):
        out += [
            ("as float", lambda: float(value), False),
            ("as str", lambda: str(value), False),
            ("negative", lambda: -abs(value) - 1, False),
            ("huge", lambda: 10**12, False),
        ]
    elif isinstance(value, float):
        out += [
            ("as str", lambda: str(value), False),
            ("negative", lambda: -abs(value) - 1.0, False),
            ("as numpy float32", lambda: np.float32(value), True),
        ]
    elif isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
        out += [
            ("the first string alone", lambda: value[0], False),
            ("joined into one string", lambda: " ".join(value), False),
            ("as tuple", lambda: tuple(value), True),
            ("with a None inside", lambda: [*value, None], False),
        ]
    elif isinstance(value, str):
        out += [
            ("wrapped in a list", lambda: [value], False),
            ("as bytes", lambda: value.encode(), False),
        ]
    return out


def _with(x: Any, v: float) -> Any:
    y = x.clone() if isinstance(x, torch.Tensor) else x.astype(float).copy()
    y.reshape(-1)[0] = v
    return y


def _with_nan(x: Any) -> Any:
    return _with(x, math.nan)


@dataclass
class Case:
    """One call: which argument got which bad value, and what happened."""

    arg: str
    label: str
    outcome: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.arg}={self.label}: {self.outcome}" + (
            f" — {self.detail}" if self.detail else ""
        )


@dataclass
class Report:
    """Everything ``fuzz`` tried on one function."""

    name: str
    cases: list[Case] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return dict(Counter(c.outcome for c in self.cases))

    def failures(self) -> list[Case]:
        return [c for c in self.cases if c.outcome in FAILURES]

    def __str__(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(self.counts().items()))
        lines = [f"{self.name}: {len(self.cases)} bad inputs ({counts})"]
        lines += [f"  {c}" for c in self.failures()]
        return "\n".join(lines)


def _origin(exc: BaseException) -> str:
    """Where the exception was raised: the innermost frame's file (shortened) and line."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    path = os.path.abspath(last.filename)
    short = (
        os.path.relpath(path, os.path.dirname(PACKAGE_DIR))
        if path.startswith(PACKAGE_DIR)
        else (path.split("site-packages/")[-1])
    )
    return f"{short}:{last.lineno}"


def _raised_in_course_utils(exc: BaseException) -> bool:
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and os.path.abspath(frames[-1].filename).startswith(PACKAGE_DIR)


def _is_allowed(arg: str, label: str, allowed: Iterable[Any]) -> bool:
    for entry in allowed:
        if entry == arg or entry == label or entry == (arg, label):
            return True
    return False


def _copy(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, np.ndarray):
        return value.copy()
    try:
        return copy.deepcopy(value)
    except Exception:  # modules with hooks, generators …: share them
        return value


def classify(
    fn: Callable[..., Any],
    kwargs: dict[str, Any],
    arg: str,
    mention: str,
    *,
    timeout: float,
    same_meaning: bool,
    allowed: bool,
) -> tuple[str, str]:
    """(outcome, detail) of one call ``fn(**kwargs)`` where ``arg`` holds the bad value."""
    try:
        with time_limit(timeout):
            fn(**kwargs)
    except LearnerTimeout:
        return "hang", f"no answer within {timeout:g} s"
    except (ValueError, TypeError) as exc:
        message = str(exc)
        where = _origin(exc)
        if not _raised_in_course_utils(exc):
            return "raw", f"{type(exc).__name__} from {where}: {message[:160]}"
        if mention not in message:
            return "raw", f"{type(exc).__name__} does not name {mention!r}: {message[:160]}"
        return "kind", f"{type(exc).__name__}: {message[:120]}"
    except Exception as exc:  # any other exception is a raw traceback for a learner
        return "raw", f"{type(exc).__name__} from {_origin(exc)}: {str(exc)[:160]}"
    if same_meaning:
        return "accepted", ""
    if allowed:
        return "allowed", ""
    return "silent", "returned normally"


def fuzz(
    fn: Callable[..., Any],
    valid_kwargs: dict[str, Any],
    *,
    allowed: Iterable[Any] = (),
    only: Iterable[str] | None = None,
    mention: dict[str, str] | None = None,
    bad_values: dict[str, Callable[[], Any]] | None = None,
    derived: bool = True,
    timeout: float = 3.0,
    name: str | None = None,
) -> Report:
    """Call ``fn`` with each argument of ``valid_kwargs`` in turn replaced by each bad value.

    - ``allowed``: argument names, bad-value labels or ``(arg, label)`` pairs for which
      returning normally is the documented, legitimate result;
    - ``only``: fuzz these arguments only (the others keep their valid values);
    - ``mention``: the word a message must contain for an argument (default: its name);
    - ``bad_values``: replaces the standard ``BAD_VALUES``; ``derived`` adds the variants of
      each valid value (``derived_values``).
    """
    name = name or getattr(fn, "__qualname__", repr(fn))
    with time_limit(max(timeout, 10.0)):
        fn(**{k: _copy(v) for k, v in valid_kwargs.items()})  # the valid call must work
    allowed = list(allowed)
    mention = mention or {}
    report = Report(name)
    for arg in only if only is not None else valid_kwargs:
        candidates = [(label, make, False) for label, make in (bad_values or BAD_VALUES).items()]
        if derived:
            candidates += derived_values(valid_kwargs[arg])
        for label, make, same in candidates:
            kwargs = {k: _copy(v) for k, v in valid_kwargs.items()}
            try:
                kwargs[arg] = make()
            except Exception:  # a variant that cannot be built for this value
                continue
            outcome, detail = classify(
                fn,
                kwargs,
                arg,
                mention.get(arg, arg),
                timeout=timeout,
                same_meaning=same,
                allowed=_is_allowed(arg, label, allowed),
            )
            report.cases.append(Case(arg, label, outcome, detail))
    return report


def public_callables(module: Any) -> list[str]:
    """Names of the public functions and classes ``module`` defines (its ``__all__`` if set).

    A fuzz test can assert that it covers all of them, so a new helper is not forgotten.
    """
    import inspect

    names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
    return sorted(
        n
        for n in names
        if (
            inspect.isfunction(getattr(module, n, None))
            or inspect.isclass(getattr(module, n, None))
        )
        and getattr(getattr(module, n), "__module__", "") == module.__name__
    )


def assert_all_kind(*reports: Report) -> None:
    """Fail with a readable list of every raw traceback, silent answer and hang."""
    bad = [r for r in reports if r.failures()]
    if bad:
        total = sum(len(r.failures()) for r in bad)
        raise AssertionError(
            f"{total} bad input(s) not met with a clear message:\n" + "\n".join(str(r) for r in bad)
        )


def summary(*reports: Report) -> dict[str, int]:
    """Outcome counts over several reports (for a closing note: before/after)."""
    total: Counter = Counter()
    for r in reports:
        total.update(r.counts())
    return dict(total)
