"""The heatmap labels rows and columns and explains bad input."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils.plotting import heatmap  # noqa: E402


def test_heatmap_has_token_labels_and_values():
    fig = heatmap(np.eye(3), ["Der", "schlaue", "Fuchs"], ["Der", "schlaue", "Fuchs"], title="t")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Der", "schlaue", "Fuchs"]
    assert len(ax.texts) == 9 and ax.get_title() == "t"
    assert len(fig.axes) == 2  # the colorbar
    plt.close(fig)


def test_heatmap_rejects_bad_input():
    with pytest.raises(ValueError, match="2 labels but the matrix has 3 rows"):
        heatmap(np.eye(3), ["a", "b"])
    with pytest.raises(ValueError, match="Pick one head"):
        heatmap(np.ones((2, 3, 3)))
