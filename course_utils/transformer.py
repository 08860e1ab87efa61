"""The Transformer encoder of notebook 06: multi-head attention, feed-forward, the block, the stack.

These are the classes notebook 06 writes out in the open (the drift test in
``tests/test_transformer.py`` holds the two equal). Shapes: ``B`` batch, ``n`` positions
(``n_q`` queries, ``n_k`` keys), ``d_model`` features per token, ``h`` heads of width
``d_k = d_model // h``; everything is batch-first, ``(B, n, d_model)``.

Masks are boolean with the course's convention, **True = may attend** (as in notebook 04):
``attn_mask`` is ``(n_q, n_k)`` or ``(B, n_q, n_k)``, ``key_padding_mask`` is ``(B, n_k)`` with
True for real tokens. ``torch.nn.MultiheadAttention`` means the opposite by True;
``course_utils.torch_interop`` converts masks and copies weights to and from torch's modules.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from course_utils import _validate as val
from course_utils.attention import attention_torch

__all__ = [
    "FeedForward",
    "MultiHeadAttention",
    "TransformerBlock",
    "TransformerEncoder",
    "combine_masks",
    "merge_heads",
    "sinusoidal_positional_encoding",
    "split_heads",
]


def split_heads(x: torch.Tensor, n_heads: int) -> torch.Tensor:
    """(B, n, d_model) → (B, h, n, d_k): head i gets features i·d_k … (i+1)·d_k − 1.

    A pure reshape: NaN and inf pass through unchanged.
    """
    x, n_heads = val.split_input(x, n_heads)
    B, n, d_model = x.shape
    return x.reshape(B, n, n_heads, d_model // n_heads).transpose(1, 2)  # (B, h, n, d_k)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """(B, h, n, d_k) → (B, n, h·d_k): the heads' outputs side by side again.

    NaN passes through.
    """
    x = val.heads_tensor(x)
    B, h, n, d_k = x.shape
    return x.transpose(1, 2).reshape(B, n, h * d_k)  # (B, n, d_model)


def combine_masks(attn_mask=None, key_padding_mask=None) -> torch.Tensor | None:
    """Both course masks (True = may attend) as one that broadcasts to (B, h, n_q, n_k), or None."""
    attn_mask, key_padding_mask = val.mask_pair(attn_mask, key_padding_mask)
    mask = None
    if attn_mask is not None:  # (n_q, n_k) stays, (B, n_q, n_k) → (B, 1, n_q, n_k)
        mask = attn_mask if attn_mask.dim() == 2 else attn_mask[:, None]
    if key_padding_mask is not None:
        padding = key_padding_mask[:, None, None, :]  # (B, 1, 1, n_k)
        mask = padding if mask is None else mask & padding  # (B, 1, n_q, n_k)
    return mask


class MultiHeadAttention(nn.Module):
    """h attention heads side by side, each on its own d_k = d_model/h slice, mixed by W_O."""

    def __init__(self, d_model: int, n_heads: int, dropout: float = 0.0, bias: bool = True):
        super().__init__()
        self.d_model, self.n_heads = val.heads(d_model, n_heads)
        bias = val.flag(bias, "bias")
        self.d_k = self.d_model // self.n_heads
        self.q_proj = nn.Linear(self.d_model, self.d_model, bias=bias)  # W_Q of all heads
        self.k_proj = nn.Linear(self.d_model, self.d_model, bias=bias)  # W_K
        self.v_proj = nn.Linear(self.d_model, self.d_model, bias=bias)  # W_V
        self.out_proj = nn.Linear(self.d_model, self.d_model, bias=bias)  # W_O mixes the heads
        self.dropout = nn.Dropout(val.fraction(dropout, "dropout"))  # on the attention weights

    def forward(self, query, key=None, value=None, attn_mask=None, key_padding_mask=None):
        """Return ``(out (B, n_q, d_model), weights (B, h, n_q, n_k))``.

        key and value default to query.
        """
        key = query if key is None else key  # self-attention: all three from the same tokens
        value = key if value is None else value
        query, key, value, attn_mask, key_padding_mask = val.mha_inputs(
            self, query, key, value, attn_mask, key_padding_mask
        )
        q = split_heads(self.q_proj(query), self.n_heads)  # (B, h, n_q, d_k)
        k = split_heads(self.k_proj(key), self.n_heads)  # (B, h, n_k, d_k)
        v = split_heads(self.v_proj(value), self.n_heads)  # (B, h, n_k, d_k)
        mask = combine_masks(attn_mask, key_padding_mask)  # broadcasts to (B, h, n_q, n_k)
        p = self.dropout.p if self.training else 0.0  # dropout on the weights while training
        heads, weights = attention_torch(q, k, v, mask, dropout=p)  # (B,h,n_q,d_k), (B,h,n_q,n_k)
        return self.out_proj(merge_heads(heads)), weights  # (B, n_q, d_model), (B, h, n_q, n_k)


class FeedForward(nn.Module):
    """Position-wise feed-forward: Linear(d_model → d_ff), ReLU/GELU, Linear(d_ff → d_model)."""

    def __init__(self, d_model: int, d_ff: int, activation: str = "relu", dropout: float = 0.0):
        super().__init__()
        d_model, d_ff = val.model_size(d_model, "d_model"), val.model_size(d_ff, "d_ff")
        self.linear1 = nn.Linear(d_model, d_ff)
        act = val.one_of(activation, "activation", ("relu", "gelu"))
        self.activation = nn.ReLU() if act == "relu" else nn.GELU()
        self.dropout = nn.Dropout(val.fraction(dropout, "dropout"))
        self.linear2 = nn.Linear(d_ff, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(..., d_model) → (..., d_model), the same function applied to every position alone."""
        x = val.feature_tensor(x, self, self.linear1.in_features)
        return self.linear2(self.dropout(self.activation(self.linear1(x))))  # (..., d_model)


class TransformerBlock(nn.Module):
    """One encoder block: self-attention and feed-forward, each with a residual and LayerNorm.

    ``norm_first=False`` is the paper's post-LN, ``x = LayerNorm(x + Sublayer(x))``;
    ``norm_first=True`` is pre-LN, ``x = x + Sublayer(LayerNorm(x))`` (GPT-2 and most models since).
    """

    def __init__(self, d_model, n_heads, d_ff, dropout=0.0, norm_first=False, activation="relu"):
        super().__init__()
        self.attn = MultiHeadAttention(d_model, n_heads, dropout=dropout)
        self.ff = FeedForward(d_model, d_ff, activation=activation, dropout=dropout)
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.dropout1, self.dropout2 = nn.Dropout(dropout), nn.Dropout(dropout)
        self.norm_first = val.flag(norm_first, "norm_first")
        self.attn_weights: torch.Tensor | None = None  # (B, h, n, n) of the last forward

    def _self_attention(self, x, attn_mask, key_padding_mask) -> torch.Tensor:
        """The attention sub-layer (with dropout); keeps its weights in ``self.attn_weights``."""
        out, weights = self.attn(x, attn_mask=attn_mask, key_padding_mask=key_padding_mask)
        self.attn_weights = weights.detach()  # (B, h, n, n)
        return self.dropout1(out)  # (B, n, d_model)

    def forward(self, x: torch.Tensor, attn_mask=None, key_padding_mask=None) -> torch.Tensor:
        """(B, n, d_model) → (B, n, d_model)."""
        x = val.token_vectors(x, "x", self, self.attn.d_model)
        if self.norm_first:  # pre-LN: x + Sublayer(LayerNorm(x))
            x = x + self._self_attention(self.norm1(x), attn_mask, key_padding_mask)  # (B, n, d)
            x = x + self.dropout2(self.ff(self.norm2(x)))  # (B, n, d_model)
        else:  # post-LN, as in the paper: LayerNorm(x + Sublayer(x))
            x = self.norm1(x + self._self_attention(x, attn_mask, key_padding_mask))  # (B, n, d)
            x = self.norm2(x + self.dropout2(self.ff(x)))  # (B, n, d_model)
        return x


def sinusoidal_positional_encoding(n_positions: int, d_model: int) -> torch.Tensor:
    """(n_positions, d_model): PE[pos, 2i] = sin(pos/10000^(2i/d_model)), PE[pos, 2i+1] = cos(…)."""
    n, d = val.model_size(n_positions, "n_positions"), val.model_size(d_model, "d_model")
    pos = torch.arange(n, dtype=torch.float64)[:, None]  # (n, 1)
    two_i = torch.arange(0, d, 2, dtype=torch.float64)  # (ceil(d/2),): 0, 2, 4, …
    angle = pos / 10000.0 ** (two_i / d)  # (n, ceil(d/2))
    pe = torch.zeros(n, d, dtype=torch.float64)  # (n, d_model)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle[:, : d // 2])
    return pe.to(torch.get_default_dtype())


class TransformerEncoder(nn.Module):
    """Token embedding (× √d_model, as in the paper) + sinusoidal positions + a stack of blocks.

    The embedding starts as N(0, 1/d_model), so after the × √d_model each component has
    unit scale, like the positional encoding it is added to. With ``norm_first=True`` a final
    LayerNorm follows the last block (as in GPT-2): pre-LN blocks leave their output
    un-normalised.
    """

    def __init__(
        self,
        vocab_size,
        d_model,
        n_heads,
        d_ff,
        n_layers,
        max_len,
        dropout=0.0,
        norm_first=False,
        activation="relu",
    ):
        super().__init__()
        self.d_model, _ = val.heads(d_model, n_heads)
        self.vocab_size = val.model_size(vocab_size, "vocab_size")
        self.max_len = val.model_size(max_len, "max_len")
        self.embedding = nn.Embedding(self.vocab_size, d_model)
        nn.init.normal_(self.embedding.weight, std=d_model**-0.5)  # × √d_model → unit scale
        pe = sinusoidal_positional_encoding(self.max_len, d_model)  # (max_len, d_model)
        self.register_buffer("positional_encoding", pe, persistent=False)
        self.dropout = nn.Dropout(val.fraction(dropout, "dropout"))
        self.blocks = nn.ModuleList(
            TransformerBlock(d_model, n_heads, d_ff, dropout, norm_first, activation)
            for _ in range(val.model_size(n_layers, "n_layers"))
        )
        self.final_norm = nn.LayerNorm(d_model) if norm_first else nn.Identity()

    def forward(self, tokens: torch.Tensor, key_padding_mask=None, attn_mask=None) -> torch.Tensor:
        """tokens (B, n) of ids → contextual vectors (B, n, d_model)."""
        tokens = val.encoder_tokens(tokens, self.vocab_size, self.max_len)  # (B, n) of ids
        x = self.embedding(tokens) * math.sqrt(self.d_model)  # (B, n, d_model)
        x = self.dropout(x + self.positional_encoding[: tokens.shape[1]])  # (B, n, d_model)
        for block in self.blocks:
            x = block(x, attn_mask=attn_mask, key_padding_mask=key_padding_mask)  # (B, n, d_model)
        return self.final_norm(x)  # (B, n, d_model)

    def attention_maps(self) -> list[torch.Tensor]:
        """The attention weights of the last forward pass, one (B, h, n, n) tensor per layer."""
        if any(b.attn_weights is None for b in self.blocks):
            raise RuntimeError("no attention maps yet: run the model on some tokens first")
        return [b.attn_weights for b in self.blocks]
