"""Scaled dot-product attention, ``softmax(Q·Kᵀ/√d_k)·V``, in numpy and in torch (notebook 04).

Shapes: ``Q`` is ``(..., n_q, d_k)``, ``K`` is ``(..., n_k, d_k)``, ``V`` is ``(..., n_k, d_v)``;
the output is ``(..., n_q, d_v)`` and the weights ``(..., n_q, n_k)``. Leading dimensions
(batch, heads) are optional and broadcast.

Masks are boolean and say who may look at whom: ``mask[..., i, j]`` is True when query ``i``
may attend to key ``j`` (the convention of ``torch.nn.functional.scaled_dot_product_attention``).

This is the course's one softmax and one scaled dot-product: multi-head attention (06) and
naive attention (07) call ``attention_torch``. Input checks live in ``course_utils._validate``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from course_utils import _validate as check

__all__ = ["attention", "attention_torch", "causal_mask", "padding_mask", "softmax"]


def softmax(x, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``, computed stably by subtracting the maximum first."""
    x, axis = check.softmax_scores(x, axis)
    e = np.exp(x - x.max(axis=axis, keepdims=True))  # the largest entry becomes exp(0) = 1
    return e / e.sum(axis=axis, keepdims=True)


def causal_mask(n: int) -> np.ndarray:
    """(n, n) boolean mask where position i may attend to positions j ≤ i (left-to-right)."""
    n = check.mask_size(n)
    return np.tril(np.ones((n, n), dtype=bool))  # True on and below the diagonal


def padding_mask(lengths: Sequence[int], n: int) -> np.ndarray:
    """(batch, 1, n) boolean mask: True for the first ``lengths[b]`` keys of sequence b.

    The middle axis of size 1 broadcasts over the queries, so every query ignores padding.
    """
    lengths, n = check.mask_lengths(lengths, n)
    return (np.arange(n)[None, :] < lengths[:, None])[:, None, :]  # key j is real if j < length


def attention(Q, K, V, mask=None, scale=True) -> tuple[np.ndarray, np.ndarray]:
    """Scaled dot-product attention in numpy; returns ``(output, weights)``.

    ``scale=True`` divides the scores by √d_k (the Transformer's choice), ``False`` does not,
    and a number multiplies the scores by it.
    """
    Q, K, V, mask, factor = check.attention_arrays(Q, K, V, mask, scale)
    scores = Q @ np.swapaxes(K, -1, -2) * factor  # (..., n_q, n_k)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)  # forbidden pairs get weight exp(-inf) = 0
    weights = softmax(scores, axis=-1)  # (..., n_q, n_k), each row sums to 1
    return weights @ V, weights  # (..., n_q, d_v)


def attention_torch(
    Q, K, V, mask=None, scale=True, dropout: float = 0.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Scaled dot-product attention in torch (differentiable); returns ``(output, weights)``.

    ``dropout`` (a rate in [0, 1)) drops attention weights before they meet V, as in training
    (pass 0 in evaluation); the weights returned are those before dropout. K, V and numpy input
    are converted to Q's dtype and device; NaN in the inputs passes through to the output.
    """
    Q, K, V, mask, factor, dropout = check.attention_tensors(Q, K, V, mask, scale, dropout)
    scores = Q @ K.transpose(-2, -1) * factor  # (..., n_q, n_k)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))  # forbidden pairs get weight 0
    weights = torch.softmax(scores, dim=-1)  # (..., n_q, n_k), each row sums to 1
    dropped = torch.nn.functional.dropout(weights, dropout) if dropout else weights
    return dropped @ V, weights  # (..., n_q, d_v)
