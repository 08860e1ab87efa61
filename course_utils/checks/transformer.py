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

from course_utils.checks._core import Feedback, check_array_cases, checker
from course_utils.predict import Prediction
from course_utils.transformer import merge_heads, sinusoidal_positional_encoding, split_heads

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

# (B, n, d_model, h): n, h and d_k all differ in every case, so a swapped axis shows in the shape;
# the first case is easy, the later ones change every size (a hard-coded number shows there).
CASES = [(2, 3, 8, 4), (2, 5, 12, 3), (1, 4, 6, 2), (3, 2, 30, 5)]

NOT_CONTIGUOUS = (
    "after .transpose the tensor's memory is no longer in row order, so .view cannot reshape "
    "it: use .reshape(...) (or .contiguous().view(...)) instead."
)
FLOAT_SIZE = (
    "a size is a float: d_model / n_heads gives e.g. 2.0, but reshape needs whole numbers. "
    "Use integer division, d_model // n_heads."
)
HARD_CODED = " It worked on the first case: did you hard-code a size instead of reading it from {}?"


def _input(B: int, n: int, d_model: int) -> torch.Tensor:
    """Distinct, readable numbers: token t of sequence b holds 100·b + 10·t + feature/100."""
    b = torch.arange(B, dtype=torch.float32)[:, None, None]
    t = torch.arange(n, dtype=torch.float32)[None, :, None]
    f = torch.arange(d_model, dtype=torch.float32)[None, None, :]
    return 100 * b + 10 * t + f / 100  # (B, n, d_model)


def _named(feedback: Feedback | None) -> Feedback | None:
    """Replace torch's wording of two common errors by the slip behind it."""
    if feedback is None or feedback.passed:
        return feedback
    text = feedback.message
    if "view size is not compatible" in text:
        return Feedback(False, NOT_CONTIGUOUS)
    if "must be tuple of ints" in text and "float" in text:
        return Feedback(False, FLOAT_SIZE)
    return feedback


def _split_mistakes(x: torch.Tensor, h: int) -> dict:
    """Known wrong splits, each with the advice that fixes it."""
    B, n, d = x.shape
    d_k = d // h
    per_token = x.reshape(B, n, h, d_k)  # the right first step; the slips below go on from it
    return {
        "this is the classic missing-transpose bug: reshape(B, h, n, d_k) keeps the numbers in "
        "memory order, so each 'head' gets a mix of different tokens' features. Reshape to "
        "(B, n, h, d_k) first, then swap the token and head axes with .transpose(1, 2).": lambda: (
            x.reshape(B, h, n, d_k)
        ),
        "you split the features into (h, d_k) but the head axis is still behind the token axis: "
        "the shape is (B, n, h, d_k); add .transpose(1, 2) to get (B, h, n, d_k).": lambda: (
            per_token
        ),
        "the features are split as (d_k, h), so head 0 gets features 0, h, 2h, … . Split the last "
        "axis as (h, d_k): head i must get the contiguous slice i·d_k … (i+1)·d_k − 1, as "
        "torch.nn.MultiheadAttention does.": lambda: x.reshape(B, n, d_k, h).permute(0, 3, 1, 2),
        "the last two axes are swapped, (B, h, d_k, n): the shape must be (B, h, n, d_k); use "
        ".transpose(1, 2), not a transpose that moves d_k.": lambda: per_token.permute(0, 2, 3, 1),
        "you swapped the batch axis with the heads (.transpose(0, 2)): keep the batch in front "
        "and swap the token and head axes, .transpose(1, 2).": lambda: per_token.transpose(0, 2),
        "the head axis is in front of the batch, (h, B, n, d_k) (e.g. torch.stack(chunks, "
        "dim=0)): keep the batch first, (B, h, n, d_k); stack the chunks with dim=1.": lambda: (
            per_token.permute(2, 0, 1, 3)
        ),
        "the result is (B, n, d_k, h): you moved the wrong axis. Reshape to (B, n, h, d_k), "
        "then .transpose(1, 2) swaps the tokens and the heads.": lambda: per_token.transpose(2, 3),
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
        "transpose(2, 3) swaps the tokens and the features inside each head; the axis to move "
        "is the head axis: .transpose(1, 2), then .reshape(B, n, h * d_k).": lambda: (
            heads.transpose(2, 3).reshape(B, n, h * d_k).numpy()
        ),
        "you added the heads up; merging concatenates them side by side (B, n, h·d_k), and W_O "
        "then mixes them.": lambda: heads.sum(1).numpy(),
        "you averaged the heads; merging concatenates them side by side (B, n, h·d_k), and W_O "
        "then mixes them.": lambda: heads.mean(1).numpy(),
        "the heads are stacked along the tokens, (B, h·n, d_k) (torch.cat(..., dim=1)): "
        "concatenate them along the features, dim=-1.": lambda: torch.cat(
            list(heads.unbind(1)), dim=1
        ).numpy(),
        "you flattened the tokens too, (B, n·h·d_k): after .transpose(1, 2) flatten only the "
        "last two axes, .flatten(2) or .reshape(B, n, h * d_k).": lambda: (
            heads.transpose(1, 2).flatten(1).numpy()
        ),
    }


@checker("06")
def check_split_heads(fn) -> Feedback:
    """Check a learner's ``fn(x, n_heads)``: (B, n, d_model) → (B, h, n, d_k)."""
    cases = [(f"x of shape ({B}, {n}, {d}) with n_heads={h}", (_input(B, n, d), h))
             for B, n, d, h in CASES]  # fmt: skip
    problem = check_array_cases(
        fn, cases, lambda x, h: split_heads(x, h).numpy(), _split_mistakes,
        name="your split_heads", what="the result",
        shape_advice="expected (B, h, n, d_k), with d_k = d_model // n_heads."
        + HARD_CODED.format("x.shape and n_heads"),
        later_failure_advice="Did you hard-code a size? Read every size from x.shape and n_heads.",
    )  # fmt: skip
    return _named(problem) or Feedback(
        True,
        "split_heads gives each head its own contiguous slice of every token's features, "
        "with the head axis in front: (B, h, n, d_k).",
    )


@checker("06")
def check_merge_heads(fn) -> Feedback:
    """Check a learner's ``fn(heads)``: (B, h, n, d_k) → (B, n, h·d_k), the inverse of the split."""
    cases = []
    for B, n, d, h in CASES:
        heads = split_heads(_input(B, n, d), h).contiguous()  # (B, h, n, d_k)
        cases.append((f"heads of shape {tuple(heads.shape)}", (heads,)))
    problem = check_array_cases(
        fn, cases, lambda heads: merge_heads(heads).numpy(), _merge_mistakes,
        name="your merge_heads", what="the result",
        shape_advice="expected (B, n, h·d_k)." + HARD_CODED.format("x.shape"),
        later_failure_advice="Did you hard-code a size? Read every size from x.shape.",
    )  # fmt: skip
    return _named(problem) or Feedback(
        True,
        "merge_heads puts the heads back side by side, (B, n, h·d_k), and undoes split_heads "
        "exactly.",
    )


# ----------------------------------------------------------------------------- positional encoding
# (n_positions, d_model): different sizes, so a hard-coded size or a transposed result shows.
PE_CASES = [(6, 8), (11, 16), (3, 4), (20, 10)]


def _pe(
    n: int,
    d: int,
    *,
    exponent=None,
    swap: bool = False,
    halves: bool = False,
    start: int = 0,
    multiply: bool = False,
    sines_only: bool = False,
) -> np.ndarray:
    """The encoding built by hand, for its usual wrong variants (the reference is the package's)."""
    pos = np.arange(start, start + n, dtype=float)[:, None]  # (n, 1)
    two_i = np.arange(0, d, 2, dtype=float)[None, :]  # (1, d/2): 0, 2, 4, …
    e = two_i / d if exponent is None else exponent(two_i, d)
    angle = pos * 10000.0**e if multiply else pos / 10000.0**e  # (n, d/2)
    first, second = (np.cos(angle), np.sin(angle)) if swap else (np.sin(angle), np.cos(angle))
    if sines_only:
        second = first
    if halves:
        return np.concatenate([first, second], axis=1)
    pe = np.zeros((n, d))
    pe[:, 0::2], pe[:, 1::2] = first, second
    return pe


def _by_feature(n: int, d: int, exponent) -> np.ndarray:
    """sin on even, cos on odd features, with the exponent built from the feature number j."""
    pos = np.arange(n, dtype=float)[:, None]
    j = np.arange(d, dtype=float)[None, :]
    angle = pos / 10000.0 ** exponent(j, d)  # (n, d)
    pe = np.zeros((n, d))
    pe[:, 0::2], pe[:, 1::2] = np.sin(angle[:, 0::2]), np.cos(angle[:, 1::2])
    return pe


def _pe_mistakes(n: int, d: int) -> dict:
    """Known wrong encodings, each with the advice that fixes it."""
    return {
        "sin and cos are swapped: the even features (0, 2, 4, …) hold the sine, the odd ones "
        "(1, 3, 5, …) the cosine.": lambda: _pe(n, d, swap=True),
        "the cosine features use their own index in the exponent (2i+1 instead of 2i): a sin "
        "feature and the cos feature next to it must share one frequency, "
        "pos / 10000^(2i/d_model), so that together they form one turning clock hand.":
            lambda: _by_feature(n, d, lambda j, dd: j / dd),
        "the exponent uses 2j/d_model with j the feature number (0 … d_model−1); the 2i of the "
        "formula is the even feature number, so feature j uses 2·(j // 2) / d_model.":
            lambda: _by_feature(n, d, lambda j, dd: 2 * j / dd),
        "the exponent uses i/d_model instead of 2i/d_model, so the waves turn too slowly. With "
        "i counting pairs (0, 1, 2, …), the exponent is 2i/d_model; equivalently use the even "
        "feature numbers 0, 2, 4, … divided by d_model.":
            lambda: _pe(n, d, exponent=lambda two_i, dd: (two_i / 2) / dd),
        "the exponent is always 0, so every pair turns at the same speed: integer division "
        "(2i // d_model) rounds it down. Use /, a float division.":
            lambda: _pe(n, d, exponent=lambda two_i, dd: np.floor(two_i / dd)),
        "all the sines come first and then all the cosines, [sin | cos]. Some libraries use "
        "that layout, but the paper interleaves them: feature 2i is a sine, feature 2i+1 the "
        "cosine of the same angle (pe[:, 0::2] = …, pe[:, 1::2] = …).":
            lambda: _pe(n, d, halves=True),
        "every feature holds a sine; the odd features (1, 3, 5, …) hold the cosine of the same "
        "angle as their left neighbour.": lambda: _pe(n, d, sines_only=True),
        "the positions start at 1; they start at 0, so the first row is sin(0) = 0, cos(0) = 1 "
        "alternating: use np.arange(n_positions).": lambda: _pe(n, d, start=1),
        "you multiplied the position by 10000^(2i/d_model); divide by it instead, "
        "pos / 10000^(2i/d_model), so that the later features turn slowly.":
            lambda: _pe(n, d, multiply=True),
        "the result is transposed: return shape (n_positions, d_model), one row per position.":
            lambda: _pe(n, d).T,
    }  # fmt: skip


@checker("06")
def check_positional_encoding(fn) -> Feedback:
    """Check a learner's ``fn(n_positions, d_model)`` against the paper's sinusoidal encoding."""
    cases = [(f"n_positions={n}, d_model={d}", (n, d)) for n, d in PE_CASES]
    problem = check_array_cases(
        fn, cases, lambda n, d: sinusoidal_positional_encoding(n, d).double().numpy(), _pe_mistakes,
        name="your positional_encoding", what="the result",
        shape_advice="expected (n_positions, d_model), one row per position."
        + HARD_CODED.format("the arguments n_positions and d_model"),
        later_failure_advice="Did you hard-code a size? Use the arguments n_positions and d_model.",
    )  # fmt: skip
    if problem is not None and "wrong values" in problem.message:
        return Feedback(False, problem.message + " Row 0 must alternate 0, 1, 0, 1, …; check "
                        "sin/cos(pos / 10000^(2i/d_model)) feature by feature.")  # fmt: skip
    return problem or Feedback(
        True,
        "your encoding matches the paper's: sines on the even features, cosines on the odd "
        "ones, each pair turning at its own speed pos / 10000^(2i/d_model).",
    )
