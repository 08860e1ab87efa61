"""The layer/head picker shows the chosen head and explains where it looks."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch

from course_utils.transformer import TransformerEncoder
from course_utils.widgets.transformer import as_head_maps, describe_head, make_head_picker


def shifted(n: int, offset: int) -> np.ndarray:
    """(n, n) weights where token i looks at i + offset (clipped at the ends)."""
    w = np.zeros((n, n))
    for i in range(n):
        w[i, min(max(i + offset, 0), n - 1)] = 1.0
    return w


def test_describe_head_names_the_offset():
    assert "left" in describe_head(shifted(6, -1)) and "-1" in describe_head(shifted(6, -1))
    assert "right" in describe_head(shifted(6, 1))
    assert "itself" in describe_head(np.eye(5))
    assert "no single offset" in describe_head(np.full((6, 6), 1 / 6))  # uniform: no favourite
    blurred = 0.2 * shifted(6, -1) + 0.8 / 6  # favourite offset -1, but only 0.33 of the weight
    assert "spread out" in describe_head(blurred) and "-1" in describe_head(blurred)


def test_picker_follows_the_controls():
    maps = [np.stack([shifted(5, -1), shifted(5, 1)]), np.stack([np.eye(5), shifted(5, -2)])]
    ui, state = make_head_picker(maps, list("abcde"))
    assert state["shown"]["layer"] == 0 and state["shown"]["head"] == 0
    assert "left" in state["caption"].value
    state["head"].value = 1
    assert (
        np.array_equal(state["shown"]["weights"], maps[0][1]) and "right" in state["caption"].value
    )
    state["layer"].value = 1
    assert (
        np.array_equal(state["shown"]["weights"], maps[1][1])
        and "2 to its left" in state["caption"].value
    )


def test_picker_can_open_on_any_head():
    maps = [np.stack([shifted(5, -1), shifted(5, 1)]), np.stack([np.eye(5), shifted(5, -2)])]
    ui, state = make_head_picker(maps, list("abcde"), layer=1, head=0)
    assert state["shown"]["layer"] == 1 and state["shown"]["head"] == 0
    assert (
        np.array_equal(state["shown"]["weights"], maps[1][0]) and "itself" in state["caption"].value
    )
    state["head"].value = 1
    assert "2 to its left" in state["caption"].value
    _, state = make_head_picker(maps, list("abcde"), layer=np.int64(0), head=np.int64(1))
    assert "right" in state["caption"].value


def test_picker_takes_a_models_attention_maps():
    torch.manual_seed(0)
    enc = TransformerEncoder(7, 8, 2, 16, 2, max_len=6)
    enc(torch.randint(0, 7, (1, 6)))
    ui, state = make_head_picker(enc.attention_maps(), [f"t{i}" for i in range(6)])
    assert state["shown"]["weights"].shape == (6, 6)


def test_picker_rejects_bad_input_helpfully():
    with pytest.raises(ValueError, match="tokens has 2 labels for 3 positions"):
        make_head_picker([np.ones((2, 3, 3)) / 3], ["a", "b"])
    maps = [np.ones((2, 3, 3)) / 3]
    with pytest.raises(ValueError, match="head must be a whole number from 0 to 1"):
        make_head_picker(maps, list("abc"), head=2)
    with pytest.raises(ValueError, match="layer must be"):
        make_head_picker(maps, list("abc"), layer=-1)
    with pytest.raises(ValueError, match="pick one"):
        as_head_maps([np.ones((2, 2, 3, 3))])
    with pytest.raises(ValueError, match="one attention map per layer"):
        as_head_maps([])
    with pytest.raises(ValueError, match="3 or 4 dimension"):
        as_head_maps([np.ones((3, 3))])
