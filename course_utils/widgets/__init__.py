"""Interactive explorers, one module per notebook topic.

Each ``make_*`` returns ``(ui, state)``: ``ui`` is the widget to display and ``state`` a dict
of its controls and outputs, so a test (or a teacher) can set ``state[...].value`` and read
the result without a browser. Written for ipywidgets 7.7 (Colab) and 8.x alike.
"""

import base64
import io

import ipywidgets as widgets
import matplotlib.pyplot as plt

__all__ = ["show_figure"]


def show_figure(out: widgets.Output, fig: plt.Figure) -> None:
    """Replace what ``out`` shows by ``fig`` as a PNG, and close the figure.

    The PNG is set on the Output widget directly (no ``with out: display(...)``), so nothing
    leaks into the cell's own output and the figure is not drawn a second time below it.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    out.outputs = (
        {"output_type": "display_data", "metadata": {}, "data": {"image/png": png, "text/plain": "<figure>"}},
    )
    plt.close(fig)
