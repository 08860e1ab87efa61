"""Claims: every empirical conclusion of the course, stated with its bound and checked.

A **claim** is a sentence the notebook's experiment proves, with the measured value(s) and
the bound that makes the sentence true::

    claim("02.attention-long", "With attention, per-token accuracy at length 20 stays ≥ 0.9",
          acc_attention, at_least=0.9, fmt="{:.2f}")
    # ✔ 02.attention-long — With attention, … (measured 0.98; bound ≥ 0.9)

    claim("06.heads-order", "16 heads end with a lower loss than 1 head", holds=loss16 < loss1)

A **demonstration** shows something that holds by construction (rows sum to one); it is
checked and printed, but it is not a claim and is not in the ledger::

    demo("Every row of weights sums to one", np.allclose(weights.sum(-1), 1))

A claim that does not hold raises ``AssertionError`` with the sentence, the value and the
bound. When ``$COURSE_CLAIMS_FILE`` is set (``tools/claims.py run`` does this), each claim
also appends one JSON line to that file: id, notebook, sentence, bound, value(s), passed,
margin and seed. The ledger, ``docs/claims.md``, is built from those lines.

The **margin** says how surely a claim held: how far its worst value is from the bound, as a
fraction of the bound (absolute when the bound is 0). Negative means it failed.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from collections.abc import Iterable

ID_PATTERN = re.compile(r"^\d\d\.[a-z0-9]+(?:-[a-z0-9]+)*$")
CLAIMS_FILE_VAR = "COURSE_CLAIMS_FILE"
KEEP_GOING_VAR = "COURSE_CLAIMS_KEEP_GOING"  # ledger runs: record a failed claim, do not stop
LISTED = 8  # a sequence of up to this many values is printed in full, longer ones as min–max

__all__ = ["claim", "demo", "margin"]


def _seed() -> int:
    """The seed this run uses: ``$COURSE_SEED`` or the course's default."""
    from course_utils.reproducibility import default_seed

    return default_seed()


def _values(value, name: str) -> list[float]:
    """A scalar or a sequence (list, tuple, numpy array, tensor) as a list of floats."""
    if hasattr(value, "detach"):  # a torch tensor, without importing torch here
        value = value.detach().cpu()
    if hasattr(value, "tolist") and not isinstance(value, str):
        value = value.tolist()
    items = list(_flatten(value)) if isinstance(value, Iterable) else [value]
    if not items:
        raise ValueError(f"claim {name!r}: the measured value is empty; pass at least one number")
    out = []
    for item in items:
        if isinstance(item, bool) or isinstance(item, str) or item is None:
            raise TypeError(
                f"claim {name!r}: the measured value must be a number or a sequence of numbers, "
                f"got {item!r}; for an ordering pass holds=<bool> instead"
            )
        try:
            out.append(float(item))
        except (TypeError, ValueError):
            raise TypeError(
                f"claim {name!r}: cannot read {item!r} ({type(item).__name__}) as a number"
            ) from None
    return out


def _flatten(value):
    for item in value:
        if isinstance(item, Iterable) and not isinstance(item, str):
            yield from _flatten(item.tolist() if hasattr(item, "tolist") else item)
        else:
            yield item


def _bound_value(value, name: str, which: str) -> float | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        and not hasattr(value, "__float__")
    ):
        raise TypeError(f"claim {name!r}: {which} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"claim {name!r}: {which} must be finite, got {value!r}")
    return value


def _as_bool(holds, what: str) -> bool:
    """True/False, numpy bool or a 0-d bool tensor/array as a bool; anything else is a slip."""
    if getattr(holds, "ndim", None) == 0 and hasattr(holds, "item"):
        holds = holds.item()
    if type(holds).__name__ not in ("bool", "bool_"):
        raise TypeError(
            f"{what}: the condition must be True or False, got {type(holds).__name__}; "
            "for an array use np.all(...), np.allclose(...) or .all()"
        )
    return bool(holds)


def margin(values: list[float], at_least: float | None, at_most: float | None) -> float:
    """How far the worst value is from the bound, as a fraction of the bound (absolute if 0).

    Positive: the claim holds with that much room; negative: it fails. nan values give -inf.
    """

    def room(diff: float, bound: float) -> float:
        return diff / abs(bound) if bound != 0 else diff

    worst = math.inf
    for v in values:
        if math.isnan(v):
            return -math.inf
        if at_least is not None:
            worst = min(worst, room(v - at_least, at_least))
        if at_most is not None:
            worst = min(worst, room(at_most - v, at_most))
    return worst


def _fmt(value: float, fmt: str | None) -> str:
    try:
        return (fmt or "{:.3g}").format(value)
    except (ValueError, TypeError):
        return f"{value:.3g}"


def _bound_text(at_least: float | None, at_most: float | None) -> str:
    if at_least is not None and at_most is not None:
        return f"{at_least:g} ≤ value ≤ {at_most:g}"
    if at_least is not None:
        return f"≥ {at_least:g}"
    return f"≤ {at_most:g}"


def _measured_text(values: list[float], fmt: str | None) -> str:
    if len(values) == 1:
        return _fmt(values[0], fmt)
    if len(values) <= LISTED:
        return "[" + ", ".join(_fmt(v, fmt) for v in values) + "]"
    return f"{_fmt(min(values), fmt)} to {_fmt(max(values), fmt)} over {len(values)} values"


def _record(entry: dict) -> None:
    """Append one JSON line to ``$COURSE_CLAIMS_FILE`` when a ledger run asked for it."""
    path = os.environ.get(CLAIMS_FILE_VAR, "").strip()
    if not path:
        return
    entry = {**entry, "seed": _seed()}
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False, allow_nan=True) + "\n")
    except OSError as exc:  # the claim itself still holds or fails as usual
        print(f"(could not record claim {entry['id']} in {path}: {exc})", file=sys.stderr)


def claim(
    id: str,
    sentence: str,
    value=None,
    *,
    at_least: float | None = None,
    at_most: float | None = None,
    holds: bool | None = None,
    fmt: str | None = "{:.3g}",
) -> None:
    """State a conclusion, check it, print one line saying it held (or raise if it did not).

    ``value`` is the measured number or a sequence of them (every item must satisfy the
    bound); the bound is ``at_least=``, ``at_most=`` or both. For an ordering or any yes/no
    conclusion pass ``holds=<bool>`` instead (``value`` may then be given for the record).
    ``fmt`` formats the printed value; ``fmt=None`` prints no value (for numbers that differ
    between machines). The id is ``NN.short-slug`` with NN the notebook's number.
    """
    if not isinstance(id, str) or not ID_PATTERN.match(id):
        raise ValueError(
            f"claim id must look like '02.attention-long' (notebook number, a dot, a lower-case "
            f"slug with hyphens), got {id!r}"
        )
    if not isinstance(sentence, str) or not sentence.strip():
        raise ValueError(f"claim {id!r}: the sentence must be a non-empty string")
    if fmt is not None and not isinstance(fmt, str):
        raise TypeError(f"claim {id!r}: fmt must be a format string like '{{:.2f}}' or None")
    at_least = _bound_value(at_least, id, "at_least")
    at_most = _bound_value(at_most, id, "at_most")
    entry: dict = {"id": id, "notebook": id[:2], "sentence": sentence, "fmt": fmt}

    if holds is not None:
        if at_least is not None or at_most is not None:
            raise ValueError(f"claim {id!r}: give either holds= or a bound, not both")
        passed = _as_bool(holds, f"claim {id!r}: holds")
        values = _values(value, id) if value is not None else []
        shown = f"measured {_measured_text(values, fmt)}; " if values and fmt else ""
        detail = f"({shown}holds)" if passed else f"({shown}does not hold)"
        entry.update(kind="holds", bound=None, values=values, passed=passed, margin=None)
    else:
        if at_least is None and at_most is None:
            raise ValueError(
                f"claim {id!r}: give a bound (at_least=, at_most= or both) or holds=<bool>"
            )
        if at_least is not None and at_most is not None and at_least > at_most:
            raise ValueError(f"claim {id!r}: at_least={at_least:g} exceeds at_most={at_most:g}")
        if value is None:
            raise ValueError(f"claim {id!r}: pass the measured value (a number or a sequence)")
        values = _values(value, id)
        m = margin(values, at_least, at_most)
        passed = m >= 0
        bound = _bound_text(at_least, at_most)
        measured = f"measured {_measured_text(values, fmt)}; " if fmt else ""
        detail = f"({measured}bound {bound})"
        entry.update(
            kind="bound",
            bound={"at_least": at_least, "at_most": at_most},
            values=values,
            passed=passed,
            margin=m if math.isfinite(m) else None,
        )

    _record(entry)
    if passed:
        print(f"✔ {id} — {sentence} {detail}")
        return None
    if not fmt and values:  # on failure the number matters more than its stability
        detail = detail.replace("(", f"(measured {_measured_text(values, None)}; ", 1)
    message = f"✘ {id} — {sentence} {detail}: this claim does not hold"
    if os.environ.get(KEEP_GOING_VAR):
        print(message, file=sys.stderr)
        return None
    raise AssertionError(message)


def demo(sentence: str, holds) -> None:
    """Check and print something that holds by construction; a demonstration, not a claim."""
    if not isinstance(sentence, str) or not sentence.strip():
        raise ValueError("demo: the sentence must be a non-empty string")
    if not _as_bool(holds, f"demo {sentence!r}"):
        raise AssertionError(f"✘ demonstration failed — {sentence}")
    print(f"✔ demonstration — {sentence}")
