"""One validation path for every public helper: each check returns the cleaned value or raises.

A ``TypeError`` means the argument is the wrong kind of thing, a ``ValueError`` that it is the
right kind with a wrong value. Every message names the argument, says what it got and how to
fix it, so a learner can act on it ("d_k must be a positive whole number; got 0 (an int). Pass a
whole number ≥ 1, e.g. d_k=4"). A mechanism function starts with at most one validating line::

    Q, K, V = qkv(Q, K, V)            # topic section below
    steps = positive_int(steps, "steps")

Topic-specific validators live at the end of this file, one section per topic.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "describe",
    "float_array",
    "float_tensor",
    "fraction",
    "instance_of",
    "non_negative_int",
    "one_of",
    "positive_float",
    "positive_int",
    "require",
    "strings",
    "token_ids",
]


def describe(value: Any, limit: int = 60) -> str:
    """A short 'what you passed' text: the value (shortened) and its type, or an array's shape."""
    shape, dtype = getattr(value, "shape", None), getattr(value, "dtype", None)
    if shape is not None and dtype is not None and not isinstance(value, (numbers.Number,)):
        kind = "torch tensor" if type(value).__module__.startswith("torch") else "numpy array"
        if type(value).__module__.startswith("torch") or isinstance(value, np.ndarray):
            return f"a {kind} of shape {tuple(shape)} and dtype {str(dtype).replace('torch.', '')}"
    try:
        text = repr(value)
    except Exception:  # a repr that raises still gets a description
        text = f"<{type(value).__name__} object>"
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    article = "an" if type(value).__name__[:1].lower() in "aeiou" else "a"
    return f"{text} ({article} {type(value).__name__})"


def require(condition: Any, message: str, exc: type[Exception] = ValueError) -> None:
    """Raise ``exc(message)`` unless ``condition`` holds: for one-off checks with a custom text."""
    if not condition:
        raise exc(message)


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _whole(value: Any, name: str, minimum: int, example: int) -> int:
    if not _is_int(value):
        fix = f"Pass a whole number ≥ {minimum}, e.g. {name}={example}"
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            fix = f"Write it without the decimal point: {name}={int(value)}"
        raise TypeError(f"{name} must be a whole number; got {describe(value)}. {fix}.")
    if value < minimum:
        raise ValueError(
            f"{name} must be a whole number ≥ {minimum}; got {value}. "
            f"Pass e.g. {name}={max(example, minimum)}."
        )
    return int(value)


def positive_int(value: Any, name: str) -> int:
    """``value`` as an int ≥ 1 (bools, floats and strings are rejected)."""
    return _whole(value, name, 1, 4)


def non_negative_int(value: Any, name: str) -> int:
    """``value`` as an int ≥ 0 (bools, floats and strings are rejected)."""
    return _whole(value, name, 0, 0)


def _real(value: Any, name: str, example: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.number)):
        hint = ""
        if isinstance(value, str):
            hint = " (a number in quotes is a string: drop the quotes)"
        raise TypeError(
            f"{name} must be a number; got {describe(value)}{hint}. Pass e.g. {example}."
        )
    try:
        number = float(value)
    except (OverflowError, TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be a finite number; got {describe(value)} ({exc})."
        ) from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number; got {number}. Pass e.g. {example}.")
    return number


def positive_float(value: Any, name: str, *, allow_zero: bool = False) -> float:
    """``value`` as a finite float > 0 (≥ 0 with ``allow_zero``); nan, inf, str and bool rejected."""
    example = f"{name}=0.01"
    number = _real(value, name, example)
    if number < 0 or (number == 0 and not allow_zero):
        bound = "≥ 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a number {bound}; got {number:g}. Pass e.g. {example}.")
    return number


def fraction(value: Any, name: str) -> float:
    """``value`` as a float in [0, 1) (a dropout or masking rate)."""
    number = _real(value, name, f"{name}=0.1")
    if not 0 <= number < 1:
        raise ValueError(
            f"{name} is a rate and must lie in [0, 1); got {number:g}. "
            f"Pass e.g. {name}=0.1 (10 %), not a percentage."
        )
    return number


def one_of(value: Any, name: str, options: Iterable[Any]) -> Any:
    """``value`` if it equals one of ``options``; else a ValueError listing them."""
    options = list(options)
    for option in options:
        try:
            if type(value) is type(option) and value == option:
                return value
        except Exception:  # an odd __eq__ simply does not match
            continue
    listed = ", ".join(repr(o) for o in options)
    raise ValueError(f"{name} must be one of {listed}; got {describe(value)}.")


def instance_of(value: Any, name: str, cls: type | tuple[type, ...], hint: str = "") -> Any:
    """``value`` if it is a ``cls``; else a TypeError naming the expected class (and ``hint``)."""
    if isinstance(value, cls):
        return value
    classes = cls if isinstance(cls, tuple) else (cls,)
    wanted = " or ".join(c.__name__ for c in classes)
    raise TypeError(
        f"{name} must be a {wanted}; got {describe(value)}." + (f" {hint}" if hint else "")
    )


def strings(value: Any, name: str, *, allow_empty: bool = False) -> list[str]:
    """``value`` as a list of str; a bare str is rejected (it would be read letter by letter)."""
    if isinstance(value, str):
        raise TypeError(
            f"{name} must be a list of strings; got one string {describe(value, 40)}, which would "
            f"be read letter by letter. Wrap it in a list: [{value[:30]!r}]."
        )
    if isinstance(value, (bytes, dict)) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a list of strings; got {describe(value)}.")
    items = list(value)
    for k, item in enumerate(items):
        if not isinstance(item, str):
            raise TypeError(
                f"{name} must be a list of strings; item {k} is {describe(item)}. "
                "Convert it with str(...) or remove it."
            )
    if not items and not allow_empty:
        raise ValueError(f"{name} is empty; give at least one string, e.g. ['the fox hides'].")
    return items


def _check_ndim(shape: Sequence[int], name: str, ndim: int | Sequence[int] | None) -> None:
    if ndim is None:
        return
    allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    if len(shape) not in allowed:
        wanted = " or ".join(str(n) for n in allowed)
        raise ValueError(
            f"{name} must have {wanted} dimension(s); got shape {tuple(shape)} "
            f"({len(shape)} dimension(s)). Add or remove an axis (x[None], x.squeeze(0))."
        )


def _check_not_empty(shape: Sequence[int], name: str) -> None:
    if any(int(s) == 0 for s in shape):
        axis = [int(s) for s in shape].index(0)
        raise ValueError(
            f"{name} has shape {tuple(int(s) for s in shape)}: axis {axis} is empty. "
            "Every axis needs at least one entry."
        )


_RAGGED = (
    "{name} is not a rectangular array of numbers (rows of different lengths, or objects "
    "inside); got {got}. Make every row the same length."
)


def _as_numpy(x: Any, name: str) -> np.ndarray:
    """``np.asarray(x)``, with a message for ragged lists and objects that are not numbers."""
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError, OverflowError):
        raise ValueError(_RAGGED.format(name=name, got=describe(x))) from None
    if arr.dtype == object:
        raise ValueError(_RAGGED.format(name=name, got=describe(x)))
    return arr


def float_array(
    x: Any,
    name: str,
    *,
    ndim: int | Sequence[int] | None = None,
    finite: bool = True,
    allow_empty: bool = False,
) -> np.ndarray:
    """``x`` (numpy array, torch tensor, nested list or number) as a float64 numpy array."""
    if x is None or isinstance(x, (str, bytes, dict, set)) or callable(x):
        raise TypeError(f"{name} must be an array of numbers; got {describe(x)}.")
    if hasattr(x, "detach") and hasattr(x, "numpy"):  # a torch tensor
        if x.is_complex():
            raise TypeError(f"{name} must hold real numbers; got {describe(x)}.")
        x = (
            x.detach().cpu().float().numpy()
            if x.dtype in _low_precision()
            else x.detach().cpu().numpy()
        )
    arr = _as_numpy(x, name)
    if arr.dtype.kind == "b":
        raise TypeError(f"{name} must hold numbers; got booleans ({describe(x)}).")
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} must hold real numbers; got complex ({describe(x)}).")
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold numbers; got {describe(x)}.")
    _check_ndim(arr.shape, name, ndim)
    if not allow_empty:
        _check_not_empty(arr.shape, name)
    arr = arr.astype(np.float64)
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf; every entry must be a finite number.")
    return arr


def _low_precision() -> tuple:
    import torch

    return (torch.float16, torch.bfloat16)


def _dtype_of(like: Any):
    """The float dtype (and device) to match: a tensor, a module's parameters or a torch.dtype."""
    import torch

    if like is None:
        return None, None
    if isinstance(like, torch.dtype):
        return like, None
    if isinstance(like, torch.Tensor):
        return like.dtype, like.device
    if isinstance(like, torch.nn.Module):
        for p in like.parameters():
            return p.dtype, p.device
        return torch.get_default_dtype(), None
    raise TypeError(f"like must be a tensor, a module or a torch.dtype; got {describe(like)}")


def float_tensor(
    x: Any,
    name: str,
    *,
    ndim: int | Sequence[int] | None = None,
    like: Any = None,
    finite: bool = True,
    allow_empty: bool = False,
) -> Any:
    """``x`` (tensor, numpy array or nested list) as a real floating torch tensor.

    With ``like`` (a tensor, a module or a dtype) the result gets its dtype and device, so numpy
    float64 meets a float32 module kindly. Without it, float tensors and float numpy arrays keep
    their dtype and integer input becomes torch's default float dtype. Booleans, complex numbers,
    strings, ragged lists, a wrong number of dimensions and zero-size axes are rejected.
    """
    import torch

    dtype, device = _dtype_of(like)
    if x is None or isinstance(x, (str, bytes, dict, set)) or callable(x):
        raise TypeError(f"{name} must be a tensor of numbers; got {describe(x)}.")
    if not isinstance(x, torch.Tensor):
        arr = x if isinstance(x, np.ndarray) else _as_numpy(x, name)
        if arr.dtype.kind not in "biufc":
            raise TypeError(f"{name} must hold numbers; got {describe(x)}.")
        if arr.dtype.kind in "iuf" and not isinstance(x, np.ndarray):  # a list: default dtype
            arr = arr.astype(np.float64 if dtype == torch.float64 else np.float32)
        x = torch.from_numpy(np.ascontiguousarray(arr))
    if x.dtype == torch.bool:
        raise TypeError(
            f"{name} must hold numbers; got a boolean tensor ({describe(x)}). If it is a mask, "
            "pass it as the mask argument; else convert with .float()."
        )
    if x.is_complex():
        raise TypeError(f"{name} must hold real numbers; got {describe(x)}.")
    _check_ndim(x.shape, name, ndim)
    if not allow_empty:
        _check_not_empty(x.shape, name)
    if dtype is not None:
        x = x.to(dtype=dtype, device=device if device is not None else x.device)
    elif not x.is_floating_point():
        x = x.to(torch.get_default_dtype())
    if finite and not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} contains NaN or inf; every entry must be a finite number.")
    return x


def token_ids(
    x: Any, name: str, vocab_size: int, *, ndim: int | Sequence[int] | None = None
) -> Any:
    """``x`` as a torch.long tensor of token ids, each in ``range(vocab_size)``."""
    import torch

    if x is None or isinstance(x, (str, bytes, dict, set)):
        hint = " Turn words into ids with the tokenizer first." if isinstance(x, str) else ""
        raise TypeError(f"{name} must be token ids (whole numbers); got {describe(x)}.{hint}")
    if not isinstance(x, torch.Tensor):
        arr = _as_numpy(x, name)
        if (
            arr.dtype.kind == "f"
            and arr.size
            and np.all(np.isfinite(arr))
            and np.all(arr == np.round(arr))
        ):
            arr = arr.astype(np.int64)
        if arr.dtype.kind not in "iu" and not (arr.dtype.kind == "f" and arr.size == 0):
            raise TypeError(
                f"{name} must hold whole-number token ids; got {describe(x)}. "
                "Token ids index the vocabulary: use integers (dtype long)."
            )
        x = torch.from_numpy(np.ascontiguousarray(arr.astype(np.int64)))
    if x.dtype == torch.bool or x.is_floating_point() or x.is_complex():
        raise TypeError(
            f"{name} must hold whole-number token ids; got {describe(x)}. Convert with .long()."
        )
    _check_ndim(x.shape, name, ndim)
    _check_not_empty(x.shape, name)
    x = x.long()
    lo, hi = int(x.min()), int(x.max())
    if lo < 0 or hi >= vocab_size:
        bad = lo if lo < 0 else hi
        raise ValueError(
            f"{name} holds the id {bad}, outside the vocabulary (ids 0 … {vocab_size - 1}). "
            "Encode with the same tokenizer as the model, or enlarge vocab_size."
        )
    return x


# ---------------------------------------------------------------------------------------------
# Topic validators: one section per topic, appended by its owner with small edits.
# ---------------------------------------------------------------------------------------------

# --- rnn (01) ---

# --- bahdanau (02) ---

# --- self_attention (03) ---

# --- attention (04) ---

# --- scaling (05) ---

# --- transformer (06) ---

# --- cost (07) ---

# --- bert (08) ---
