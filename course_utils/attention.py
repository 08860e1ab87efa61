"""Scaled dot-product attention, ``softmax(Q·Kᵀ/√d_k)·V``, in numpy and in torch.

Shapes: ``Q`` is ``(..., n_q, d_k)``, ``K`` is ``(..., n_k, d_k)``, ``V`` is ``(..., n_k, d_v)``;
the output is ``(..., n_q, d_v)`` and the weights ``(..., n_q, n_k)``. Leading dimensions
(batch, heads) are optional and broadcast.

Masks are boolean and say who may look at whom: ``mask[i, j]`` is True when query ``i`` may
attend to key ``j`` (the convention of ``torch.nn.functional.scaled_dot_product_attention``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

__all__ = [
    "attention",
    "attention_torch",
    "causal_mask",
    "padding_mask",
    "softmax",
]


def softmax(x, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``, computed stably by subtracting the maximum first."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 0:
        raise ValueError("softmax needs at least one dimension; got a single number")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"axis={axis} does not exist for an array with {x.ndim} dimension(s)")
    if np.isnan(x).any():
        raise ValueError("softmax got NaN values: check the scores you pass in")
    top = np.max(x, axis=axis, keepdims=True)
    if np.isneginf(top).any():
        raise ValueError(
            "a row of scores is all -inf (everything masked): every query needs at least one "
            "key it may attend to"
        )
    e = np.exp(x - top)
    return e / e.sum(axis=axis, keepdims=True)


def causal_mask(n: int) -> np.ndarray:
    """(n, n) boolean mask where position i may attend to positions j ≤ i (left-to-right)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"causal_mask needs a positive sequence length n, got {n!r}")
    return np.tril(np.ones((n, n), dtype=bool))


def padding_mask(lengths: Sequence[int], n: int) -> np.ndarray:
    """(batch, 1, n) boolean mask: True for the first ``lengths[b]`` keys of sequence b.

    The middle axis of size 1 broadcasts over the queries, so every query ignores padding.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"padding_mask needs a positive padded length n, got {n!r}")
    lengths_arr = np.asarray(lengths)
    if lengths_arr.ndim != 1 or lengths_arr.size == 0:
        raise ValueError(f"lengths must be a list of sequence lengths, one per sequence, got {lengths!r}")
    if not np.issubdtype(lengths_arr.dtype, np.integer):
        raise ValueError(f"lengths must be whole numbers, got {lengths!r}")
    if (lengths_arr < 1).any() or (lengths_arr > n).any():
        raise ValueError(f"every length must be between 1 and n={n}, got {lengths_arr.tolist()}")
    return (np.arange(n)[None, :] < lengths_arr[:, None])[:, None, :]


def _shape_problem(q_shape, k_shape, v_shape, mask_shape) -> str | None:
    """Describe, in a learner's words, what is wrong with these shapes (None when all is well)."""
    for name, shape in (("Q", q_shape), ("K", k_shape), ("V", v_shape)):
        if len(shape) < 2:
            return (
                f"{name} has shape {tuple(shape)}, but attention needs at least 2 dimensions "
                f"(tokens, features); for one token use shape (1, d)"
            )
    if q_shape[-1] != k_shape[-1]:
        return (
            f"Q has d_k={q_shape[-1]} but K has d_k={k_shape[-1]}: the last dimensions must "
            "match, because each query is compared with each key by a dot product"
        )
    if k_shape[-2] != v_shape[-2]:
        return (
            f"K has {k_shape[-2]} keys but V has {v_shape[-2]} values: there must be exactly "
            "one value per key"
        )
    try:
        batch = np.broadcast_shapes(q_shape[:-2], k_shape[:-2], v_shape[:-2])
    except ValueError:
        return (
            f"the leading (batch/head) dimensions of Q {tuple(q_shape)}, K {tuple(k_shape)} "
            f"and V {tuple(v_shape)} do not broadcast"
        )
    if mask_shape is not None:
        scores_shape = (*batch, q_shape[-2], k_shape[-2])
        try:
            if np.broadcast_shapes(mask_shape, scores_shape) != scores_shape:
                raise ValueError
        except ValueError:
            return (
                f"the mask has shape {tuple(mask_shape)} but the scores have shape "
                f"{scores_shape} (queries × keys): the mask must broadcast to it"
            )
    return None


def _scale_factor(scale, d_k: int) -> float:
    """1/√d_k for ``scale=True``, 1 for False, or the number given."""
    if scale is True:
        return 1.0 / math.sqrt(d_k)
    if scale is False:
        return 1.0
    if isinstance(scale, (int, float)) and scale > 0:
        return float(scale)
    raise ValueError(f"scale must be True (divide by √d_k), False, or a positive number; got {scale!r}")


def attention(Q, K, V, mask=None, scale=True) -> tuple[np.ndarray, np.ndarray]:
    """Scaled dot-product attention in numpy; returns ``(output, weights)``.

    ``scale=True`` divides the scores by √d_k (the Transformer's choice), ``False`` does not,
    and a number multiplies the scores by it.
    """
    Q, K, V = (np.asarray(a, dtype=float) for a in (Q, K, V))
    if mask is not None:
        mask = np.asarray(mask)
        if mask.dtype != bool:
            raise ValueError(
                "the mask must be boolean (True = may attend), e.g. causal_mask(n); "
                f"got dtype {mask.dtype}"
            )
    problem = _shape_problem(Q.shape, K.shape, V.shape, None if mask is None else mask.shape)
    if problem:
        raise ValueError(problem)
    scores = Q @ np.swapaxes(K, -1, -2) * _scale_factor(scale, Q.shape[-1])  # (..., n_q, n_k)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    weights = softmax(scores, axis=-1)
    return weights @ V, weights


def attention_torch(Q, K, V, mask=None, scale=True) -> tuple[torch.Tensor, torch.Tensor]:
    """Scaled dot-product attention in torch (differentiable); returns ``(output, weights)``."""
    for name, t in (("Q", Q), ("K", K), ("V", V)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(
                f"{name} must be a torch.Tensor, got {type(t).__name__}; "
                "convert with torch.as_tensor(x, dtype=torch.float32)"
            )
    if mask is not None:
        if not isinstance(mask, torch.Tensor):
            mask = torch.as_tensor(np.asarray(mask))
        if mask.dtype != torch.bool:
            raise ValueError(
                f"the mask must be boolean (True = may attend); got dtype {mask.dtype}"
            )
    problem = _shape_problem(Q.shape, K.shape, V.shape, None if mask is None else mask.shape)
    if problem:
        raise ValueError(problem)
    scores = Q @ K.transpose(-2, -1) * _scale_factor(scale, Q.shape[-1])  # (..., n_q, n_k)
    if mask is not None:
        if not mask.any(dim=-1).all():
            raise ValueError(
                "a row of the mask is all False: every query needs at least one key it may attend to"
            )
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ V, weights
