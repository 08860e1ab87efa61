"""The Transformer encoder built from scratch: multi-head attention, feed-forward, the block.

Shapes: ``B`` batch, ``n`` positions (``n_q`` queries, ``n_k`` keys), ``d_model`` the width of
every token vector, ``h`` heads of width ``d_k = d_model // h``. Everything is batch-first:
``(B, n, d_model)``.

Masks are boolean with the course's convention, **True = may attend**:

- ``attn_mask`` ``(n_q, n_k)`` or ``(B, n_q, n_k)``: ``attn_mask[i, j]`` says query i may look at key j
  (e.g. ``torch.tril(torch.ones(n, n, dtype=torch.bool))`` for left-to-right);
- ``key_padding_mask`` ``(B, n_k)``: True for real tokens, False for padding.

``torch.nn.MultiheadAttention`` uses the *opposite* meaning for boolean masks (True = blocked);
``torch_masks`` converts ours to theirs. ``load_from_torch_*`` / ``to_torch_*`` copy weights
between these modules and torch's, so the two can be shown to compute the same thing.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

__all__ = [
    "FeedForward",
    "MultiHeadAttention",
    "TransformerBlock",
    "TransformerEncoder",
    "load_from_torch_encoder_layer",
    "load_from_torch_mha",
    "merge_heads",
    "sinusoidal_positional_encoding",
    "split_heads",
    "to_torch_encoder_layer",
    "to_torch_mha",
    "torch_masks",
]

ACTIVATIONS = ("relu", "gelu")


# ----------------------------------------------------------------------------- validation
def _positive_int(value, name: str) -> int:
    """``value`` as an int, or a ValueError that says what ``name`` must be."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive whole number, got {value!r}")
    return int(value)


def _dropout(p, name: str = "dropout") -> float:
    """``p`` as a float in [0, 1), or a ValueError."""
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p < 1.0:
        raise ValueError(f"{name} is a probability in [0, 1), e.g. 0.1; got {p!r}")
    return float(p)


def _check_heads(d_model: int, n_heads: int) -> tuple[int, int]:
    """Validate ``d_model`` and ``n_heads``; return them with ``d_k``."""
    d_model = _positive_int(d_model, "d_model")
    n_heads = _positive_int(n_heads, "n_heads")
    if d_model % n_heads:
        divisors = [h for h in range(1, d_model + 1) if d_model % h == 0]
        raise ValueError(
            f"d_model={d_model} is not divisible by n_heads={n_heads}: each head gets "
            f"d_model / n_heads features, which must be a whole number. "
            f"Choose n_heads from {divisors}."
        )
    return d_model, n_heads


def _as_bool_mask(mask, name: str) -> torch.Tensor:
    """A boolean tensor from a tensor/array mask, or a ValueError explaining the convention."""
    if not isinstance(mask, torch.Tensor):
        mask = torch.as_tensor(np.asarray(mask))
    if mask.dtype != torch.bool:
        raise ValueError(
            f"{name} must be boolean with True = may attend (the course's convention); "
            f"got dtype {mask.dtype}. Build it with comparisons, e.g. tokens != PAD."
        )
    return mask


def _combined_mask(
    attn_mask, key_padding_mask, batch: int, n_q: int, n_k: int
) -> torch.Tensor | None:
    """Both masks merged into one ``(B or 1, 1, n_q, n_k)`` boolean tensor (True = may attend)."""
    allowed = None
    if attn_mask is not None:
        m = _as_bool_mask(attn_mask, "attn_mask")
        if m.shape == (n_q, n_k):
            m = m[None, None]
        elif m.shape == (batch, n_q, n_k):
            m = m[:, None]
        else:
            raise ValueError(
                f"attn_mask has shape {tuple(m.shape)}; expected (n_q, n_k) = ({n_q}, {n_k}) "
                f"or (batch, n_q, n_k) = ({batch}, {n_q}, {n_k})"
            )
        allowed = m
    if key_padding_mask is not None:
        m = _as_bool_mask(key_padding_mask, "key_padding_mask")
        if m.shape != (batch, n_k):
            raise ValueError(
                f"key_padding_mask has shape {tuple(m.shape)}; expected (batch, n_k) = "
                f"({batch}, {n_k}), True for real tokens and False for padding"
            )
        m = m[:, None, None, :]
        allowed = m if allowed is None else allowed & m
    if allowed is not None and not allowed.any(dim=-1).all():
        raise ValueError(
            "with these masks some query may attend to no key at all (a row of the mask is "
            "all False), so its softmax is undefined: every query needs at least one real key"
        )
    return allowed


def _check_tokens_3d(x, name: str, d_model: int | None = None) -> None:
    """Raise a helpful error unless ``x`` is a float tensor ``(B, n, d_model)``."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor of shape (batch, n, d_model), got {type(x).__name__}; "
            "convert with torch.as_tensor(x, dtype=torch.float32)"
        )
    if x.dim() != 3:
        raise ValueError(
            f"{name} has shape {tuple(x.shape)}, but the Transformer works batch-first on "
            "(batch, n, d_model); for one sequence use x.unsqueeze(0)"
        )
    if d_model is not None and x.shape[-1] != d_model:
        raise ValueError(
            f"{name} has {x.shape[-1]} features per token, but this module was built with "
            f"d_model={d_model}"
        )


# ----------------------------------------------------------------------------- heads
def split_heads(x: torch.Tensor, n_heads: int) -> torch.Tensor:
    """(B, n, d_model) → (B, h, n, d_k): each head gets its own slice of the features."""
    B, n, d_model = x.shape
    d_k = d_model // n_heads
    return x.reshape(B, n, n_heads, d_k).transpose(1, 2)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """(B, h, n, d_k) → (B, n, h·d_k): the heads' outputs side by side again."""
    B, h, n, d_k = x.shape
    return x.transpose(1, 2).reshape(B, n, h * d_k)


# ----------------------------------------------------------------------------- modules
class MultiHeadAttention(nn.Module):
    """h attention heads in parallel, each on its own d_k = d_model/h slice, then mixed by W_O."""

    def __init__(self, d_model: int, n_heads: int, dropout: float = 0.0, bias: bool = True):
        super().__init__()
        self.d_model, self.n_heads = _check_heads(d_model, n_heads)
        self.d_k = self.d_model // self.n_heads
        self.q_proj = nn.Linear(self.d_model, self.d_model, bias=bias)  # W_Q for all heads
        self.k_proj = nn.Linear(self.d_model, self.d_model, bias=bias)  # W_K
        self.v_proj = nn.Linear(self.d_model, self.d_model, bias=bias)  # W_V
        self.out_proj = nn.Linear(self.d_model, self.d_model, bias=bias)  # W_O
        self.dropout = nn.Dropout(_dropout(dropout))

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor | None = None,
        value: torch.Tensor | None = None,
        attn_mask=None,
        key_padding_mask=None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(out (B, n_q, d_model), weights (B, h, n_q, n_k))``; key/value default to query."""
        key = query if key is None else key
        value = key if value is None else value
        for name, t in (("query", query), ("key", key), ("value", value)):
            _check_tokens_3d(t, name, self.d_model)
        if key.shape[:2] != value.shape[:2] or query.shape[0] != key.shape[0]:
            raise ValueError(
                f"query {tuple(query.shape)}, key {tuple(key.shape)} and value {tuple(value.shape)} "
                "must share the batch size, and key and value the number of positions"
            )
        B, n_q, n_k = query.shape[0], query.shape[1], key.shape[1]
        allowed = _combined_mask(attn_mask, key_padding_mask, B, n_q, n_k)
        q = split_heads(self.q_proj(query), self.n_heads)  # (B, h, n_q, d_k)
        k = split_heads(self.k_proj(key), self.n_heads)  # (B, h, n_k, d_k)
        v = split_heads(self.v_proj(value), self.n_heads)  # (B, h, n_k, d_k)
        scores = (q / math.sqrt(self.d_k)) @ k.transpose(-2, -1)  # (B, h, n_q, n_k)
        if allowed is not None:
            scores = scores.masked_fill(~allowed.to(scores.device), float("-inf"))
        weights = torch.softmax(scores, dim=-1)  # (B, h, n_q, n_k)
        heads = self.dropout(weights) @ v  # (B, h, n_q, d_k)
        return self.out_proj(merge_heads(heads)), weights  # (B, n_q, d_model)


class FeedForward(nn.Module):
    """Position-wise feed-forward: Linear(d_model → d_ff), ReLU/GELU, Linear(d_ff → d_model)."""

    def __init__(self, d_model: int, d_ff: int, activation: str = "relu", dropout: float = 0.0):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        self.linear1 = nn.Linear(_positive_int(d_model, "d_model"), _positive_int(d_ff, "d_ff"))
        self.activation = nn.ReLU() if activation == "relu" else nn.GELU()
        self.dropout = nn.Dropout(_dropout(dropout))
        self.linear2 = nn.Linear(d_ff, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(..., d_model) → (..., d_model), the same function applied to every position alone."""
        return self.linear2(self.dropout(self.activation(self.linear1(x))))


class TransformerBlock(nn.Module):
    """One encoder block: self-attention and feed-forward, each with a residual and LayerNorm.

    ``norm_first=False`` is the paper's post-LN, ``x = LayerNorm(x + Sublayer(x))``;
    ``norm_first=True`` is pre-LN, ``x = x + Sublayer(LayerNorm(x))`` (GPT-2 and most models since).
    """

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        d_ff: int,
        dropout: float = 0.0,
        norm_first: bool = False,
        activation: str = "relu",
    ):
        super().__init__()
        self.attn = MultiHeadAttention(d_model, n_heads, dropout=dropout)
        self.ff = FeedForward(d_model, d_ff, activation=activation, dropout=dropout)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.norm_first = bool(norm_first)
        self.attn_weights: torch.Tensor | None = None  # (B, h, n, n) of the last forward

    def _self_attention(self, x, attn_mask, key_padding_mask) -> torch.Tensor:
        """The attention sub-layer (with dropout); keeps its weights in ``self.attn_weights``."""
        out, weights = self.attn(x, attn_mask=attn_mask, key_padding_mask=key_padding_mask)
        self.attn_weights = weights.detach()
        return self.dropout1(out)

    def forward(self, x: torch.Tensor, attn_mask=None, key_padding_mask=None) -> torch.Tensor:
        """(B, n, d_model) → (B, n, d_model)."""
        _check_tokens_3d(x, "x", self.attn.d_model)
        if self.norm_first:
            x = x + self._self_attention(self.norm1(x), attn_mask, key_padding_mask)
            x = x + self.dropout2(self.ff(self.norm2(x)))
        else:
            x = self.norm1(x + self._self_attention(x, attn_mask, key_padding_mask))
            x = self.norm2(x + self.dropout2(self.ff(x)))
        return x


def sinusoidal_positional_encoding(n_positions: int, d_model: int) -> torch.Tensor:
    """(n_positions, d_model): PE[pos, 2i] = sin(pos/10000^(2i/d_model)), PE[pos, 2i+1] = cos(…)."""
    n_positions = _positive_int(n_positions, "n_positions")
    d_model = _positive_int(d_model, "d_model")
    pos = torch.arange(n_positions, dtype=torch.float64)[:, None]  # (n, 1)
    two_i = torch.arange(0, d_model, 2, dtype=torch.float64)  # (ceil(d/2),)
    angle = pos / 10000.0 ** (two_i / d_model)  # (n, ceil(d/2))
    pe = torch.zeros(n_positions, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle[:, : d_model // 2])
    return pe.to(torch.get_default_dtype())


class TransformerEncoder(nn.Module):
    """Token embedding (× √d_model, as in the paper) + sinusoidal positions + a stack of blocks.

    The embedding starts as N(0, 1/d_model), so after the × √d_model each component has
    unit scale, like the positional encoding it is added to.

    With ``norm_first=True`` a final LayerNorm follows the last block (as in GPT-2), because
    pre-LN blocks leave their output un-normalised.
    """

    def __init__(
        self,
        vocab_size: int,
        d_model: int,
        n_heads: int,
        d_ff: int,
        n_layers: int,
        max_len: int,
        dropout: float = 0.0,
        norm_first: bool = False,
        activation: str = "relu",
    ):
        super().__init__()
        _check_heads(d_model, n_heads)
        self.vocab_size = _positive_int(vocab_size, "vocab_size")
        self.max_len = _positive_int(max_len, "max_len")
        self.d_model = d_model
        self.embedding = nn.Embedding(self.vocab_size, d_model)
        nn.init.normal_(self.embedding.weight, std=d_model**-0.5)  # × √d_model → unit scale
        self.register_buffer(
            "positional_encoding", sinusoidal_positional_encoding(self.max_len, d_model), persistent=False
        )
        self.dropout = nn.Dropout(_dropout(dropout))
        self.blocks = nn.ModuleList(
            TransformerBlock(d_model, n_heads, d_ff, dropout, norm_first, activation)
            for _ in range(_positive_int(n_layers, "n_layers"))
        )
        self.final_norm = nn.LayerNorm(d_model) if norm_first else nn.Identity()

    def forward(self, tokens: torch.Tensor, key_padding_mask=None, attn_mask=None) -> torch.Tensor:
        """tokens (B, n) of ids → contextual vectors (B, n, d_model)."""
        if not isinstance(tokens, torch.Tensor) or tokens.dtype != torch.long or tokens.dim() != 2:
            got = tuple(tokens.shape) if isinstance(tokens, torch.Tensor) else type(tokens).__name__
            raise ValueError(
                f"tokens must be a (batch, n) tensor of integer ids (dtype torch.long), got {got}"
                + (f" of dtype {tokens.dtype}" if isinstance(tokens, torch.Tensor) else "")
            )
        n = tokens.shape[1]
        if n > self.max_len:
            raise ValueError(f"the sequences have {n} tokens but max_len={self.max_len}: build the model with a larger max_len")
        if tokens.numel() and (tokens.min() < 0 or tokens.max() >= self.vocab_size):
            raise ValueError(
                f"token ids must lie in [0, {self.vocab_size - 1}] (vocab_size={self.vocab_size}); "
                f"got ids from {int(tokens.min())} to {int(tokens.max())}"
            )
        x = self.embedding(tokens) * math.sqrt(self.d_model)  # (B, n, d_model)
        x = self.dropout(x + self.positional_encoding[:n])
        for block in self.blocks:
            x = block(x, attn_mask=attn_mask, key_padding_mask=key_padding_mask)
        return self.final_norm(x)

    def attention_maps(self) -> list[torch.Tensor]:
        """The attention weights of the last forward pass, one (B, h, n, n) tensor per layer."""
        if any(b.attn_weights is None for b in self.blocks):
            raise RuntimeError("no attention maps yet: run the model on some tokens first")
        return [b.attn_weights for b in self.blocks]


# ----------------------------------------------------------------------------- torch interop
def torch_masks(
    attn_mask=None, key_padding_mask=None, n_heads: int = 1
) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """Course masks (True = may attend) → torch's ``(attn_mask, key_padding_mask)`` (True = blocked).

    A per-example ``(B, n_q, n_k)`` attn_mask becomes torch's ``(B·h, n_q, n_k)``.
    """
    t_attn = t_kpm = None
    if attn_mask is not None:
        m = _as_bool_mask(attn_mask, "attn_mask")
        if m.dim() == 3:
            m = m.repeat_interleave(_positive_int(n_heads, "n_heads"), dim=0)
        t_attn = ~m
    if key_padding_mask is not None:
        t_kpm = ~_as_bool_mask(key_padding_mask, "key_padding_mask")
    return t_attn, t_kpm


def _require(obj, cls, name: str) -> None:
    """TypeError unless ``obj`` is a ``cls``."""
    if not isinstance(obj, cls):
        raise TypeError(f"{name} must be a {cls.__module__}.{cls.__qualname__}, got {type(obj).__name__}")


def _check_mha_pair(ours: MultiHeadAttention, theirs: nn.MultiheadAttention) -> None:
    """Raise unless the two attention modules have the same shape and layout."""
    _require(ours, MultiHeadAttention, "ours")
    _require(theirs, nn.MultiheadAttention, "torch_mha")
    if not theirs._qkv_same_embed_dim or not theirs.batch_first:
        raise ValueError("torch_mha must use batch_first=True and kdim = vdim = embed_dim")
    if (theirs.embed_dim, theirs.num_heads) != (ours.d_model, ours.n_heads):
        raise ValueError(
            f"shapes differ: torch has embed_dim={theirs.embed_dim}, num_heads={theirs.num_heads}; "
            f"ours has d_model={ours.d_model}, n_heads={ours.n_heads}"
        )
    if (theirs.in_proj_bias is None) != (ours.q_proj.bias is None) or theirs.bias_k is not None:
        raise ValueError("both modules must agree on bias (and torch's add_bias_kv must be False)")


@torch.no_grad()
def load_from_torch_mha(ours: MultiHeadAttention, torch_mha: nn.MultiheadAttention) -> MultiHeadAttention:
    """Copy torch's weights into ours (torch stacks W_Q, W_K, W_V in one ``in_proj_weight``)."""
    _check_mha_pair(ours, torch_mha)
    for i, proj in enumerate((ours.q_proj, ours.k_proj, ours.v_proj)):
        rows = slice(i * ours.d_model, (i + 1) * ours.d_model)
        proj.weight.copy_(torch_mha.in_proj_weight[rows])
        if proj.bias is not None:
            proj.bias.copy_(torch_mha.in_proj_bias[rows])
    ours.out_proj.load_state_dict(torch_mha.out_proj.state_dict())
    ours.dropout.p = torch_mha.dropout
    return ours


def to_torch_mha(ours: MultiHeadAttention) -> nn.MultiheadAttention:
    """A ``torch.nn.MultiheadAttention(batch_first=True)`` with our weights."""
    _require(ours, MultiHeadAttention, "ours")
    theirs = nn.MultiheadAttention(
        ours.d_model, ours.n_heads, dropout=ours.dropout.p, bias=ours.q_proj.bias is not None,
        batch_first=True,
    )
    with torch.no_grad():
        theirs.in_proj_weight.copy_(torch.cat([ours.q_proj.weight, ours.k_proj.weight, ours.v_proj.weight]))
        if ours.q_proj.bias is not None:
            theirs.in_proj_bias.copy_(torch.cat([ours.q_proj.bias, ours.k_proj.bias, ours.v_proj.bias]))
        theirs.out_proj.load_state_dict(ours.out_proj.state_dict())
    return theirs.train(ours.training)


def _activation_name(layer: nn.TransformerEncoderLayer) -> str:
    """'relu' or 'gelu' for a torch encoder layer, or a ValueError."""
    act = layer.activation
    if act in (torch.nn.functional.relu,) or isinstance(act, nn.ReLU):
        return "relu"
    if act in (torch.nn.functional.gelu,) or isinstance(act, nn.GELU):
        return "gelu"
    raise ValueError(f"only relu and gelu activations can be copied, got {act!r}")


@torch.no_grad()
def load_from_torch_encoder_layer(
    ours: TransformerBlock, torch_layer: nn.TransformerEncoderLayer
) -> TransformerBlock:
    """Copy a ``torch.nn.TransformerEncoderLayer(batch_first=True)`` into our block."""
    _require(ours, TransformerBlock, "ours")
    _require(torch_layer, nn.TransformerEncoderLayer, "torch_layer")
    if torch_layer.norm_first != ours.norm_first:
        raise ValueError(
            f"norm_first differs (torch {torch_layer.norm_first}, ours {ours.norm_first}): "
            "build both as post-LN or both as pre-LN"
        )
    if _activation_name(torch_layer) != ("relu" if isinstance(ours.ff.activation, nn.ReLU) else "gelu"):
        raise ValueError("the activations differ: build both with the same activation")
    if torch_layer.linear1.weight.shape != ours.ff.linear1.weight.shape:
        raise ValueError(
            f"d_ff differs: torch {torch_layer.linear1.out_features}, ours {ours.ff.linear1.out_features}"
        )
    load_from_torch_mha(ours.attn, torch_layer.self_attn)
    for mine, theirs in (
        (ours.ff.linear1, torch_layer.linear1),
        (ours.ff.linear2, torch_layer.linear2),
        (ours.norm1, torch_layer.norm1),
        (ours.norm2, torch_layer.norm2),
    ):
        mine.load_state_dict(theirs.state_dict())
    ours.norm1.eps, ours.norm2.eps = torch_layer.norm1.eps, torch_layer.norm2.eps
    return ours


def to_torch_encoder_layer(ours: TransformerBlock) -> nn.TransformerEncoderLayer:
    """A ``torch.nn.TransformerEncoderLayer(batch_first=True)`` with our block's weights."""
    _require(ours, TransformerBlock, "ours")
    theirs = nn.TransformerEncoderLayer(
        ours.attn.d_model,
        ours.attn.n_heads,
        dim_feedforward=ours.ff.linear1.out_features,
        dropout=ours.dropout1.p,
        activation="relu" if isinstance(ours.ff.activation, nn.ReLU) else "gelu",
        layer_norm_eps=ours.norm1.eps,
        batch_first=True,
        norm_first=ours.norm_first,
    )
    with torch.no_grad():
        theirs.self_attn.load_state_dict(to_torch_mha(ours.attn).state_dict())
        theirs.linear1.load_state_dict(ours.ff.linear1.state_dict())
        theirs.linear2.load_state_dict(ours.ff.linear2.state_dict())
        theirs.norm1.load_state_dict(ours.norm1.state_dict())
        theirs.norm2.load_state_dict(ours.norm2.state_dict())
    return theirs.train(ours.training)
