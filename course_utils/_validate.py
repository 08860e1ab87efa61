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
    """``value`` as a finite float > 0 (≥ 0 with ``allow_zero``); nan, inf, str, bool rejected."""
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
    try:
        items = list(value)
    except TypeError:  # e.g. a 0-d numpy array
        raise TypeError(f"{name} must be a list of strings; got {describe(value)}.") from None
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
            with np.errstate(over="ignore", invalid="ignore"):  # inf is caught below
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

    vocab_size = positive_int(vocab_size, "vocab_size")
    if x is None or isinstance(x, (str, bytes, dict, set)):
        hint = " Turn words into ids with the tokenizer first." if isinstance(x, str) else ""
        raise TypeError(f"{name} must be token ids (whole numbers); got {describe(x)}.{hint}")
    if not isinstance(x, torch.Tensor):
        arr = _as_numpy(x, name)
        if (
            arr.dtype.kind == "f"
            and not isinstance(x, np.ndarray)  # a list of whole floats; arrays keep their type
            and arr.size
            and np.all(np.isfinite(arr))
            and np.all(arr == np.round(arr))
            and np.all(np.abs(arr) < 2**62)
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


def seed(value: Any, name: str = "seed") -> int:
    """A random seed: a whole number in 0 … 2**63 - 1 (what torch.manual_seed accepts)."""
    number = non_negative_int(value, name)
    require(
        number < 2**63,
        f"{name} must be below 2**63 (torch cannot seed with more); got a {len(str(number))}-digit "
        f"number. Pass e.g. {name}=0.",
    )
    return number


def size(value: Any, name: str, limit: int) -> int:
    """A positive whole number no larger than ``limit`` (a layer width, a length, a step count)."""
    number = positive_int(value, name)
    require(
        number <= limit,
        f"{name} must be at most {limit:,} here (the course's models are small, and larger "
        f"values would not fit in memory); got {number if number < 10**12 else 'a huge number'}.",
    )
    return number


def flag(value: Any, name: str) -> bool:
    """``value`` as a bool: True/False (or a numpy bool), nothing else."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name} must be True or False; got {describe(value)}.")


def whole_numbers(values: Any, name: str, *, minimum: int = 0) -> list[int]:
    """A non-empty list (tuple, range, 1-D integer array) of whole numbers ≥ ``minimum``."""
    if hasattr(values, "detach"):  # a torch tensor
        if values.is_floating_point() or values.is_complex() or values.ndim != 1:
            raise TypeError(
                f"{name} must be a list of whole numbers, e.g. [1, 5, 10]; got {describe(values)}."
            )
        values = values.detach().cpu().numpy()
    if isinstance(values, np.ndarray):
        if values.ndim != 1 or values.dtype.kind not in "iu":
            raise TypeError(
                f"{name} must be a list of whole numbers, e.g. [1, 5, 10]; got {describe(values)}."
            )
        values = values.tolist()
    if not isinstance(values, (list, tuple, range)):
        raise TypeError(
            f"{name} must be a list of whole numbers, e.g. [1, 5, 10]; got {describe(values)}."
        )
    require(len(values) > 0, f"{name} is empty; give at least one number, e.g. [1, 5, 10].")
    for v in values:
        if not _is_int(v) or v < minimum:
            raise (TypeError if not _is_int(v) else ValueError)(
                f"{name} must hold whole numbers ≥ {minimum}, e.g. [1, 5, 10]; "
                f"one entry is {describe(v)}."
            )
    return [int(v) for v in values]


def gradient_curves(distances: Any, curves: Any) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Distances (≥ 2, whole numbers) and ``{name: one positive number per distance}``."""
    distances = np.array(whole_numbers(distances, "distances"))
    require(
        distances.size >= 2,
        f"distances must be a list of at least two distances, got {distances.tolist()}",
    )
    if not isinstance(curves, dict) or not curves:
        raise TypeError(
            "curves must be a non-empty dict {'model name': gradient sizes, one per distance}; "
            f"got {describe(curves)}."
        )
    cleaned = {}
    for label, norms in curves.items():
        require(
            isinstance(label, str),
            f"curves' keys must be model names (str); got {label!r}.",
            TypeError,
        )
        arr = float_array(norms, f"curves[{label!r}]", ndim=1)
        require(
            arr.size == distances.size,
            f"curves[{label!r}] has {arr.size} values for {distances.size} distances",
        )
        require(np.all(arr >= 0), f"curves[{label!r}] holds a negative gradient size (≥ 0).")
        cleaned[label] = arr
    return distances, cleaned


def one_distance(value: Any, distances: np.ndarray, name: str = "distance") -> int:
    """One of the measured ``distances``."""
    number = non_negative_int(value, name)
    require(
        number in distances,
        f"{name} {number} was not measured; measured: {distances.tolist()}",
    )
    return number


def _model_and_task(model: Any, task: Any, model_hint: str) -> None:
    """A TypeError unless ``model`` is a course encoder–decoder and ``task`` a SequenceTask."""
    from course_utils.seq2seq import Seq2Seq
    from course_utils.toy_tasks import SequenceTask

    instance_of(model, "model", Seq2Seq, model_hint)
    instance_of(task, "task", SequenceTask, "Pass the task the model was trained on.")


def _lengths(lengths: Any, limit: int) -> list[int]:
    """String lengths: a non-empty list of whole numbers from 1 to ``limit``."""
    lengths = whole_numbers(lengths, "lengths", minimum=1)
    require(max(lengths) <= limit, f"lengths must be at most {limit:,}; got {max(lengths)}.")
    return lengths


_MODEL_HINT = "Build it with make_model('baseline', task) or make_model('attention', task)."


def model_args(kind: Any, task: Any, sizes: dict) -> dict[str, int]:
    """``make_model``'s arguments, checked; the layer sizes (each at most 1024) returned."""
    from course_utils.toy_tasks import SequenceTask

    one_of(kind, "kind", ("baseline", "attention"))
    instance_of(task, "task", SequenceTask, "Build one with SequenceTask('reverse', ...).")
    names = ("emb_dim", "enc_hidden", "dec_hidden", "attn_dim")
    for name in sizes:
        require(
            name in names,
            f"make_model has no argument {name!r}; its layer sizes are {', '.join(names)}.",
            TypeError,
        )
    return {name: size(value, name, 1024) for name, value in sizes.items()}


def training_args(model, task, steps, batch_size, lr, clip, decay, progress, label) -> tuple:
    """The arguments of ``train``, checked: (steps, batch_size, lr, clip, decay, progress)."""
    _model_and_task(model, task, _MODEL_HINT)
    lr = positive_float(lr, "lr")
    require(lr <= 1, f"lr must be at most 1 (Adam diverges far below that); got {lr:g}. Try 0.02.")
    if label is not None:
        instance_of(label, "label", str, "It names the progress bar, e.g. label='no attention'.")
    return (
        size(steps, "steps", 100_000),
        size(batch_size, "batch_size", 10_000),
        lr,
        positive_float(clip, "clip"),
        flag(decay, "decay"),
        flag(progress, "progress"),
    )


def evaluation_args(model, task, lengths, n_per_length, seed_value) -> tuple:
    """The arguments of ``evaluate_by_length``, checked: (lengths, n_per_length, seed)."""
    _model_and_task(model, task, _MODEL_HINT)
    return _lengths(lengths, 10_000), size(n_per_length, "n_per_length", 100_000), seed(seed_value)


def length_explorer_args(model, task, lengths, n_examples, seed_value, length) -> tuple:
    """``make_length_explorer``'s arguments, checked; the slider's first length last."""
    _model_and_task(model, task, "Pass a model from make_model('baseline', task).")
    lengths = _lengths(lengths, 1000)
    first = lengths[0] if length is None else positive_int(length, "length")
    require(first in lengths, f"length {first} is not one of the slider's lengths {lengths}")
    return lengths, size(n_examples, "n_examples", 100), seed(seed_value), first


# --- bahdanau (02) ---


def alignment_example_args(model, task, length, n_examples, seed_value) -> tuple:
    """``alignment_examples``' arguments, checked: (length, n_examples, seed)."""
    from course_utils.toy_tasks import SequenceTask

    require(
        getattr(model, "attention", None) is not None and hasattr(model, "greedy"),
        "this model has no attention to explore: build it with make_model('attention', task)",
    )
    instance_of(task, "task", SequenceTask, "Pass the task the model was trained on.")
    return size(length, "length", 1000), size(n_examples, "n_examples", 1000), seed(seed_value)


def alignment_weights(weights: Any, task_name: Any) -> np.ndarray:
    """``alignment_offsets``' weights as an (n, L, L) float array; task_name one of the tasks."""
    from course_utils.toy_tasks import TASKS

    one_of(task_name, "task_name", TASKS)
    w = float_array(weights, "weights")
    require(
        w.ndim == 3 and w.shape[1] == w.shape[2],
        "weights must have shape (n, L, L) (examples, output steps, source positions); "
        f"got {w.shape}",
    )
    return w


def additive_score_args(s: Any, H: Any, W_a: Any, U_a: Any, v_a: Any) -> tuple:
    """``additive_scores``' five arrays as float arrays; a message names the first misfit."""
    s, v_a = float_array(s, "s", ndim=1), float_array(v_a, "v_a", ndim=1)
    H, W_a, U_a = (float_array(a, n, ndim=2) for a, n in ((H, "H"), (W_a, "W_a"), (U_a, "U_a")))
    require(
        W_a.shape[1] == s.shape[0],
        f"W_a has {W_a.shape[1]} columns but s has {s.shape[0]} entries: W_a @ s needs them equal",
    )
    require(
        U_a.shape[1] == H.shape[1],
        f"each annotation (row of H) has {H.shape[1]} numbers but U_a has {U_a.shape[1]} "
        "columns: U_a @ h_j needs them equal (H is (L, d_h), U_a is (A, d_h))",
    )
    require(
        W_a.shape[0] == U_a.shape[0] == v_a.shape[0],
        "W_a, U_a and v_a must share the attention size A; got "
        f"{W_a.shape[0]}, {U_a.shape[0]}, {v_a.shape[0]}",
    )
    return s, H, W_a, U_a, v_a


def alignment_choice(examples: Any, example: Any = 0, step: Any = None) -> tuple[int, int | None]:
    """An ``alignment_examples`` dict and a valid ``(example, step)`` in it (step may be None)."""
    keys = ("src", "tgt", "pred", "weights", "task")
    if not isinstance(examples, dict) or any(k not in examples for k in keys):
        raise TypeError(
            "examples must be what alignment_examples(model, task, length) returns (a dict with "
            f"{', '.join(keys)}); got {describe(examples)}."
        )
    n, length = np.shape(examples["src"])
    example = non_negative_int(example, "example")
    require(example < n, f"example must be between 0 and {n - 1}, got {example}")
    if step is not None:
        step = non_negative_int(step, "step")
        require(step < length, f"step must be between 0 and {length - 1}, got {step}")
    return example, step


# --- self_attention (03) ---


def token_vectors_qkv(tokens: Any, Q: Any, K: Any, V: Any) -> tuple:
    """Distinct token names and one query, key and value row per token: (tokens, Q, K, V)."""
    tokens = strings(tokens, "tokens")
    require(
        len(set(tokens)) == len(tokens),
        f"tokens must be distinct to be picked by name, got {tokens}",
    )
    Q, K, V = qkv_matrices(Q, K, V)
    require(
        Q.shape[0] == K.shape[0] == len(tokens),
        f"{len(tokens)} tokens but Q, K, V have {Q.shape[0]}, {K.shape[0]}, {V.shape[0]} rows: "
        "self-attention needs one query, key and value per token",
    )
    return tokens, Q, K, V


def qkv_rows(Q: Any, K: Any, V: Any, i: Any) -> tuple:
    """Q, K, V (n, ·) as float arrays with matching rows and d_k, and a row index 0 ≤ i < n."""
    Q, K, V = qkv_matrices(Q, K, V)
    i = non_negative_int(i, "i")
    require(i < Q.shape[0], f"i must pick a query row, 0 to {Q.shape[0] - 1}; got {i}")
    return Q, K, V, i


def permutation(perm: Any, n: int, name: str = "perm") -> np.ndarray:
    """``perm`` as an integer array that reorders n rows: each of 0 … n-1 exactly once."""
    order = whole_numbers(perm, name)
    require(
        sorted(order) == list(range(n)),
        f"{name} must list each of the rows 0 … {n - 1} exactly once, e.g. "
        f"np.random.default_rng(0).permutation({n}); got {order[:12]}",
    )
    return np.array(order)


def layer_outputs(layer: Any, X: Any, perm: Any) -> tuple:
    """layer(X[perm]) and layer(X) as float arrays of one row per token, and perm as an array.

    ``layer`` is a function of the tokens X (n, d); ``perm`` a new order of their n rows.
    """
    require(
        callable(layer) and not isinstance(layer, type),
        f"layer must be a function of the tokens, e.g. np.tanh; got {describe(layer)}",
        TypeError,
    )
    X = float_array(X, "X", ndim=2)
    perm = permutation(perm, len(X), f"perm (a new order of the {len(X)} rows of X)")
    outputs = []
    for Z in (X[perm], X):
        try:
            out = layer(Z)
        except Exception as exc:  # the layer's own error, named with what it was given
            raise ValueError(
                f"layer raised {type(exc).__name__} on tokens X of shape {X.shape} (numpy "
                f"float64): {str(exc)[:120]}. It must take an (n, d) array and return one row "
                "per token."
            ) from exc
        outputs.append(float_array(out, "the layer's output", ndim=(1, 2, 3), finite=False))
    before, after = outputs
    require(
        before.shape == after.shape and len(before) == len(X),
        f"layer must return one output row per token ({len(X)} rows of X), the same shape "
        f"for any order; got shapes {before.shape} and {after.shape}",
    )
    return before, after, perm


# --- attention (04) ---


def _attention_shapes(q_shape, k_shape, v_shape, mask_shape) -> tuple[int, ...]:
    """The scores' shape ``(..., n_q, n_k)``, or a ValueError saying why not in plain words."""
    for name, shape in (("Q", q_shape), ("K", k_shape), ("V", v_shape)):
        require(
            len(shape) >= 2,
            f"{name} has shape {tuple(shape)}, but attention needs at least 2 dimensions "
            f"(tokens, features); for one token use shape (1, d), e.g. {name}[None, :]",
        )
    require(
        k_shape[-2] > 0,
        f"K has 0 keys (shape {tuple(k_shape)}): every query needs at least one key to attend "
        "to, so give K (and V) at least one row",
    )
    for name, shape in (("Q", q_shape), ("K", k_shape), ("V", v_shape)):
        _check_not_empty(shape, name)
    require(
        q_shape[-1] == k_shape[-1],
        f"Q has d_k={q_shape[-1]} but K has d_k={k_shape[-1]}: the last dimensions must match, "
        "because each query is compared with each key by a dot product",
    )
    require(
        k_shape[-2] == v_shape[-2],
        f"K has {k_shape[-2]} keys but V has {v_shape[-2]} values: there must be exactly one "
        "value per key",
    )
    try:
        batch = np.broadcast_shapes(q_shape[:-2], k_shape[:-2], v_shape[:-2])
    except ValueError:
        raise ValueError(
            f"the leading (batch/head) dimensions of Q {tuple(q_shape)}, K {tuple(k_shape)} "
            f"and V {tuple(v_shape)} do not broadcast"
        ) from None
    scores = (*batch, q_shape[-2], k_shape[-2])
    if mask_shape is not None:
        try:
            fits = np.broadcast_shapes(tuple(mask_shape), scores) == scores
        except ValueError:
            fits = False
        require(
            fits,
            f"the mask has shape {tuple(mask_shape)} but the scores have shape {scores} "
            "(queries × keys): the mask must broadcast to it",
        )
    return scores


def qkv_matrices(Q: Any, K: Any, V: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Q (n_q, d_k), K (n_k, d_k), V (n_k, d_v) as float arrays whose shapes fit together."""
    Q, K, V = (float_array(a, name, ndim=2) for a, name in ((Q, "Q"), (K, "K"), (V, "V")))
    _attention_shapes(Q.shape, K.shape, V.shape, None)
    return Q, K, V


def _attention_mask(mask, scores_shape):
    """``mask`` (a bool array or tensor, True = may attend), checked to leave every query a key."""
    require(
        str(mask.dtype) in ("bool", "torch.bool"),
        "the mask must be boolean (True = may attend), e.g. causal_mask(n) or lengths > 0; got "
        + describe(mask),
    )
    allowed = mask.any(-1)  # (..., n_q): may this query attend to some key?
    if not bool(allowed.all()):
        allowed = allowed.cpu().numpy() if hasattr(allowed, "cpu") else allowed
        where = tuple(int(i) for i in np.argwhere(~np.broadcast_to(allowed, scores_shape[:-1]))[0])
        batch = f" of batch/head {where[:-1]}" if len(where) > 1 else ""
        raise ValueError(
            f"the mask lets query {where[-1]}{batch} attend to no key at all: its row is all "
            "False, so its softmax is undefined. Every query needs at least one key it may "
            "attend to (a causal mask keeps the diagonal: np.tril(..., k=0))."
        )
    return mask


def _attention_scale(scale, d_k: int) -> float:
    """1/√d_k for ``scale=True``, 1 for False, or the positive number given."""
    if isinstance(scale, (bool, np.bool_)):
        return 1.0 / math.sqrt(d_k) if scale else 1.0
    require(
        isinstance(scale, (numbers.Real, np.number)),
        f"scale must be True (divide by √d_k), False (do not scale) or a positive number that "
        f"multiplies the scores; got {describe(scale)}",
        TypeError,
    )
    return positive_float(scale, "scale")


def attention_arrays(Q, K, V, mask=None, scale=True):
    """For ``attention``: Q, K, V as float64 arrays that fit, the mask as bool, the scale factor."""
    Q, K, V = (float_array(a, n, allow_empty=True) for a, n in ((Q, "Q"), (K, "K"), (V, "V")))
    mask = None if mask is None else _as_numpy(mask, "mask")
    scores = _attention_shapes(Q.shape, K.shape, V.shape, None if mask is None else mask.shape)
    if mask is not None:
        mask = _attention_mask(mask, scores)
    factor = _attention_scale(scale, Q.shape[-1])
    largest = factor * np.abs(Q).max() * np.abs(K).max() * Q.shape[-1]  # bounds every |score|
    require(
        np.isfinite(largest),
        f"scale={factor:g} with these Q and K lets the scores overflow to inf (they can reach "
        f"{factor:g} × {np.abs(Q).max():.3g} × {np.abs(K).max():.3g} × d_k={Q.shape[-1]}): pass "
        "a smaller scale, or scale=True for 1/√d_k",
    )
    return Q, K, V, mask, factor


def attention_tensors(Q, K, V, mask=None, scale=True, dropout=0.0):
    """For ``attention_torch``: K, V (and numpy input) in Q's dtype and device, a bool mask
    tensor on that device, the scale factor and the dropout rate. NaN is not looked for (it
    would cost a pass over large tensors); it passes through to the output."""
    import torch

    Q = float_tensor(Q, "Q", finite=False, allow_empty=True)
    K, V = (
        float_tensor(a, n, like=Q, finite=False, allow_empty=True) for a, n in ((K, "K"), (V, "V"))
    )
    if mask is not None and not isinstance(mask, torch.Tensor):
        mask = _as_numpy(mask, "mask")
        mask = torch.from_numpy(np.ascontiguousarray(mask)) if mask.dtype == bool else mask
    scores = _attention_shapes(Q.shape, K.shape, V.shape, None if mask is None else mask.shape)
    if mask is not None:
        mask = _attention_mask(mask, scores).to(Q.device)
    return Q, K, V, mask, _attention_scale(scale, Q.shape[-1]), fraction(dropout, "dropout")


def softmax_scores(x, axis):
    """For ``softmax``: scores as float64 (−inf allowed: masked), an axis that exists, no NaN or
    +inf, and no slice that is −inf everywhere."""
    x = float_array(x, "x", finite=False)
    require(x.ndim > 0, "softmax needs at least one dimension; got a single number. Pass e.g. [x]")
    require(
        _is_int(axis), f"axis must be a whole number, e.g. axis=-1; got {describe(axis)}", TypeError
    )
    require(
        -x.ndim <= axis < x.ndim,
        f"axis={axis} does not exist for an array with {x.ndim} dimension(s) (shape {x.shape}); "
        "use axis=-1 for the last one",
    )
    require(
        not np.isnan(x).any() and not np.isposinf(x).any(),
        "softmax got NaN or +inf scores: check the scores you pass in (a masked score is -inf)",
    )
    require(
        not np.isneginf(x).all(axis=axis).any(),
        "a row of scores is all -inf (everything masked): every query needs at least one key it "
        "may attend to",
    )
    return x, axis


_MASK_CELLS = 2**28  # the largest mask the helpers build: 256 Mi entries (n = 16,384 causal)


def _count(n: int) -> str:
    """A whole number for a message, shortened when it has many digits (10**400)."""
    text = str(n)
    return text if len(text) <= 12 else f"{text[:3]}… ({len(text)} digits)"


def mask_size(n) -> int:
    """For ``causal_mask``: a positive whole ``n`` whose n × n mask fits in memory."""
    n = positive_int(n, "n")
    require(
        n * n <= _MASK_CELLS,
        f"n={_count(n)} is too large: the n × n mask would hold {_count(n * n)} entries (at most "
        f"{_MASK_CELLS:,}). n is a number of tokens, e.g. n=128",
    )
    return n


def mask_lengths(lengths, n):
    """For ``padding_mask``: the padded length ``n`` and one whole length 1…n per sequence."""
    n = positive_int(n, "n")
    require(
        n <= _MASK_CELLS,
        f"n={_count(n)} is too large for a padded length (at most {_MASK_CELLS:,}); it is a "
        "number of tokens, e.g. n=128",
    )
    arr = _as_numpy(lengths, "lengths")
    require(
        arr.ndim == 1 and arr.size > 0,
        f"lengths must be a list of sequence lengths, one per sequence; got {describe(lengths)}. "
        "Pass e.g. [3, 2]",
    )
    require(
        arr.dtype.kind in "iu",
        f"lengths must be whole numbers; got {describe(lengths)}",
        TypeError,
    )
    require(
        ((arr >= 1) & (arr <= n)).all(),
        f"every length must be between 1 and n={n}; got {arr.tolist()}",
    )
    return arr, n


# --- scaling (05) ---


def weight_rows(weights: Any, name: str = "weights") -> np.ndarray:
    """Attention weights: non-negative, each row (last axis) summing to 1."""
    p = float_array(weights, name, ndim=(1, 2, 3))
    require(
        np.all(p >= 0),
        f"{name} must be non-negative (softmax weights); got a minimum of "
        f"{p.min():.3g}. Pass softmax(scores), not the scores.",
    )
    sums = p.sum(axis=-1)
    require(
        np.allclose(sums, 1.0, atol=1e-6),
        f"each row of {name} must sum to 1 (softmax weights); got sums from {sums.min():.3g} "
        f"to {sums.max():.3g}. Pass softmax(scores).",
    )
    return p


def query_keys(q: Any, K: Any, d_k: Any) -> tuple:
    """One query (D,), keys (n_keys, D) of the same width, and 1 ≤ d_k ≤ D components."""
    q, K = float_array(q, "q", ndim=1), float_array(K, "K", ndim=2)
    require(
        K.shape[1] == q.shape[0],
        f"K has rows of width {K.shape[1]} but q has {q.shape[0]} components: they must match",
    )
    d_k = positive_int(d_k, "d_k")
    require(d_k <= q.shape[0], f"d_k must be between 1 and {q.shape[0]}, got {d_k}")
    return q, K, d_k


# --- transformer (06) ---


LARGEST = {"d_model": 2**15, "d_ff": 2**17, "n_heads": 2**15, "vocab_size": 10**7,
           "max_len": 10**6, "n_positions": 10**6, "n_layers": 1000}  # fmt: skip


def model_size(value: Any, name: str) -> int:
    """A model size (d_model, d_ff, …) as an int ≥ 1 no larger than any real model's."""
    return size(value, name, LARGEST.get(name, 10**7))


def heads(d_model: Any, n_heads: Any) -> tuple[int, int]:
    """``(d_model, n_heads)`` as ints, with ``n_heads`` dividing ``d_model`` (d_k = d_model/h)."""
    d_model, n_heads = model_size(d_model, "d_model"), model_size(n_heads, "n_heads")
    if d_model % n_heads:
        divisors = [h for h in range(1, d_model + 1) if d_model % h == 0]
        raise ValueError(
            f"d_model={d_model} is not divisible by n_heads={n_heads}: each head gets d_model / "
            f"n_heads features, which must be a whole number. Choose n_heads from {divisors}."
        )
    return d_model, n_heads


def split_input(x: Any, n_heads: Any) -> tuple:
    """``split_heads``'s inputs: a ``(B, n, d_model)`` tensor and a head count dividing d_model."""
    x = float_tensor(x, "x", ndim=3, finite=False)
    _, n_heads = heads(x.shape[-1], n_heads)
    return x, n_heads


def heads_tensor(x: Any) -> Any:
    """``merge_heads``'s input: a ``(B, h, n, d_k)`` tensor."""
    return float_tensor(x, "x", ndim=4, finite=False)


def mask_pair(attn_mask: Any, key_padding_mask: Any) -> tuple:
    """``attn_mask`` (n_q, n_k) or (B, n_q, n_k) and ``key_padding_mask`` (B, n_k), both boolean."""
    attn_mask, key_padding_mask = masks(attn_mask, key_padding_mask)
    for name, m in (("attn_mask", attn_mask), ("key_padding_mask", key_padding_mask)):
        require(
            m is None or m.numel() > 0, f"{name} is empty (shape {tuple(getattr(m, 'shape', ()))})."
        )
    require(
        attn_mask is None or attn_mask.dim() in (2, 3),
        f"attn_mask must be (n_q, n_k) or (batch, n_q, n_k); got shape {tuple(attn_mask.shape)}."
        if attn_mask is not None else "",
    )  # fmt: skip
    require(
        key_padding_mask is None or key_padding_mask.dim() == 2,
        f"key_padding_mask must be (batch, n_k); got shape {tuple(key_padding_mask.shape)}."
        if key_padding_mask is not None else "",
    )  # fmt: skip
    if attn_mask is not None and key_padding_mask is not None:
        n_k, batch = key_padding_mask.shape[1], key_padding_mask.shape[0]
        require(
            attn_mask.shape[-1] == n_k and (attn_mask.dim() == 2 or attn_mask.shape[0] == batch),
            f"attn_mask {tuple(attn_mask.shape)} and key_padding_mask "
            f"{tuple(key_padding_mask.shape)} disagree on the batch size or the number of keys.",
        )
    return attn_mask, key_padding_mask


def feature_tensor(x: Any, module: Any, d_model: int) -> Any:
    """``x`` as a float tensor ``(..., d_model)`` in ``module``'s dtype (the FFN's input)."""
    x = float_tensor(x, "x", like=module)
    require(
        x.dim() >= 1 and x.shape[-1] == d_model,
        f"x has shape {tuple(x.shape)}, but this module was built with d_model={d_model}: the "
        "last axis must hold the d_model features of each token.",
    )
    return x


def token_vectors(x: Any, name: str, module: Any, d_model: int) -> Any:
    """``x`` as a ``(batch, n, d_model)`` float tensor in ``module``'s dtype."""
    x = float_tensor(x, name, like=module)
    require(
        x.dim() == 3,
        f"{name} has shape {tuple(x.shape)}, but the Transformer works batch-first on "
        "(batch, n, d_model); for one sequence use x.unsqueeze(0).",
    )
    require(
        x.shape[-1] == d_model,
        f"{name} has {x.shape[-1]} features per token, but this module was built with "
        f"d_model={d_model}.",
    )
    return x


def bool_mask(mask: Any, name: str, shapes: Sequence[tuple[int, ...]] | None = None) -> Any:
    """``mask`` as a boolean tensor (True = may attend), of one of ``shapes``; None stays None."""
    import torch

    if mask is None:
        return None
    if not isinstance(mask, torch.Tensor):
        try:
            mask = torch.as_tensor(np.asarray(mask))
        except (TypeError, ValueError, RuntimeError) as exc:
            raise TypeError(
                f"{name} must be a boolean tensor; got {describe(mask)} ({exc})."
            ) from None
    require(
        mask.dtype == torch.bool,
        f"{name} must be boolean with True = may attend (the course's convention); got "
        f"{describe(mask)}. Build it with comparisons, e.g. tokens != PAD.",
        TypeError,
    )
    require(
        shapes is None or tuple(mask.shape) in [tuple(s) for s in shapes],
        f"{name} has shape {tuple(mask.shape)}; "
        f"expected one of {[tuple(s) for s in shapes or ()]}.",
    )
    return mask


def masks(attn_mask: Any, key_padding_mask: Any) -> tuple:
    """Both course masks as boolean tensors (None stays None), shapes unchecked."""
    return bool_mask(attn_mask, "attn_mask"), bool_mask(key_padding_mask, "key_padding_mask")


def picked(value: Any, name: str, count: int) -> int:
    """``value`` as an index in ``range(count)`` (a layer or a head, counted from 0)."""
    value = non_negative_int(value, name)
    require(
        value < count,
        f"{name} must be a whole number from 0 to {count - 1} (counted from 0); got {value}.",
    )
    return value


def head_maps(maps: Any) -> list[np.ndarray]:
    """Per-layer attention maps of ONE input as a list of (h, n, n) float arrays.

    Accepts ``TransformerEncoder.attention_maps()`` (tensors (1, h, n, n)) or arrays (h, n, n).
    """
    if isinstance(maps, np.ndarray) or hasattr(maps, "detach"):
        maps = [maps]
    require(
        isinstance(maps, (list, tuple)),
        f"maps must be a list with one attention map per layer, e.g. model.attention_maps(); "
        f"got {describe(maps)}.",
        TypeError,
    )
    require(len(maps) > 0, "maps is empty: give one attention map per layer.")
    out = []
    for i, m in enumerate(maps):
        a = float_array(m, f"maps[{i}]", ndim=(3, 4))
        if a.ndim == 4:
            require(
                a.shape[0] == 1,
                f"layer {i + 1}'s maps hold a batch of {a.shape[0]} inputs; pick one, e.g. "
                "[m[0] for m in model.attention_maps()].",
            )
            a = a[0]
        require(a.shape[1] == a.shape[2], f"layer {i + 1}'s map has shape {a.shape}; expected "
                "(heads, n, n), one n × n map per head.")  # fmt: skip
        out.append(a)
    require(
        len({a.shape for a in out}) == 1,
        "every layer must have the same number of heads and positions",
    )
    return out


def head_picker(maps: Any, tokens: Any, title: Any) -> tuple:
    """``make_head_picker``'s inputs: the maps, one str label per position, a str title."""
    layers = head_maps(maps)
    n = layers[0].shape[1]
    if isinstance(tokens, np.ndarray) or hasattr(tokens, "detach"):
        tokens = tokens.tolist()  # an array of ids or words: a list of labels
    if isinstance(tokens, (list, tuple)):  # numbers are fine labels too
        tokens = [str(t) if isinstance(t, (int, np.integer)) and not isinstance(t, bool) else t
                  for t in tokens]  # fmt: skip
    tokens = strings(tokens, "tokens")
    require(
        len(tokens) == n,
        f"tokens has {len(tokens)} labels for {n} positions: give one label per position.",
    )
    return layers, tokens, instance_of(title, "title", str, "Pass a string, e.g. title=''.")


def _course_module(value: Any, layout: tuple[str, ...], example: str) -> None:
    """A TypeError unless ``value`` is an nn.Module with every attribute in ``layout``."""
    from torch import nn

    require(
        isinstance(value, nn.Module) and all(hasattr(value, a) for a in layout),
        f"ours must be a module with {', '.join(layout)} (e.g. course_utils.transformer."
        f"{example}); got {describe(value)}.",
        TypeError,
    )


def _alike(what: str, torch_value: Any, ours_value: Any, fix: str = "build both alike") -> None:
    """A ValueError unless the torch module and ours agree on ``what``."""
    require(
        torch_value == ours_value,
        f"{what} differs (torch {torch_value}, ours {ours_value}): {fix}.",
    )


def mha_pair(ours: Any, theirs: Any) -> None:
    """Raise unless ``ours`` (course) and ``theirs`` (torch) attention modules have one layout."""
    from torch import nn

    layout = ("d_model", "n_heads", "q_proj", "k_proj", "v_proj", "out_proj", "dropout")
    _course_module(ours, layout, "MultiHeadAttention")
    instance_of(theirs, "torch_mha", nn.MultiheadAttention)
    require(
        theirs._qkv_same_embed_dim and theirs.batch_first,
        "torch_mha must use batch_first=True and kdim = vdim = embed_dim.",
    )
    _alike("the width (embed_dim, d_model)", theirs.embed_dim, ours.d_model)
    _alike("the number of heads", theirs.num_heads, ours.n_heads)
    _alike("having a bias", theirs.in_proj_bias is not None, ours.q_proj.bias is not None)
    require(theirs.bias_k is None, "torch_mha must be built with add_bias_kv=False.")


def encoder_layer_pair(ours: Any, theirs: Any) -> None:
    """Raise unless a course ``TransformerBlock`` and a torch encoder layer have one layout."""
    import torch
    from torch import nn

    layout = ("attn", "ff", "norm1", "norm2", "dropout1", "dropout2", "norm_first")
    _course_module(ours, layout, "TransformerBlock")
    instance_of(theirs, "torch_layer", nn.TransformerEncoderLayer)
    fix = "build both as post-LN or both as pre-LN"
    _alike("norm_first", theirs.norm_first, ours.norm_first, fix)
    act = theirs.activation
    torch_act = (
        "relu" if act is torch.nn.functional.relu or isinstance(act, nn.ReLU)
        else "gelu" if act is torch.nn.functional.gelu or isinstance(act, nn.GELU)
        else repr(act)
    )  # fmt: skip
    _alike(
        "the activation", torch_act, "relu" if isinstance(ours.ff.activation, nn.ReLU) else "gelu"
    )
    _alike("d_ff", theirs.linear1.out_features, ours.ff.linear1.out_features)
    mha_pair(ours.attn, theirs.self_attn)


def encoder_tokens(tokens: Any, vocab_size: int, max_len: int) -> Any:
    """``tokens`` as a ``(batch, n)`` long tensor of ids in ``range(vocab_size)``, n ≤ max_len."""
    tokens = token_ids(tokens, "tokens", vocab_size, ndim=2)
    require(
        tokens.shape[1] <= max_len,
        f"the sequences have {tokens.shape[1]} tokens but max_len={max_len}: build the model "
        "with a larger max_len, or cut the sequences.",
    )
    return tokens


def mha_inputs(
    module: Any, query: Any, key: Any, value: Any, attn_mask: Any, key_padding_mask: Any
) -> tuple:
    """Multi-head attention's inputs checked: three ``(B, n, d_model)`` tensors and two masks.

    ``attn_mask`` is ``(n_q, n_k)`` or ``(B, n_q, n_k)``, ``key_padding_mask`` ``(B, n_k)``
    (True for real tokens); every query must be allowed at least one key.
    """
    d = module.d_model
    query, key, value = (
        token_vectors(t, n, module, d)
        for t, n in ((query, "query"), (key, "key"), (value, "value"))
    )
    require(
        key.shape[:2] == value.shape[:2] and query.shape[0] == key.shape[0],
        f"query {tuple(query.shape)}, key {tuple(key.shape)} and value {tuple(value.shape)} must "
        "share the batch size, and key and value the number of positions.",
    )
    (B, n_q), n_k = query.shape[:2], key.shape[1]
    attn_mask = bool_mask(attn_mask, "attn_mask", [(n_q, n_k), (B, n_q, n_k)])
    key_padding_mask = bool_mask(key_padding_mask, "key_padding_mask", [(B, n_k)])
    allowed = True if attn_mask is None else attn_mask
    if key_padding_mask is not None:
        allowed = key_padding_mask[:, None, :] & allowed
    require(
        allowed is True or bool(allowed.any(dim=-1).all()),
        "with these masks some query may attend to no key at all (a row of the mask is all "
        "False), so its softmax is undefined: every query needs at least one real key.",
    )
    return query, key, value, attn_mask, key_padding_mask


# --- cost (07) ---


def tiled_qkv(q: Any, k: Any, v: Any, block: Any, trace: Any = None) -> int:
    """``tiled_attention``'s q, k, v (float tensors whose shapes fit) and trace (None or an empty
    list) checked; returns ``block``."""
    import torch

    if trace is not None:
        hint = "Pass an empty list to collect the steps, or None."
        require(instance_of(trace, "trace", list, hint) == [], f"trace is not empty. {hint}")
    for name, t in (("q", q), ("k", k), ("v", v)):
        instance_of(
            t, name, torch.Tensor, hint="convert with torch.as_tensor(x, dtype=torch.float32)"
        )
        require(
            t.dim() >= 2,
            f"{name} has shape {tuple(t.shape)}; attention needs (..., tokens, features)",
        )
        require(
            t.is_floating_point(), f"{name} has dtype {t.dtype}; use a float tensor, e.g. x.float()"
        )
        require(
            min(t.shape) > 0,
            f"{name} has shape {tuple(t.shape)}: every dimension needs at least one entry",
        )
    require(
        q.shape[-1] == k.shape[-1],
        f"q has d_k={q.shape[-1]} but k has d_k={k.shape[-1]}: the last dimensions must match",
    )
    require(
        k.shape[-2] == v.shape[-2],
        f"k has {k.shape[-2]} keys but v has {v.shape[-2]} values: one value per key",
    )
    try:
        lead = torch.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except RuntimeError:
        lead = None
    require(
        lead is not None and tuple(lead) == tuple(q.shape[:-2]),
        f"q {tuple(q.shape)}, k {tuple(k.shape)} and v {tuple(v.shape)}: the batch and head axes "
        "(all but the last two) must match, or broadcast to those of q; give q the same leading "
        "axes as k and v, e.g. q[None] or q.expand(...)",
    )
    require(
        q.dtype == k.dtype == v.dtype,
        f"q, k and v have dtypes {q.dtype}, {k.dtype}, {v.dtype}: give all three the same dtype",
        TypeError,
    )
    return positive_int(block, "block")


# --- bert (08) ---

_BERT_LIMITS = {
    "steps": 10**6,
    "epochs": 10**4,
    "batch_size": 10**4,
    "n_classes": 10**4,
    "vocab_size": 10**6,
    "d_model": 4096,
    "d_ff": 16384,
    "n_layers": 64,
    "n_heads": 256,
    "max_len": 4096,
    "n_sentences": 10**6,
    "n_train": 10**6,
    "n_test": 10**6,
    "k": 10**6,
}


def bert_count(value: Any, name: str) -> int:
    """A positive whole number no larger than a sane limit for ``name`` (steps, d_model, …)."""
    return size(value, name, _BERT_LIMITS.get(name, 10**6))


def bert_sentence(value: Any, name: str) -> str:
    """``value`` as one sentence (a str of words separated by spaces)."""
    if not isinstance(value, str):
        hint = " For several sentences use tok.batch([...])." if isinstance(value, list) else ""
        raise TypeError(
            f"{name} must be one sentence (a str), e.g. 'the fox hides'; got "
            f"{describe(value)}.{hint}"
        )
    return value


def bert_words(value: Any, name: str) -> set[str] | None:
    """None, or a set of words (a bare str is rejected: ``w in 'fox'`` would test letters)."""
    if value is None:
        return None
    if isinstance(value, str) or isinstance(value, dict) or not isinstance(value, Iterable):
        raise TypeError(
            f"{name} must be a set of words, e.g. {{'fox', 'pear'}}, or None; got "
            f"{describe(value)}."
        )
    return set(strings(value, name))


def bert_model(model: Any, name: str = "model", *, classifier: bool = False) -> Any:
    """A TinyBert (or, with ``classifier``, a BertClassifier): checked by what it can do."""
    import torch

    kind = (
        "BertClassifier, e.g. BertClassifier(TinyBert(len(tok)), 4)"
        if classifier
        else ("TinyBert, e.g. load_pretrained() or TinyBert(len(tok))")
    )
    ok = isinstance(model, torch.nn.Module) and hasattr(
        model, "n_classes" if classifier else "mlm_logits"
    )
    require(ok, f"{name} must be a {kind}; got {describe(model)}.", TypeError)
    return model


def bert_tokenizer(tok: Any, name: str = "tok") -> Any:
    """The Tokenizer the model was built with (checked by what it has)."""
    ok = all(hasattr(tok, a) for a in ("batch", "mask_id", "n_special", "vocab", "ids"))
    require(
        ok,
        f"{name} must be a Tokenizer, e.g. Tokenizer(train_sentences); got {describe(tok)}.",
        TypeError,
    )
    return tok


def bert_sizes(
    vocab_size: Any,
    d_model: Any,
    n_heads: Any,
    n_layers: Any,
    d_ff: Any,
    max_len: Any,
    dropout: Any,
) -> None:
    """The sizes of a TinyBert, each a sane whole number, d_model divisible by n_heads."""
    sizes = {
        "vocab_size": vocab_size,
        "d_model": d_model,
        "n_heads": n_heads,
        "n_layers": n_layers,
        "d_ff": d_ff,
        "max_len": max_len,
    }
    for name, value in sizes.items():
        bert_count(value, name)
    heads(d_model, n_heads)  # the transformer section's check: n_heads divides d_model
    fraction(dropout, "dropout")


def bert_masking(ids: Any, mask_id: Any, vocab_size: Any, n_special: Any, p: Any):
    """The arguments of ``mask_tokens``, checked: (ids as torch.long, p as a float in (0, 1))."""
    vocab_size = bert_count(vocab_size, "vocab_size")
    n_special = non_negative_int(n_special, "n_special")
    mask_id = non_negative_int(mask_id, "mask_id")
    require(
        n_special < vocab_size,
        f"n_special={n_special} leaves no ordinary word in a "
        f"vocabulary of {vocab_size}: pass n_special < vocab_size (e.g. tok.n_special)",
    )
    require(
        mask_id < n_special,
        f"mask_id={mask_id} is not a special id (ids below "
        f"n_special={n_special}): pass tok.mask_id",
    )
    p = fraction(p, "p")
    require(
        p > 0, "p=0 chooses no token, so the loss would have nothing to predict: pass e.g. p=0.15"
    )
    return token_ids(ids, "ids", vocab_size, ndim=(1, 2)), p


def bert_ids(ids: Any, vocab_size: int, max_len: int, key_padding_mask: Any = None):
    """Token ids (B, n) for a TinyBert, n ≤ max_len, and a boolean padding mask of that shape."""
    import torch

    ids = token_ids(ids, "ids", vocab_size, ndim=2)
    require(
        ids.shape[1] <= max_len,
        f"ids holds sequences of {ids.shape[1]} tokens, longer "
        f"than the model's max_len={max_len}: use shorter sentences or a larger max_len",
    )
    if key_padding_mask is not None:
        ok = isinstance(key_padding_mask, torch.Tensor) and key_padding_mask.dtype == torch.bool
        require(
            ok and tuple(key_padding_mask.shape) == tuple(ids.shape),
            f"key_padding_mask must be a boolean tensor of ids' shape {tuple(ids.shape)}, "
            f"True for real tokens (tok.batch returns it); got {describe(key_padding_mask)}",
            TypeError if not ok else ValueError,
        )
    return ids


def bert_pairs(pairs: Any, name: str, n_classes: int | None = None) -> list[tuple[str, int]]:
    """``pairs`` as a non-empty list of (sentence, class) with 0 ≤ class < n_classes."""
    zero_d = getattr(pairs, "ndim", None) == 0
    if zero_d or isinstance(pairs, (str, bytes, tuple, dict)) or not isinstance(pairs, Iterable):
        raise TypeError(
            f"{name} must be a list of (sentence, class) pairs, e.g. "
            f"[('the cook eats the pear', 1)]; got {describe(pairs)}."
        )
    items = list(pairs)
    require(items, f"{name} is empty: give at least one (sentence, class) pair")
    for k, item in enumerate(items):
        ok = isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], str)
        if not ok or not _is_int(item[1]):
            raise TypeError(
                f"{name}[{k}] must be a (sentence, class) pair with a whole-number "
                f"class; got {describe(item)}. Turn topic names into numbers "
                "first, e.g. TOPICS.index(topic)."
            )
        if item[1] < 0 or (n_classes is not None and item[1] >= n_classes):
            raise ValueError(
                f"{name}[{k}] has class {item[1]}, but the classifier has "
                f"{n_classes} classes (0 … {n_classes - 1 if n_classes else 0})."
            )
    return [(s, int(c)) for s, c in items]


def bert_training(
    model, tok, data, steps, batch_size, lr, seed_value, labelled=False, after_step=None
) -> list:
    """The arguments of ``pretrain`` / ``train_classifier``, checked; returns the data as a list."""
    require(
        after_step is None or callable(after_step),
        f"after_step must be a function of the step, or None; got {describe(after_step)}.",
        TypeError,
    )
    bert_model(model, "clf" if labelled else "model", classifier=labelled)
    bert_tokenizer(tok)
    bert_count(steps, "epochs" if labelled else "steps")
    bert_count(batch_size, "batch_size")
    seed(seed_value)
    lr = positive_float(lr, "lr")
    require(
        lr <= 1,
        f"lr={lr:g} is far too large: a step that big throws the weights away "
        "(the loss becomes NaN). Pass e.g. lr=3e-3.",
    )
    if labelled:
        return bert_pairs(data, "pairs", model.n_classes)
    return strings(data, "sentences")


def bert_masked_sentence(model: Any, tok: Any, sentence: Any, k: Any) -> tuple[str, int]:
    """A model, its tokenizer, a sentence with one [MASK] and only known words, k ≥ 1."""
    bert_model(model)
    bert_tokenizer(tok)
    sentence = bert_sentence(sentence, "sentence").strip()
    words = sentence.split()
    require(
        words.count("[MASK]") == 1,
        "write a sentence with exactly one [MASK], e.g. 'the cook eats the [MASK]'",
    )
    unknown = [w for w in words if w not in tok.ids and w != "[MASK]"]
    n_words = len(tok) - tok.n_special
    require(
        not unknown,
        f"unknown word(s) {unknown} in the sentence: the tiny BERT only knows "
        f"the corpus's {n_words} words, e.g. "
        f"{', '.join(tok.vocab[tok.n_special : tok.n_special + 5])}",
    )
    k = positive_int(k, "k")
    require(k <= n_words, f"k must be between 1 and {n_words}, got {k}")
    return sentence, k


def bert_probe(model: Any, tok: Any, sentences: Any, only: Any) -> tuple[list[str], set | None]:
    """The arguments of ``masked_guesses``: a model, its tokenizer, sentences, optional words."""
    bert_model(model)
    bert_tokenizer(tok)
    return strings(sentences, "sentences"), bert_words(only, "only")


def bert_path(path: Any) -> Any:
    """None (the shipped checkpoint) or the path of an existing file."""
    import os

    if path is None:
        return None
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"path must be a file path (a str) or None for the shipped checkpoint; "
            f"got {describe(path)}."
        )
    require(
        os.path.isfile(path),
        f"path {str(path)!r} is not a file: pass the path of a state "
        "dict saved by tools/make_bert_checkpoint.py, or None for the shipped one",
    )
    return path


def corpus_word(value: Any, name: str) -> str:
    """One word of the corpus (a str)."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one word (a str), e.g. 'fox'; got {describe(value)}.")
    return value
