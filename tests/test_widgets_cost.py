"""The n/d explorer reacts to its controls and its helpers validate input."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from course_utils.widgets.cost import (  # noqa: E402
    attention_share,
    cost_summary,
    make_cost_explorer,
    plot_layer_cost,
)


def test_explorer_updates_when_n_changes():
    ui, state = make_cost_explorer()
    before, share_before = state["summary"].value, state["share"]
    state["n"].value = 65536
    assert state["summary"].value != before and "65,536" in state["summary"].value
    assert state["share"] > share_before
    state["precision"].value = "fp32"
    assert "fp32" in state["summary"].value
    state["d_model"].value = 4096
    assert state["share"] < 0.9
    plt.close("all")


def test_share_is_half_at_six_d():
    assert attention_share(6 * 512, 512) == pytest.approx(0.5)
    assert attention_share(128, 512) < 0.1 < 0.9 < attention_share(131072, 512)


def test_summary_counts_bytes():
    assert "32 MiB per head per layer" in cost_summary(4096, 512, precision="fp16")
    assert "64 MiB per head per layer" in cost_summary(4096, 512, precision="fp32")
    with pytest.raises(ValueError, match="precision"):
        cost_summary(4096, 512, precision="fp8")


def test_plot_and_bad_input():
    fig = plot_layer_cost(4096, 512)
    assert "n = 4,096" in fig.axes[0].get_title()
    plt.close(fig)
    with pytest.raises(ValueError, match="n must be one of"):
        make_cost_explorer(n=1000)


def test_explorer_redraws_memory_panel_with_alt_text():
    ui, state = make_cost_explorer()
    (before,) = state["plot"].outputs
    assert "256 MiB" in before["data"]["text/plain"]  # 8 fp16 heads at n = 4096
    state["precision"].value = "fp32"
    (after,) = state["plot"].outputs
    assert "512 MiB" in after["data"]["text/plain"] and after["data"]["image/png"]
    assert before["data"]["image/png"] != after["data"]["image/png"]
    state["heads"].value = 1
    assert "64 MiB" in state["plot"].outputs[0]["data"]["text/plain"]


def test_memory_panel_and_cost_figure_fit_the_column():
    from course_utils.plotting import style_problems
    from course_utils.widgets.cost import plot_cost, plot_memory

    fig = plot_cost(4096, 512, heads=8, precision="fp16")
    assert style_problems(fig) == []
    assert "8 heads" in fig.axes[1].get_title()
    plt.close(fig)
    with pytest.raises(ValueError, match="precision"):
        plot_memory(4096, precision="fp8")


def test_tiling_figure_follows_the_online_softmax():
    import numpy as np

    from course_utils.plotting import style_problems
    from course_utils.widgets.cost import TILING_SCORES, online_softmax_steps, plot_tiling

    steps = online_softmax_steps(TILING_SCORES, 4)
    assert [s["m"] for s in steps] == [1.2, 2.6, 2.6]  # the maximum rises in block 2 only
    assert steps[1]["correction"] < 1 == steps[2]["correction"]
    # l after the last block is the softmax denominator against the final maximum
    assert np.isclose(steps[-1]["l"], np.exp(TILING_SCORES - TILING_SCORES.max()).sum())
    fig = plot_tiling()
    assert style_problems(fig) == []
    plt.close(fig)


def _fuzz_targets():
    from course_utils.widgets import cost as w

    return {
        "cost_summary": (w.cost_summary, dict(n=4096, d_model=512, heads=8, precision="fp16")),
        "cost_alt": (w.cost_alt, dict(n=4096, d_model=512, heads=8, precision="fp16")),
        "attention_share": (w.attention_share, dict(n=4096, d_model=512)),
        "plot_layer_cost": (w.plot_layer_cost, dict(n=4096, d_model=512)),
        "plot_memory": (w.plot_memory, dict(n=4096, heads=8, precision="fp16")),
        "plot_cost": (w.plot_cost, dict(n=4096, d_model=512, heads=8, precision="fp16")),
        "plot_tiling": (w.plot_tiling, dict(n=12, block=4, query=5)),
        "online_softmax_steps": (w.online_softmax_steps, dict(scores=[0.5, 1.2, 2.0], block=2)),
        "make_cost_explorer": (w.make_cost_explorer, dict(n=4096, d_model=512, heads=8)),
    }


@pytest.mark.parametrize("name", list(_fuzz_targets()))
def test_fuzz_widget_helpers(name):
    from fuzz import assert_all_kind, fuzz

    fn, kwargs = _fuzz_targets()[name]

    def closing(**kw):
        try:
            return fn(**kw)
        finally:
            plt.close("all")

    closing.__qualname__ = name
    # exact integer counts for any size; 0 is a valid query row; NaN scores give NaN sums
    allowed = [
        ("n", "huge"),
        ("n", "10**400"),
        ("d_model", "huge"),
        ("d_model", "10**400"),
        ("heads", "huge"),
        ("heads", "10**400"),
        ("query", "0"),
        ("scores", "with a NaN"),
        ("block", "huge"),
        ("block", "10**400"),
        ("scores", "with an inf"),
    ]
    assert_all_kind(fuzz(closing, kwargs, allowed=allowed))
