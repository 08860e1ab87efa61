"""Between the course's Transformer modules and PyTorch's: masks and weights (notebook 06).

``torch.nn.MultiheadAttention`` and ``torch.nn.TransformerEncoderLayer`` read a boolean mask
the *opposite* way to the course (True = blocked, not True = may attend); ``torch_masks``
flips ours into theirs. ``load_from_torch_mha`` and ``load_from_torch_encoder_layer`` copy
torch's weights into ours, so notebook 06 can show that both compute the same thing.
"""

from __future__ import annotations

import torch
from torch import nn

from course_utils import _validate as val
from course_utils.transformer import MultiHeadAttention, TransformerBlock

__all__ = ["load_from_torch_encoder_layer", "load_from_torch_mha", "torch_masks"]


def torch_masks(attn_mask=None, key_padding_mask=None, n_heads: int = 1):
    """Course masks (True = may attend) → torch's ``(attn_mask, key_padding_mask)``.

    Torch's masks are True where attention is blocked.

    A per-example ``(B, n_q, n_k)`` attn_mask becomes torch's ``(B·h, n_q, n_k)``.
    """
    attn_mask, key_padding_mask = val.mask_pair(attn_mask, key_padding_mask)
    if attn_mask is not None and attn_mask.dim() == 3:  # (B, n_q, n_k) → (B·h, n_q, n_k)
        attn_mask = attn_mask.repeat_interleave(val.model_size(n_heads, "n_heads"), dim=0)
    flip = lambda m: None if m is None else ~m  # noqa: E731
    return flip(attn_mask), flip(key_padding_mask)


@torch.no_grad()
def load_from_torch_mha(ours: MultiHeadAttention, torch_mha: nn.MultiheadAttention):
    """Copy torch's weights into ours (torch stacks W_Q, W_K, W_V in one ``in_proj_weight``)."""
    val.mha_pair(ours, torch_mha)
    d = ours.d_model
    for i, proj in enumerate((ours.q_proj, ours.k_proj, ours.v_proj)):
        proj.weight.copy_(torch_mha.in_proj_weight[i * d : (i + 1) * d])  # rows of W_Q, W_K, W_V
        if proj.bias is not None:
            proj.bias.copy_(torch_mha.in_proj_bias[i * d : (i + 1) * d])
    ours.out_proj.load_state_dict(torch_mha.out_proj.state_dict())
    ours.dropout.p = torch_mha.dropout
    return ours


@torch.no_grad()
def load_from_torch_encoder_layer(ours: TransformerBlock, torch_layer: nn.TransformerEncoderLayer):
    """Copy a ``torch.nn.TransformerEncoderLayer(batch_first=True)`` into our block."""
    val.encoder_layer_pair(ours, torch_layer)
    load_from_torch_mha(ours.attn, torch_layer.self_attn)
    for mine, theirs in (
        (ours.ff.linear1, torch_layer.linear1),
        (ours.ff.linear2, torch_layer.linear2),
        (ours.norm1, torch_layer.norm1),
        (ours.norm2, torch_layer.norm2),
    ):
        mine.load_state_dict(theirs.state_dict())
    ours.norm1.eps, ours.norm2.eps = torch_layer.norm1.eps, torch_layer.norm2.eps
    ours.dropout1.p = ours.dropout2.p = ours.ff.dropout.p = torch_layer.dropout1.p
    return ours
