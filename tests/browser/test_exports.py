"""`make slides` and `make html` pages work offline: opened from file:// with every network
request blocked, the deck is styled by reveal.js, math is typeset, widgets and figures show.
Screenshots: build/screenshots/slides_NAME.png (title slide), slides_NAME_2.png (next slide)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import nbformat
import pytest
from conftest import ROOT, SCREENSHOTS

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
BUILD = ROOT / "build"


@pytest.fixture(scope="module")
def exported() -> dict[str, list]:
    """Run tools/export.py for slides and html (needs npm once, to vendor reveal.js & co.)."""
    if not NOTEBOOKS:
        pytest.skip("no notebooks/0N_*.ipynb yet")
    if shutil.which("npm") is None and not (BUILD / "vendor" / "reveal.js").is_dir():
        pytest.skip(
            "npm is needed once to vendor reveal.js and MathJax into build/vendor "
            "(apt-get install npm)"
        )
    pages = {}
    for kind in ("slides", "html"):
        run = subprocess.run(
            [sys.executable, str(ROOT / "tools" / "export.py"), kind],
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        suffix = ".slides.html" if kind == "slides" else ".html"
        pages[kind] = [BUILD / kind / f"{p.stem}{suffix}" for p in NOTEBOOKS]
    return pages


def open_offline(browser, path):
    """Open a page from file:// with the network cut; return (page, URLs it tried to fetch)."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    tried: list[str] = []

    def block(route):
        if route.request.url.startswith(("http:", "https:")):
            tried.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", block)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, tried


@pytest.mark.parametrize("index", range(len(NOTEBOOKS)), ids=[p.stem for p in NOTEBOOKS])
def test_slides_work_offline(index, exported, browser):
    deck = exported["slides"][index]
    page, tried = open_offline(browser, deck)
    try:
        page.wait_for_selector(".reveal.ready", timeout=30_000)  # reveal.js initialised
        page.wait_for_timeout(1500)  # MathJax and the widget renderer finish
        font = page.evaluate("() => getComputedStyle(document.querySelector('.reveal')).fontFamily")
        assert "Source Sans Pro" in font, (
            f"{deck.name}: the reveal.js theme did not load (font {font})"
        )
        n_slides = page.evaluate(
            "() => document.querySelectorAll('.reveal .slides > section').length"
        )
        assert n_slides >= 3, (
            f"{deck.name}: only {n_slides} slides; run tools/slides.py on the notebook"
        )
        html = deck.read_text(encoding="utf-8")
        markdown = "".join(
            c.source
            for c in nbformat.read(NOTEBOOKS[index], as_version=4).cells
            if c.cell_type == "markdown"
        )
        if re.search(r"\$[^$\n]+\$", markdown):
            assert page.locator(".MathJax_CHTML").count() > 0, f"{deck.name}: math was not typeset"
        if "application/vnd.jupyter.widget-state+json" in html:
            assert page.locator(".widget-inline-hbox, .jupyter-widgets").count() > 0, (
                f"{deck.name}: no widget drawn"
            )
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"slides_{deck.stem.removesuffix('.slides')}.png")
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(800)
        page.screenshot(path=SCREENSHOTS / f"slides_{deck.stem.removesuffix('.slides')}_2.png")
        assert not tried, f"{deck.name} reached for the network: {tried[:5]}"
    finally:
        page.close()


FRAME = {"width": 1280, "height": 720}
SLIDE_HEIGHTS = """async () => {
  const heights = [];
  for (const slide of Reveal.getSlides()) {
    const {h, v} = Reveal.getIndices(slide);
    Reveal.slide(h, v);
    await new Promise((done) => setTimeout(done, 50));
    const first = slide.querySelector("h1, h2, h3, .running-title");
    heights.push([h, v || 0, slide.scrollHeight, first ? first.textContent.trim() : ""]);
  }
  return heights;
}"""


@pytest.mark.parametrize("index", range(len(NOTEBOOKS)), ids=[p.stem for p in NOTEBOOKS])
def test_every_slide_fits_a_projector_frame(index, exported, browser):
    """At 1280×720 no slide runs off the frame, and each one starts with a heading."""
    deck = exported["slides"][index]
    page = browser.new_page(viewport=FRAME)
    try:
        page.goto(deck.as_uri())
        page.wait_for_selector(".reveal.ready", timeout=30_000)
        page.wait_for_function("() => window.Reveal && window.MathJax && MathJax.isReady")
        heights = page.evaluate(SLIDE_HEIGHTS)
        over = [(h, v, px, title[:40]) for h, v, px, title in heights if px > FRAME["height"]]
        untitled = [(h, v) for h, v, _, title in heights if not title]
        assert not over, f"{deck.name}: slides taller than the frame (h, v, px, title): {over}"
        assert not untitled, f"{deck.name}: slides without a heading: {untitled}"
    finally:
        page.close()


@pytest.mark.parametrize("index", range(len(NOTEBOOKS)), ids=[p.stem for p in NOTEBOOKS])
def test_html_pages_work_offline(index, exported, browser):
    path = exported["html"][index]
    page, tried = open_offline(browser, path)
    try:
        page.wait_for_timeout(1500)
        assert page.locator(".jp-Notebook .jp-Cell").count() > 5, f"{path.name}: no notebook cells"
        assert page.locator(".jp-OutputArea-output img").count() > 0, f"{path.name}: no figure"
        assert not tried, f"{path.name} reached for the network: {tried[:5]}"
        if index == 0:
            page.screenshot(path=SCREENSHOTS / f"html_{path.stem}.png")
    finally:
        page.close()
