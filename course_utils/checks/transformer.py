"""Checkers for the exercises of notebook 06 (the Transformer block).

``split_heads(x, n_heads)``: ``(B, n, d_model) → (B, h, n, d_k)``, head i gets the features
``i·d_k … (i+1)·d_k − 1`` of every token; ``merge_heads(x)``: ``(B, h, n, d_k) → (B, n, h·d_k)``.
Both checkers recognise the classic bug: reshaping straight to the target shape without the
transpose, which gives the right shape and the wrong numbers.

``positional_encoding(n_positions, d_model)``: the paper's sinusoidal encoding, an
``(n_positions, d_model)`` array with ``PE[pos, 2i] = sin(pos / 10000^(2i/d_model))`` and
``PE[pos, 2i+1] = cos(pos / 10000^(2i/d_model))``; the checker names the usual slips
(sin and cos swapped, the feature index in the exponent, halves instead of interleaving…).
"""

from __future__ import annotations

import numpy as np
import torch

from course_utils.checks._core import Feedback, as_array, call_learner, compare, first_match
from course_utils.predict import Prediction
from course_utils.transformer import sinusoidal_positional_encoding, split_heads

__all__ = [
    "HEADS_16_VS_4",
    "HEAD_PARAMETERS",
    "PREDICTIONS",
    "check_merge_heads",
    "check_positional_encoding",
    "check_split_heads",
]

# ----------------------------------------------------------------------------- predictions
HEAD_PARAMETERS = Prediction(
    id="06.head-parameters",
    notebook="06",
    question="At d_model = 512, how many parameters does multi-head attention have with 16 heads, "
    "compared with 1 head?",
    choices={
        "more": "about 16 times as many: every head needs its own W_Q, W_K, W_V",
        "same": "exactly the same number",
        "fewer": "about a sixteenth: each head is 16 times narrower",
    },
    explanations={
        "more": "Each head does have its own W_Q, W_K, W_V, but only d_model × d_k of them: "
        "16 heads of width 32 together are one d_model × d_model matrix, cut into slices.",
        "same": "W_Q, W_K, W_V and W_O are d_model × d_model whatever h is; the heads only cut "
        "the projected features into h slices of d_k = d_model / h.",
        "fewer": "Each head is narrower (d_k = 32 instead of 512), but there are 16 of them: "
        "16 × (512 × 32) = 512 × 512, the same matrix cut into slices.",
    },
    answer=lambda ratio: "same" if abs(ratio - 1) < 1e-9 else "more" if ratio > 1 else "fewer",
)

HEADS_16_VS_4 = Prediction(
    id="06.heads-16-vs-4",
    notebook="06",
    question="At d_model = 32, after the same 150 training steps on neighbours (two look-ups "
    "per position): how does the held-out loss of 16 heads (d_k = 2) compare with 4 heads "
    "(d_k = 8)?",
    choices={
        "lower": "16 heads end clearly lower (under half the loss): more heads, more patterns",
        "similar": "about the same (within a factor of 2)",
        "higher": "16 heads end clearly higher (over twice the loss)",
    },
    explanations={
        "lower": "More heads give more attention maps, but at a fixed d_model each gets "
        "narrower: with d_k = 2 a query and a key of two numbers single out one position "
        "among sixteen less sharply, so the right answers come out less confident.",
        "similar": "Both name nearly every neighbour, so accuracy alone looks similar; the loss "
        "also measures confidence, and there 16 narrow heads lose clearly.",
        "higher": "At fixed d_model, 16 heads have d_k = 2 each: too narrow to pick out one "
        "position sharply. Two look-ups need two heads; beyond a few, extra heads only make "
        "each one cruder. The paper's h = 32 also dropped (Table 3 A).",
    },
    answer=lambda ratio: "lower" if ratio < 0.5 else "similar" if ratio <= 2 else "higher",
)

PREDICTIONS = [HEAD_PARAMETERS, HEADS_16_VS_4]

# (B, n, d_model, h): n, h and d_k all differ, so a swapped axis always shows in the shape.
CASES = [(2, 3, 8, 4), (2, 5, 12, 3)]

NOT_CONTIGUOUS = (
    "after .transpose the tensor's memory is no longer in row order, so .view cannot reshape "
    "it: use .reshape(...) (or .contiguous().view(...)) instead."
)


def _input(B: int, n: int, d_model: int) -> torch.Tensor:
    """Distinct, readable numbers: token t of sequence b holds 100·b + 10·t + feature/100."""
    b = torch.arange(B, dtype=torch.float32)[:, None, None]
    t = torch.arange(n, dtype=torch.float32)[None, :, None]
    f = torch.arange(d_model, dtype=torch.float32)[None, None, :]
    return 100 * b + 10 * t + f / 100  # (B, n, d_model)


def _split_mistakes(x: torch.Tensor, h: int) -> dict:
    """Known wrong splits, each with the advice that fixes it."""
    B, n, d = x.shape
    d_k = d // h
    return {
        "this is the classic missing-transpose bug: reshape(B, h, n, d_k) keeps the numbers in "
        "memory order, so each 'head' gets a mix of different tokens' features. Reshape to "
        "(B, n, h, d_k) first, then swap the token and head axes with .transpose(1, 2).": lambda: (
            x.reshape(B, h, n, d_k).numpy()
        ),
        "you split the features into (h, d_k) but the head axis is still behind the token axis: "
        "the shape is (B, n, h, d_k); add .transpose(1, 2) to get (B, h, n, d_k).": lambda: (
            x.reshape(B, n, h, d_k).numpy()
        ),
        "the features are split as (d_k, h), so head 0 gets features 0, h, 2h, … . Split the last "
        "axis as (h, d_k): head i must get the contiguous slice i·d_k … (i+1)·d_k − 1, as "
        "torch.nn.MultiheadAttention does.": lambda: (
            x.reshape(B, n, d_k, h).permute(0, 3, 1, 2).numpy()
        ),
        "the last two axes are swapped: the shape must be (B, h, n, d_k), use .transpose(1, 2), "
        "not a transpose that moves d_k.": lambda: (
            x.reshape(B, n, h, d_k).permute(0, 2, 3, 1).numpy()
        ),
    }


def _merge_mistakes(heads: torch.Tensor) -> dict:
    """Known wrong merges, each with the advice that fixes it."""
    B, h, n, d_k = heads.shape
    return {
        "this is the classic missing-transpose bug: reshape(B, n, h·d_k) straight from "
        "(B, h, n, d_k) mixes tokens, because the head axis still comes first in memory. "
        "First .transpose(1, 2) to (B, n, h, d_k), then .reshape(B, n, h * d_k).": lambda: (
            heads.reshape(B, n, h * d_k).numpy()
        ),
        "you moved the head axis behind the tokens, (B, n, h, d_k); now put the heads side by "
        "side with .reshape(B, n, h * d_k).": lambda: heads.transpose(1, 2).numpy(),
        "the heads are interleaved feature by feature (d_k before h). Concatenate whole heads: "
        "transpose(1, 2) to (B, n, h, d_k) and then reshape, without moving d_k.": lambda: (
            heads.permute(0, 2, 3, 1).reshape(B, n, h * d_k).numpy()
        ),
        "you added the heads up; merging concatenates them side by side (B, n, h·d_k), and W_O "
        "then mixes them.": lambda: heads.sum(1).numpy(),
        "you averaged the heads; merging concatenates them side by side (B, n, h·d_k), and W_O "
        "then mixes them.": lambda: heads.mean(1).numpy(),
    }


def _run(fn, args: tuple, name: str, description: str) -> tuple[np.ndarray | None, Feedback | None]:
    """Call the learner's function on fresh copies and turn the result into an array."""
    result, problem = call_learner(
        fn, *(a.clone() if isinstance(a, torch.Tensor) else a for a in args), name=name
    )
    if problem:
        if "view size is not compatible" in problem.message:
            return None, Feedback(False, f"On {description}: {NOT_CONTIGUOUS}")
        return None, Feedback(False, f"On {description}: {problem.message}")
    return as_array(result, "the result")


def _verdict(
    got: np.ndarray,
    expected: np.ndarray,
    mistakes: dict,
    description: str,
    shape_hint: str,
    first_case: bool,
) -> Feedback | None:
    """None when ``got`` is right; else the most helpful Feedback we can give."""
    if compare(got, expected) is None:
        return None
    hint = first_match(got, mistakes)
    if hint:
        return Feedback(False, f"On {description}: {hint}")
    if got.shape != expected.shape:
        extra = (
            ""
            if first_case
            else " It worked on the first case: did you hard-code a size instead of reading it from x.shape / n_heads?"
        )
        return Feedback(
            False,
            f"On {description} the result has shape {got.shape}, expected "
            f"{expected.shape} {shape_hint}.{extra}",
        )
    return Feedback(False, f"On {description}: " + compare(got, expected, "the result").message)


def check_split_heads(fn) -> Feedback:
    """Check a learner's ``fn(x, n_heads)``: (B, n, d_model) → (B, h, n, d_k)."""
    for k, (B, n, d, h) in enumerate(CASES):
        description = f"x of shape ({B}, {n}, {d}) with n_heads={h}"
        x = _input(B, n, d)
        got, problem = _run(fn, (x, h), "your split_heads", description)
        if problem:
            return problem
        problem = _verdict(
            got,
            split_heads(x, h).numpy(),
            _split_mistakes(x, h),
            description,
            "= (B, h, n, d_k)",
            k == 0,
        )
        if problem:
            return problem
    return Feedback(
        True,
        "split_heads gives each head its own contiguous slice of every token's "
        "features, with the head axis in front: (B, h, n, d_k).",
    )


def check_merge_heads(fn) -> Feedback:
    """Check a learner's ``fn(heads)``: (B, h, n, d_k) → (B, n, h·d_k), the inverse of the split."""
    for k, (B, n, d, h) in enumerate(CASES):
        heads = split_heads(_input(B, n, d), h).contiguous()  # (B, h, n, d_k)
        description = f"heads of shape {tuple(heads.shape)}"
        got, problem = _run(fn, (heads,), "your merge_heads", description)
        if problem:
            return problem
        problem = _verdict(
            got,
            _input(B, n, d).numpy(),
            _merge_mistakes(heads),
            description,
            "= (B, n, h·d_k)",
            k == 0,
        )
        if problem:
            return problem
    return Feedback(
        True,
        "merge_heads puts the heads back side by side, (B, n, h·d_k), and "
        "undoes split_heads exactly.",
    )


# ----------------------------------------------------------------------------- positional encoding
# (n_positions, d_model): different sizes, so a hard-coded size or a transposed result shows.
PE_CASES = [(6, 8), (11, 16)]


def _pe(
    n: int,
    d: int,
    *,
    exponent=None,
    swap: bool = False,
    halves: bool = False,
    start: int = 0,
    multiply: bool = False,
) -> np.ndarray:
    """The encoding built by hand, for its usual wrong variants (the reference is the package's)."""
    pos = np.arange(start, start + n, dtype=float)[:, None]  # (n, 1)
    two_i = np.arange(0, d, 2, dtype=float)[None, :]  # (1, d/2): 0, 2, 4, …
    e = two_i / d if exponent is None else exponent(two_i, d)
    angle = pos * 10000.0**e if multiply else pos / 10000.0**e  # (n, d/2)
    first, second = (np.cos(angle), np.sin(angle)) if swap else (np.sin(angle), np.cos(angle))
    if halves:
        return np.concatenate([first, second], axis=1)
    pe = np.zeros((n, d))
    pe[:, 0::2], pe[:, 1::2] = first, second
    return pe


def _pe_mistakes(n: int, d: int) -> dict:
    """Known wrong encodings, each with the advice that fixes it."""
    feature_index = np.zeros((n, d))
    pos = np.arange(n, dtype=float)[:, None]
    j = np.arange(d, dtype=float)[None, :]
    feature_index[:, 0::2] = np.sin(pos / 10000.0 ** (j[:, 0::2] / d))
    feature_index[:, 1::2] = np.cos(pos / 10000.0 ** (j[:, 1::2] / d))
    return {
        "sin and cos are swapped: the even features (0, 2, 4, …) hold the sine, the odd ones "
        "(1, 3, 5, …) the cosine.": lambda: _pe(n, d, swap=True),
        "the cosine features use their own index in the exponent (2i+1 instead of 2i): a sin "
        "feature and the cos feature next to it must share one frequency, "
        "pos / 10000^(2i/d_model), so that together they form one turning clock hand.": lambda: (
            feature_index
        ),
        "the exponent uses i/d_model instead of 2i/d_model, so the waves turn too slowly. With "
        "i counting pairs (0, 1, 2, …), the exponent is 2i/d_model; equivalently use the even "
        "feature numbers 0, 2, 4, … divided by d_model.": lambda: _pe(
            n, d, exponent=lambda two_i, dd: (two_i / 2) / dd
        ),
        "all the sines come first and then all the cosines, [sin | cos]. Some libraries use "
        "that layout, but the paper interleaves them: feature 2i is a sine, feature 2i+1 the "
        "cosine of the same angle (pe[:, 0::2] = …, pe[:, 1::2] = …).": lambda: _pe(
            n, d, halves=True
        ),
        "the positions start at 1; they start at 0, so the first row is sin(0) = 0, cos(0) = 1 "
        "alternating: use np.arange(n_positions).": lambda: _pe(n, d, start=1),
        "you multiplied the position by 10000^(2i/d_model); divide by it instead, "
        "pos / 10000^(2i/d_model), so that the later features turn slowly.": lambda: _pe(
            n, d, multiply=True
        ),
        "the result is transposed: return shape (n_positions, d_model), one row per position.": lambda: (
            _pe(n, d).T
        ),
    }


def check_positional_encoding(fn) -> Feedback:
    """Check a learner's ``fn(n_positions, d_model)`` against the paper's sinusoidal encoding."""
    for k, (n, d) in enumerate(PE_CASES):
        description = f"n_positions={n}, d_model={d}"
        result, problem = call_learner(fn, n, d, name="your positional_encoding")
        if problem:
            return Feedback(False, f"With {description}: {problem.message}")
        got, problem = as_array(result, "the result")
        if problem:
            return Feedback(False, f"With {description}: {problem.message}")
        expected = sinusoidal_positional_encoding(n, d).double().numpy()  # the package reference
        if compare(got, expected, atol=1e-5) is None:
            continue
        hint = first_match(got, _pe_mistakes(n, d))
        if hint:
            return Feedback(False, f"With {description}: {hint}")
        if got.shape != expected.shape:
            extra = (
                ""
                if k == 0
                else " It worked on the first case: did you hard-code a size instead of using the arguments?"
            )
            return Feedback(
                False,
                f"With {description} the result has shape {got.shape}, expected "
                f"{expected.shape} = (n_positions, d_model).{extra}",
            )
        rows = np.flatnonzero(~np.isclose(got, expected, atol=1e-5).all(axis=1))
        cols = np.flatnonzero(~np.isclose(got, expected, atol=1e-5).all(axis=0))
        return Feedback(
            False,
            f"With {description}: right shape, wrong values in positions "
            f"{rows[:5].tolist()} and features {cols[:5].tolist()} (counting from 0). "
            "Row 0 must alternate 0, 1, 0, 1, …; check the formula "
            "sin/cos(pos / 10000^(2i/d_model)) for those entries.",
        )
    return Feedback(
        True,
        "your encoding matches the paper's: sines on the even features, cosines on "
        "the odd ones, each pair turning at its own speed pos / 10000^(2i/d_model).",
    )
