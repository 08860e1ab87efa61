"""Attention two ways: naive (holds the n×n score matrix) and tiled with an online softmax.

The tiled version is the idea behind FlashAttention (Dao et al. 2022; online softmax from
Milakov & Gimelshein 2018, Rabe & Staats 2021): walk over the keys in blocks, keep for each
query a running maximum ``m``, a running sum of exponentials ``l`` and a running weighted
sum of values ``acc``, and rescale them whenever the maximum grows. The result is exact
attention, but the largest temporary is ``(n_q, block)`` instead of ``(n_q, n_k)``.

Shapes: ``q`` is ``(..., n_q, d_k)``, ``k`` is ``(..., n_k, d_k)``, ``v`` is ``(..., n_k, d_v)``.
"""

from __future__ import annotations

import math

import torch

__all__ = ["naive_attention", "tiled_attention"]


def _check_qkv(q, k, v) -> None:
    """Raise a helpful error unless q, k, v are float tensors whose shapes fit together."""
    for name, t in (("q", q), ("k", k), ("v", v)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(
                f"{name} must be a torch.Tensor, got {type(t).__name__}; "
                "convert with torch.as_tensor(x, dtype=torch.float32)"
            )
        if t.dim() < 2:
            raise ValueError(f"{name} has shape {tuple(t.shape)}; attention needs (..., tokens, features)")
        if not t.is_floating_point():
            raise ValueError(f"{name} has dtype {t.dtype}; use a float tensor, e.g. x.float()")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"q has d_k={q.shape[-1]} but k has d_k={k.shape[-1]}: the last dimensions must match"
        )
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"k has {k.shape[-2]} keys but v has {v.shape[-2]} values: one value per key")


def naive_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """softmax(q·kᵀ/√d_k)·v the textbook way: builds the full (n_q, n_k) score matrix."""
    _check_qkv(q, k, v)
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (..., n_q, n_k)
    return torch.softmax(scores, dim=-1) @ v  # (..., n_q, d_v)


def tiled_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, block: int = 128
) -> torch.Tensor:
    """Exact attention over blocks of ``block`` keys with an online softmax; never holds n×n."""
    _check_qkv(q, k, v)
    if isinstance(block, bool) or not isinstance(block, int) or block < 1:
        raise ValueError(f"block must be a positive whole number of keys, e.g. 128; got {block!r}")
    scale = 1.0 / math.sqrt(q.shape[-1])
    m = torch.full(q.shape[:-1] + (1,), -math.inf, dtype=q.dtype, device=q.device)  # running max
    l = torch.zeros_like(m)  # noqa: E741 - running sum of exp(score - m), as in the paper
    acc = torch.zeros(q.shape[:-1] + v.shape[-1:], dtype=q.dtype, device=q.device)  # (..., n_q, d_v)
    for start in range(0, k.shape[-2], block):
        s = q @ k[..., start : start + block, :].transpose(-2, -1) * scale  # (..., n_q, block)
        m_new = torch.maximum(m, s.amax(dim=-1, keepdim=True))
        p = torch.exp(s - m_new)  # this block's weights, relative to the new maximum
        correction = torch.exp(m - m_new)  # shrink what was summed under the old maximum
        l = l * correction + p.sum(dim=-1, keepdim=True)  # noqa: E741
        acc = acc * correction + p @ v[..., start : start + block, :]
        m = m_new
    return acc / l
