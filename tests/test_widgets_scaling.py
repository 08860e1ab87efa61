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
    with pytest.raises((ValueError, TypeError), match="must be"):
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
    assert (
        "image/png" in first["data"] and first["data"]["image/png"] != second["data"]["image/png"]
    )


def test_the_score_axis_stays_fixed_so_d_k_4_and_1024_look_different():
    from course_utils.widgets.scaling import make_scaling_explorer

    _, state = make_scaling_explorer(d_k=4, scale=False)
    ax_s = state["fig"].axes[0]
    limits_small = ax_s.get_ylim()
    small = max(abs(bar.get_height()) for bar in state["score_bars"])
    state["d_k"].value = 1024
    assert ax_s.get_ylim() == limits_small  # the axis did not rescale
    large = max(abs(bar.get_height()) for bar in state["score_bars"])
    assert large > 5 * small  # so the bars visibly grow
    assert large <= limits_small[1]  # and still fit
    state["scale"].value = True
    assert ax_s.get_ylim() == limits_small


def test_the_winning_key_is_coloured_and_alt_text_tells_the_finding():
    from matplotlib.colors import to_hex

    from course_utils.plotting import COLORS
    from course_utils.widgets.scaling import make_scaling_explorer

    _, state = make_scaling_explorer(d_k=1024, scale=False)
    best = int(np.argmax(state["weights"]))
    assert to_hex(state["bars"][best].get_facecolor()) == COLORS["vermillion"].lower()
    assert to_hex(state["score_bars"][best].get_facecolor()) == COLORS["vermillion"].lower()
    assert "one key takes almost all" in state["alt"]
    assert state["out"].outputs[0]["data"]["text/plain"] == state["alt"]


def test_fits_a_notebook_column_and_updates_within_250_ms():
    import time

    from course_utils.plotting import style_problems
    from course_utils.widgets.scaling import DK_CHOICES, make_scaling_explorer

    _, state = make_scaling_explorer()
    assert style_problems(state["fig"]) == []
    times = []
    for d_k in DK_CHOICES:
        start = time.process_time()  # CPU time: the python side, not the load
        state["d_k"].value = d_k
        times.append(time.process_time() - start)
    assert sorted(times)[len(times) // 2] < 0.25, times
