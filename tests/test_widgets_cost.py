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
