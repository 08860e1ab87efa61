"""The from-scratch Transformer equals torch's own modules, and rejects bad input helpfully."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from course_utils.torch_interop import (
    load_from_torch_encoder_layer,
    load_from_torch_mha,
    torch_masks,
)
from course_utils.transformer import (
    FeedForward,
    MultiHeadAttention,
    TransformerBlock,
    TransformerEncoder,
    combine_masks,
    merge_heads,
    sinusoidal_positional_encoding,
    split_heads,
)

TOL = 1e-5


def to_torch_mha(ours: MultiHeadAttention) -> nn.MultiheadAttention:
    """A ``torch.nn.MultiheadAttention(batch_first=True)`` with our weights (tests only)."""
    bias = ours.q_proj.bias is not None
    theirs = nn.MultiheadAttention(
        ours.d_model, ours.n_heads, dropout=ours.dropout.p, bias=bias, batch_first=True
    )
    with torch.no_grad():
        projections = (ours.q_proj, ours.k_proj, ours.v_proj)
        theirs.in_proj_weight.copy_(torch.cat([p.weight for p in projections]))
        if bias:
            theirs.in_proj_bias.copy_(torch.cat([p.bias for p in projections]))
        theirs.out_proj.load_state_dict(ours.out_proj.state_dict())
    return theirs.train(ours.training)


def to_torch_encoder_layer(ours: TransformerBlock) -> nn.TransformerEncoderLayer:
    """A ``torch.nn.TransformerEncoderLayer(batch_first=True)`` with our block's weights.

    For the tests only.
    """
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
        for mine, other in (
            (ours.ff.linear1, theirs.linear1),
            (ours.ff.linear2, theirs.linear2),
            (ours.norm1, theirs.norm1),
            (ours.norm2, theirs.norm2),
        ):
            other.load_state_dict(mine.state_dict())
    return theirs.train(ours.training)


SHAPES = [
    (2, 5, 7, 16, 4),
    (3, 4, 4, 12, 3),
    (1, 1, 6, 8, 8),
    (2, 9, 9, 32, 1),
]  # B, n_q, n_k, d, h


def random_masks(B: int, n_q: int, n_k: int, gen: torch.Generator):
    """A per-example attn_mask and a key padding mask (True = may attend).

    Never a fully masked row.
    """
    attn = torch.rand(B, n_q, n_k, generator=gen) > 0.3
    attn[..., 0] = True
    lengths = torch.randint(1, n_k + 1, (B,), generator=gen)
    kpm = torch.arange(n_k)[None, :] < lengths[:, None]
    return attn, kpm


@pytest.mark.parametrize("B,n_q,n_k,d,h", SHAPES)
@pytest.mark.parametrize("bias", [True, False])
def test_mha_equals_torch(B, n_q, n_k, d, h, bias):
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    theirs = nn.MultiheadAttention(d, h, bias=bias, batch_first=True)
    ours = load_from_torch_mha(MultiHeadAttention(d, h, bias=bias), theirs)
    q, k, v = torch.randn(B, n_q, d), torch.randn(B, n_k, d), torch.randn(B, n_k, d)
    attn, kpm = random_masks(B, n_q, n_k, gen)
    for masks in (
        {},
        {"attn_mask": attn[0]},
        {"attn_mask": attn},
        {"key_padding_mask": kpm},
        {"attn_mask": attn, "key_padding_mask": kpm},
    ):
        t_attn, t_kpm = torch_masks(masks.get("attn_mask"), masks.get("key_padding_mask"), h)
        out_t, w_t = theirs(
            q,
            k,
            v,
            attn_mask=t_attn,
            key_padding_mask=t_kpm,
            need_weights=True,
            average_attn_weights=False,
        )
        out, w = ours(q, k, v, **masks)
        assert out.shape == (B, n_q, d) and w.shape == (B, h, n_q, n_k)
        assert (out - out_t).abs().max() <= TOL, masks.keys()
        assert (w - w_t).abs().max() <= TOL
        if masks:
            assert torch.all(w[~torch.broadcast_to(_allowed(masks, B, n_q, n_k), w.shape)] == 0)


def _allowed(masks, B, n_q, n_k):
    allowed = torch.ones(B, 1, n_q, n_k, dtype=torch.bool)
    if "attn_mask" in masks:
        allowed = (
            allowed
            & (masks["attn_mask"] if masks["attn_mask"].dim() == 3 else masks["attn_mask"][None])[
                :, None
            ]
        )
    if "key_padding_mask" in masks:
        allowed = allowed & masks["key_padding_mask"][:, None, None, :]
    return allowed


def test_to_torch_mha_round_trip_and_self_attention_default():
    torch.manual_seed(0)
    ours = MultiHeadAttention(12, 3)
    theirs = to_torch_mha(ours)
    x = torch.randn(2, 5, 12)
    out, _ = ours(x)  # key and value default to the query: self-attention
    out_t, _ = theirs(x, x, x)
    assert (out - out_t).abs().max() <= TOL
    back = load_from_torch_mha(MultiHeadAttention(12, 3), theirs)
    assert (back(x)[0] - out).abs().max() <= TOL


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("B,n,d,h,d_ff", [(2, 6, 16, 4, 32), (3, 5, 12, 3, 20), (1, 8, 8, 1, 16)])
def test_block_equals_torch_encoder_layer(norm_first, B, n, d, h, d_ff):
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(2)
    theirs = nn.TransformerEncoderLayer(
        d, h, d_ff, dropout=0.0, activation="relu", batch_first=True, norm_first=norm_first
    )
    ours = load_from_torch_encoder_layer(
        TransformerBlock(d, h, d_ff, norm_first=norm_first), theirs
    )
    x = torch.randn(B, n, d)
    attn, kpm = random_masks(B, n, n, gen)
    for masks in ({}, {"attn_mask": attn[0]}, {"key_padding_mask": kpm}):
        t_attn, t_kpm = torch_masks(masks.get("attn_mask"), masks.get("key_padding_mask"), h)
        for mode in (theirs.train, theirs.eval):  # eval may take torch's fused fast path
            mode()
            y_t = theirs(x, src_mask=t_attn, src_key_padding_mask=t_kpm)
            y = ours(x, **masks)
            real = (
                kpm[..., None]
                if "key_padding_mask" in masks
                else torch.ones(B, n, 1, dtype=torch.bool)
            )
            diff = ((y - y_t).abs() * real).max()  # the fast path may zero padded positions
            assert diff <= TOL, (masks.keys(), mode.__name__)
    assert ours.attn_weights.shape == (B, h, n, n)


def test_to_torch_encoder_layer_gelu():
    torch.manual_seed(0)
    ours = TransformerBlock(16, 4, 24, norm_first=True, activation="gelu")
    theirs = to_torch_encoder_layer(ours)
    x = torch.randn(2, 5, 16)
    assert (ours(x) - theirs(x)).abs().max() <= TOL


def test_split_and_merge_heads():
    x = torch.arange(2 * 3 * 8, dtype=torch.float32).reshape(2, 3, 8)
    heads = split_heads(x, 2)  # (B, h, n, d_k)
    assert heads.shape == (2, 2, 3, 4)
    assert torch.equal(heads[0, 1, 2], x[0, 2, 4:8])  # head 1 of token 2 = its features 4..7
    assert torch.equal(merge_heads(heads), x)


def test_positional_encoding_matches_formula():
    n, d = 50, 16
    pe = sinusoidal_positional_encoding(n, d)
    assert pe.shape == (n, d) and pe.dtype == torch.float32
    for pos in (0, 7, 49):
        for i in range(d // 2):
            angle = pos / 10000 ** (2 * i / d)
            assert math.isclose(pe[pos, 2 * i].item(), math.sin(angle), abs_tol=1e-6)
            assert math.isclose(pe[pos, 2 * i + 1].item(), math.cos(angle), abs_tol=1e-6)
    assert sinusoidal_positional_encoding(4, 5).shape == (4, 5)  # odd d_model works


def test_feedforward_acts_on_each_position_alone():
    torch.manual_seed(0)
    ff = FeedForward(8, 16, activation="gelu")
    x = torch.randn(2, 5, 8)
    y = ff(x)
    assert torch.allclose(y[:, 2], ff(x[:, 2:3])[:, 0], atol=1e-6)


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_shapes_masks_and_maps(norm_first):
    torch.manual_seed(0)
    enc = TransformerEncoder(
        vocab_size=11, d_model=16, n_heads=4, d_ff=32, n_layers=2, max_len=10, norm_first=norm_first
    )
    tokens = torch.randint(0, 11, (3, 7))
    kpm = torch.tensor([[True] * 7, [True] * 5 + [False] * 2, [True] * 3 + [False] * 4])
    y = enc(tokens, key_padding_mask=kpm, attn_mask=torch.tril(torch.ones(7, 7, dtype=torch.bool)))
    assert y.shape == (3, 7, 16)
    maps = enc.attention_maps()
    assert len(maps) == 2 and maps[0].shape == (3, 4, 7, 7)
    assert torch.allclose(maps[1].sum(-1), torch.ones(3, 4, 7), atol=1e-5)
    assert torch.all(maps[0][2, :, :, 3:] == 0)  # padding gets no attention
    assert torch.all(maps[0][0].triu(1) == 0)  # causal: no look ahead
    assert "positional_encoding" not in enc.state_dict()


def test_helpful_errors():
    with pytest.raises(ValueError, match="not divisible by n_heads"):
        MultiHeadAttention(10, 4)
    with pytest.raises(ValueError, match="n_heads must be a whole number ≥ 1"):
        TransformerBlock(16, 0, 32)
    with pytest.raises(ValueError, match="activation"):
        FeedForward(8, 16, activation="tanh")
    mha = MultiHeadAttention(8, 2)
    with pytest.raises(ValueError, match="batch-first"):
        mha(torch.randn(5, 8))
    with pytest.raises(ValueError, match="d_model=8"):
        mha(torch.randn(1, 5, 6))
    with pytest.raises(TypeError, match="query must be a tensor of numbers"):
        mha("the fox")
    assert mha(np.random.randn(1, 3, 8))[0].dtype == torch.float32  # numpy float64 meets float32
    with pytest.raises(TypeError, match="boolean"):
        mha(torch.randn(1, 3, 8), attn_mask=torch.zeros(3, 3))
    with pytest.raises(ValueError, match="attn_mask has shape"):
        mha(torch.randn(1, 3, 8), attn_mask=torch.ones(3, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="key_padding_mask has shape"):
        mha(torch.randn(2, 3, 8), key_padding_mask=torch.ones(3, dtype=torch.bool))
    with pytest.raises(ValueError, match="at least one real key"):
        mha(torch.randn(1, 3, 8), key_padding_mask=torch.zeros(1, 3, dtype=torch.bool))
    enc = TransformerEncoder(5, 8, 2, 16, 1, max_len=4)
    with pytest.raises(ValueError, match="max_len"):
        enc(torch.zeros(1, 6, dtype=torch.long))
    with pytest.raises(ValueError, match="outside the vocabulary"):
        enc(torch.full((1, 3), 7))
    with pytest.raises(TypeError, match="whole-number token ids"):
        enc(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="norm_first differs"):
        load_from_torch_encoder_layer(
            TransformerBlock(8, 2, 16),
            nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, norm_first=True),
        )
    with pytest.raises(ValueError, match="the number of heads differs"):
        load_from_torch_mha(MultiHeadAttention(8, 2), nn.MultiheadAttention(8, 4, batch_first=True))


# ----------------------------------------------------------------------------- drift test
@pytest.fixture(scope="module")
def notebook():
    """The class and function cells of notebook 06, run on their own."""
    from notebook_code import definitions

    return definitions("06")


def test_notebook_defines_the_mechanism_in_the_open(notebook):
    for name in ("combine_masks", "MultiHeadAttention", "FeedForward", "TransformerBlock",
                 "TransformerEncoder"):  # fmt: skip
        assert name in notebook and notebook[name].__module__ == "notebook_06_transformer_block", (
            name
        )


@pytest.mark.parametrize("norm_first", [False, True])
def test_notebook_block_equals_package_block(notebook, norm_first):
    """Same weights → same outputs and weights, with both masks, in eval and in train mode."""
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(3)
    B, n, d, h, d_ff = 3, 7, 24, 4, 40
    ours = notebook["TransformerBlock"](d, h, d_ff, dropout=0.2, norm_first=norm_first)
    package = TransformerBlock(d, h, d_ff, dropout=0.2, norm_first=norm_first)
    assert set(ours.state_dict()) == set(package.state_dict())  # the same parameter names
    with torch.no_grad():  # random LayerNorm scales too, so norm1 and norm2 differ
        for p in ours.parameters():
            p.normal_(0, 0.5)
    package.load_state_dict(ours.state_dict())
    x = torch.randn(B, n, d)
    attn, kpm = random_masks(B, n, n, gen)
    for masks in ({}, {"attn_mask": attn[0]}, {"attn_mask": attn, "key_padding_mask": kpm}):
        for mode in ("eval", "train"):  # train: dropout draws the same masks from the same seed
            getattr(ours, mode)(), getattr(package, mode)()
            torch.manual_seed(5)
            got = ours(x, **masks)
            torch.manual_seed(5)
            assert torch.allclose(got, package(x, **masks), atol=1e-5), (masks.keys(), mode)
            assert torch.allclose(ours.attn_weights, package.attn_weights, atol=1e-6)


def test_notebook_attention_and_ffn_equal_package(notebook):
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(4)
    B, n_q, n_k, d, h = 2, 5, 6, 16, 4
    ours, package = (
        notebook["MultiHeadAttention"](d, h, bias=False),
        MultiHeadAttention(d, h, bias=False),
    )
    package.load_state_dict(ours.state_dict())
    q, k, v = torch.randn(B, n_q, d), torch.randn(B, n_k, d), torch.randn(B, n_k, d)
    attn, kpm = random_masks(B, n_q, n_k, gen)
    for got, want in zip(ours(q, k, v, attn, kpm), package(q, k, v, attn, kpm), strict=True):
        assert torch.allclose(got, want, atol=1e-6)
    ff, package_ff = (
        notebook["FeedForward"](d, 32, activation="gelu"),
        FeedForward(d, 32, activation="gelu"),
    )
    package_ff.load_state_dict(ff.state_dict())
    assert torch.allclose(ff(q), package_ff(q), atol=1e-6)
    masks = (attn, kpm), (attn[0], None), (None, kpm), (None, None)
    for a, p in masks:
        got, want = notebook["combine_masks"](a, p), combine_masks(a, p)
        assert (got is None and want is None) or torch.equal(got, want)


@pytest.mark.parametrize("norm_first", [False, True])
def test_notebook_encoder_equals_package_encoder(notebook, norm_first):
    torch.manual_seed(0)
    ours = notebook["TransformerEncoder"](11, 16, 4, 32, 2, max_len=9, norm_first=norm_first)
    package = TransformerEncoder(11, 16, 4, 32, 2, max_len=9, norm_first=norm_first)
    assert set(ours.state_dict()) == set(package.state_dict())
    with torch.no_grad():
        for p in ours.parameters():
            p.normal_(0, 0.5)
    package.load_state_dict(ours.state_dict())
    tokens = torch.randint(0, 11, (3, 7))
    kpm = torch.tensor([[True] * 7, [True] * 5 + [False] * 2, [True] * 3 + [False] * 4])
    causal = torch.tril(torch.ones(7, 7, dtype=torch.bool))
    got = ours(tokens, key_padding_mask=kpm, attn_mask=causal)
    assert torch.allclose(got, package(tokens, key_padding_mask=kpm, attn_mask=causal), atol=1e-5)
    for a, b in zip(ours.attention_maps(), package.attention_maps(), strict=True):
        assert torch.allclose(a, b, atol=1e-6)
    assert torch.equal(ours.positional_encoding, package.positional_encoding)


def test_notebook_attention_dropout_matches_package(notebook):
    """In training mode with dropout, both drop the same weights for the same random state."""
    d, h = 16, 2
    ours, package = (
        notebook["MultiHeadAttention"](d, h, dropout=0.5),
        MultiHeadAttention(d, h, dropout=0.5),
    )
    package.load_state_dict(ours.state_dict())
    x = torch.randn(2, 5, d)
    torch.manual_seed(9)
    got = ours(x)[0]
    torch.manual_seed(9)
    assert torch.allclose(got, package(x)[0], atol=1e-6)


# ----------------------------------------------------------------------------- fuzz
def test_fuzz_every_public_helper_gets_a_clear_message():
    """Bad input to any public helper of 06 gets a ValueError/TypeError naming the argument."""
    from fuzz import assert_all_kind, public_callables
    from fuzz_transformer_spec import reports

    from course_utils import torch_interop
    from course_utils import transformer as tr
    from course_utils.widgets import transformer as widgets

    done = reports(tr, torch_interop, widgets)
    covered = {r.name.split(".")[0] for r in done}
    for module in (tr, torch_interop, widgets):
        assert set(public_callables(module)) <= covered, module.__name__
    assert_all_kind(*done)
