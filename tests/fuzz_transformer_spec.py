"""The fuzz spec of notebook 06's public helpers (used by test_transformer.py; also runnable on
an older version of the modules to count raw tracebacks before and after)."""

from __future__ import annotations

import torch
from fuzz import fuzz
from torch import nn

# a block's valid arguments (the encoder takes them too); 0 and False are valid, not bad values
BLOCK = dict(d_model=8, n_heads=2, d_ff=16, dropout=0.0, norm_first=False, activation="relu")
BLOCK_ALLOWED = [
    ("dropout", "0"),
    ("dropout", "0.0"),
    ("norm_first", "True"),
    ("norm_first", "False"),
]


def reports(tr, interop, widgets, *, combine=True) -> list:
    """One fuzz report per public function/method.

    Of ``tr`` (transformer), ``interop`` and ``widgets``.
    """
    torch.manual_seed(0)
    x, kv = torch.randn(2, 3, 8), torch.randn(2, 4, 8)
    causal = torch.tril(torch.ones(3, 3, dtype=torch.bool))
    padding = torch.tensor([[True, True, True], [True, True, False]])
    mha = tr.MultiHeadAttention(8, 2)
    ff = tr.FeedForward(8, 16)
    block = tr.TransformerBlock(8, 2, 16)
    enc = tr.TransformerEncoder(10, 8, 2, 16, 1, max_len=6)
    maps = [torch.softmax(torch.randn(1, 2, 4, 4), -1)]
    out = [
        # NaN and inf pass through the reshapes (documented)
        fuzz(tr.split_heads, {"x": x, "n_heads": 4}, allowed=["with a NaN", "with an inf"]),
        fuzz(tr.merge_heads, {"x": torch.randn(2, 4, 3, 2)}, allowed=["with a NaN", "with an inf"]),
        fuzz(
            tr.MultiHeadAttention,
            {"d_model": 8, "n_heads": 2, "dropout": 0.1, "bias": True},
            allowed=[("dropout", "0"), ("dropout", "0.0"), ("bias", "True"), ("bias", "False")],
        ),
        fuzz(
            lambda query, key, value, attn_mask, key_padding_mask: mha(
                query, key, value, attn_mask=attn_mask, key_padding_mask=key_padding_mask
            ),
            {
                "query": x,
                "key": kv,
                "value": kv,
                "attn_mask": torch.ones(3, 4, dtype=torch.bool),
                "key_padding_mask": torch.tensor([[True] * 4, [True, True, False, False]]),
            },
            allowed=[
                ("key", "None"),
                ("value", "None"),
                ("attn_mask", "None"),
                ("key_padding_mask", "None"),
            ],
            name="MultiHeadAttention.forward",
        ),  # fmt: skip
        fuzz(
            tr.FeedForward,
            {"d_model": 8, "d_ff": 16, "activation": "relu", "dropout": 0.0},
            allowed=[("dropout", "0"), ("dropout", "0.0")],
        ),
        # (..., d_model): any number of leading axes is fine
        fuzz(
            lambda x: ff(x),
            {"x": x},
            name="FeedForward.forward",
            allowed=["one axis more", "one axis fewer"],
        ),  # fmt: skip
        fuzz(tr.TransformerBlock, BLOCK, allowed=BLOCK_ALLOWED),
        fuzz(
            lambda x, attn_mask, key_padding_mask: block(
                x, attn_mask=attn_mask, key_padding_mask=key_padding_mask
            ),
            {"x": x, "attn_mask": causal, "key_padding_mask": padding},
            allowed=[
                ("attn_mask", "None"),
                ("key_padding_mask", "None"),
                ("key_padding_mask", "torch bool (2, 3)"),
                ("key_padding_mask", "np bool (2, 3)"),
            ],
            name="TransformerBlock.forward",
        ),
        fuzz(tr.sinusoidal_positional_encoding, {"n_positions": 5, "d_model": 8}),
        fuzz(
            tr.TransformerEncoder,
            {"vocab_size": 10, **BLOCK, "n_layers": 1, "max_len": 6},
            allowed=BLOCK_ALLOWED,
        ),
        fuzz(
            lambda tokens, key_padding_mask, attn_mask: enc(
                tokens, key_padding_mask=key_padding_mask, attn_mask=attn_mask
            ),
            {
                "tokens": torch.tensor([[1, 2, 3], [4, 5, 6]]),
                "key_padding_mask": padding,
                "attn_mask": causal,
            },
            # (2, 3) ids are the valid shape, as a tensor or a numpy array
            allowed=[
                ("attn_mask", "None"),
                ("key_padding_mask", "None"),
                ("tokens", "torch long (2, 3)"),
                ("tokens", "np int (2, 3)"),
                ("key_padding_mask", "torch bool (2, 3)"),
                ("key_padding_mask", "np bool (2, 3)"),
            ],
            name="TransformerEncoder.forward",
        ),  # fmt: skip
        fuzz(
            interop.torch_masks,
            {"attn_mask": causal[None].repeat(2, 1, 1), "key_padding_mask": padding, "n_heads": 2},
            # (2, 3) boolean masks and a 2-D attn_mask are valid shapes
            allowed=[
                ("attn_mask", "None"),
                ("key_padding_mask", "None"),
                "torch bool (2, 3)",
                "np bool (2, 3)",
                ("attn_mask", "one axis fewer"),
            ],
        ),
        fuzz(
            interop.load_from_torch_mha,
            {
                "ours": tr.MultiHeadAttention(8, 2),
                "torch_mha": nn.MultiheadAttention(8, 2, batch_first=True),
            },
        ),
        fuzz(
            interop.load_from_torch_encoder_layer,
            {
                "ours": tr.TransformerBlock(8, 2, 16),
                "torch_layer": nn.TransformerEncoderLayer(8, 2, 16, batch_first=True),
            },
        ),  # fmt: skip
        fuzz(widgets.as_head_maps, {"maps": maps}),
        fuzz(widgets.describe_head, {"weights": maps[0][0, 0].numpy()}),
        fuzz(
            widgets.make_head_picker,
            {"maps": maps, "tokens": ["a", "b", "c", "d"], "title": "", "layer": 0, "head": 1},
            derived=False,
            allowed=[
                ("title", "str"),
                ("title", "sentence str"),
                ("title", "empty str"),
                ("layer", "0"),
                ("head", "0"),
            ],
        ),
    ]
    if combine:
        out.append(
            fuzz(
                tr.combine_masks,
                {"attn_mask": causal, "key_padding_mask": padding},
                allowed=[
                    ("attn_mask", "None"),
                    ("key_padding_mask", "None"),
                    "torch bool (2, 3)",
                    "np bool (2, 3)",
                ],
            )  # fmt: skip
        )
    return out
