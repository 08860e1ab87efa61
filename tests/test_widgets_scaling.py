"""The scaling explorer reacts to its d_k slider and scale switch as notebook 05 says."""

import math

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from course_utils.widgets.scaling import (  # noqa: E402
    DK_CHOICES,
    entropy,
    make_scaling_explorer,
    query_and_keys,
    weights_for,
)


def heights(state):
    return np.array([bar.get_height() for bar in state["bars"]])


def test_first_state_and_controls():
    ui, state = make_scaling_explorer()
    assert state["d_k"].value == 256 and state["scale"].value is False
    assert list(state["d_k"].options) == list(DK_CHOICES)
    assert np.isclose(heights(state).sum(), 1.0)
    assert "d_k = 256" in state["label"].value


def test_unscaled_saturates_and_scaling_shares_the_weight():
    _, state = make_scaling_explorer(seed=3)
    state["d_k"].value = 1024
    unscaled = heights(state)
    state["scale"].value = True
    scaled = heights(state)
    assert np.allclose(scaled, state["weights"])
    assert entropy(scaled) > entropy(unscaled)
    assert scaled.max() < 0.5
    assert "scaled" in state["label"].value


def test_small_dk_keeps_the_same_keys():
    q, K = query_and_keys(8, seed=1)
    scores, w = weights_for(q, K, 4, scale=False)
    assert np.allclose(scores, K[:, :4] @ q[:4])
    scores_s, _ = weights_for(q, K, 4, scale=True)
    assert np.allclose(scores_s, scores / 2)
    assert np.isclose(w.sum(), 1.0)


def test_entropy_counts_zero_weights_as_zero():
    assert entropy([1.0, 0.0, 0.0]) == 0.0
    assert math.isclose(float(entropy(np.full(4, 0.25))), math.log(4))


@pytest.mark.parametrize("kwargs", [{"d_k": 100}, {"n_keys": 1}, {"n_keys": True}])
def test_rejects_bad_arguments_with_a_message(kwargs):
    with pytest.raises(ValueError, match="must be"):
        make_scaling_explorer(**kwargs)


def test_weights_for_rejects_a_too_large_dk():
    q, K = query_and_keys(4)
    with pytest.raises(ValueError, match="between 1 and 1024"):
        weights_for(q, K, 2048, scale=True)


def test_output_shows_the_current_figure_as_png():
    _, state = make_scaling_explorer()
    (first,) = state["out"].outputs
    state["scale"].value = True
    (second,) = state["out"].outputs
    assert "image/png" in first["data"] and first["data"]["image/png"] != second["data"]["image/png"]
