"""Every stored figure fits a notebook column, carries alt text, and no widget leaks a copy.

Reads the committed notebooks (nothing is executed):
- every ``image/png`` output is at most 1100 px wide (11 in at 100 dpi, what a column shows);
- its ``text/plain`` is a one-sentence description of the finding (what ``plotting.show``
  stores), not matplotlib's ``<Figure size …>``, and the PNG's ``alt`` metadata says the same;
- the same holds for the figures stored inside the saved widget state (``show_figure``);
- a cell that builds a widget stores no figure outside the widget (the widget shows it).

``update_ms`` is a helper for the widget tests: the python-side time of one control change.
"""

from __future__ import annotations

import base64
import json
import re
import statistics
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from course_utils.plotting import png_size

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("0*.ipynb"))
MAX_PX = 1100
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
DEFAULT_REPR = re.compile(r"^<(Figure size [^>]*|figure)>$")


def _figures() -> list:
    params = []
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for k, cell in enumerate(cells):
            images = [out for out in cell.get("outputs", []) if "image/png" in out.get("data", {})]
            for i, out in enumerate(images):
                label = f"{path.name[:2]}-cell{k}" + (f"-img{i}" if len(images) > 1 else "")
                params.append(pytest.param(out, id=label))
    return params


def _cells() -> list:
    params = []
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for k, cell in enumerate(cells):
            if cell["cell_type"] == "code":
                params.append(pytest.param(cell, id=f"{path.name[:2]}-cell{k}"))
    return params


FIGURES = _figures()


def _widget_figures() -> list:
    """Figures stored inside the notebooks' saved widget state (the widgets' first pictures)."""
    params = []
    for path in NOTEBOOKS:
        metadata = json.loads(path.read_text(encoding="utf-8"))["metadata"]
        state = metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
        for model_id, model in state.items():
            for out in model.get("state", {}).get("outputs", []) or []:
                if "image/png" in out.get("data", {}):
                    params.append(pytest.param(out, id=f"{path.name[:2]}-widget-{model_id[:6]}"))
    return params


WIDGET_FIGURES = _widget_figures()


def is_sentence(text: str) -> bool:
    """At least four words, not starting in lower case, ending in . ! or ? (perhaps quoted)."""
    words = text.split()
    return (
        len(words) >= 4
        and not text[:1].islower()
        and re.search(r"[.!?][\"'”’)]*$", text.strip()) is not None
    )


def _text(out: dict) -> str:
    value = out.get("data", {}).get("text/plain", "")
    return "".join(value) if isinstance(value, list) else value


def test_figures_are_found():
    assert len(FIGURES) >= 20


def test_is_sentence():
    assert is_sentence("Masked cells get no weight: each word sees only the past.")
    assert is_sentence("'Fuchs' looks mostly at 'schlaue'.")
    for text in ("<Figure size 640x480 with 1 Axes>", "attention weights", "a b c d.", ""):
        assert not is_sentence(text)


@pytest.mark.parametrize("out", FIGURES)
def test_figure_fits_a_notebook_column(out):
    width, height = png_size(base64.b64decode("".join(out["data"]["image/png"])))
    assert width <= MAX_PX, (
        f"the figure is {width} px wide (> {MAX_PX}): make it ≤ 11 in wide and show it with "
        "course_utils.plotting.show"
    )


@pytest.mark.parametrize("out", FIGURES)
def test_figure_has_alt_text(out):
    text = _text(out).strip()
    assert not DEFAULT_REPR.match(text), (
        f"the figure's text is matplotlib's default {text!r}: end the cell with "
        'show(fig, alt="<one sentence: what the figure shows>")'
    )
    assert is_sentence(text), f"the alt text {text!r} is not a sentence (≥ 4 words, ends in .)"
    alt = out.get("metadata", {}).get("image/png", {}).get("alt")
    assert alt == text, "the PNG's alt metadata should equal its text (plotting.show does both)"


@pytest.mark.parametrize("out", WIDGET_FIGURES)
def test_widget_figure_fits_and_has_alt_text(out):
    width, _ = png_size(base64.b64decode("".join(out["data"]["image/png"])))
    assert width <= MAX_PX, f"the widget's figure is {width} px wide (> {MAX_PX})"
    text = _text(out).strip()
    assert is_sentence(text), (
        f"the widget's figure has the text {text!r}: pass alt=... to show_figure(out, fig, alt)"
    )


@pytest.mark.parametrize("cell", _cells())
def test_no_widget_cell_stores_a_figure_outside_its_widget(cell):
    outputs = cell.get("outputs", [])
    if not any(WIDGET_VIEW in out.get("data", {}) for out in outputs):
        return
    leaked = [out for out in outputs if "image/png" in out.get("data", {})]
    assert not leaked, (
        f"this widget cell also stores {len(leaked)} figure(s) below the widget: draw through "
        "course_utils.widgets.show_figure and close the figure (plt.close) after building it"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_figures_are_shown_with_alt_text_not_plt_show(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    bare = [
        k
        for k, cell in enumerate(cells)
        if cell["cell_type"] == "code" and re.search(r"\bplt\.show\(", "".join(cell["source"]))
    ]
    assert not bare, (
        f"cells {bare} end a figure with plt.show(): use "
        'course_utils.plotting.show(fig, alt="<one sentence: the finding>")'
    )


def update_ms(control: Any, values: Iterable[Any], repeat: int = 1) -> float:
    """Median python-side milliseconds for ``control.value = v`` (callbacks included)."""
    times = []
    for _ in range(repeat):
        for value in values:
            start = time.perf_counter()
            control.value = value
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def test_update_ms_times_a_control():
    import ipywidgets as widgets

    slider = widgets.IntSlider(value=0, min=0, max=10)
    seen = []
    slider.observe(lambda change: seen.append(change["new"]), names="value")
    assert update_ms(slider, [1, 2, 3]) < 250 and seen == [1, 2, 3]
