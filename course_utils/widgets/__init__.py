"""Interactive explorers, one module per notebook topic.

Each ``make_*`` returns ``(ui, state)``: ``ui`` is the widget to display and ``state`` a dict
of its controls and outputs, so a test (or a teacher) can set ``state[...].value`` and read
the result without a browser. Written for ipywidgets 7.7 (Colab) and 8.x alike.

Every widget draws through ``show_figure(out, fig, alt)``, the widget twin of
``course_utils.plotting.show``: one render path, no figure leaking below the widget.
"""

import base64

import ipywidgets as widgets
import matplotlib.pyplot as plt

from course_utils.plotting import figure_png

__all__ = ["show_figure"]

_NO_ALT = "<figure>"  # what text/plain says while a caller gives no alt text yet


def show_figure(out: widgets.Output, fig: plt.Figure, alt: str = "") -> None:
    """Replace what ``out`` shows by ``fig`` as a PNG with ``alt`` as its text, and close it.

    ``alt`` is a one-sentence description of what the figure shows; it becomes the output's
    ``text/plain`` (what screen readers, exports and a kernel-less reader get) and the PNG's
    ``alt`` metadata. The PNG is set on the Output widget directly (no ``with out:
    display(...)``), so nothing leaks into the cell's own output and the figure is not drawn a
    second time below it. (``alt`` is optional while callers move to it; it will be required.)
    """
    if alt is None:
        alt = ""
    if not isinstance(alt, str):
        raise TypeError(f"alt must be a str (one sentence describing the figure); got {alt!r}")
    png = base64.b64encode(figure_png(fig, tight=False)).decode("ascii")
    alt = " ".join(alt.split())
    metadata = {"image/png": {"alt": alt}} if alt else {}
    out.outputs = (
        {
            "output_type": "display_data",
            "metadata": metadata,
            "data": {"image/png": png, "text/plain": alt or _NO_ALT},
        },
    )
    plt.close(fig)
