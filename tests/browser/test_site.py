"""The course website (`make site`) in a real browser: every page renders, its console shows
no error, no request leaves the machine, and axe-core finds no serious or critical
accessibility violation. Screenshots: build/screenshots/site_NAME.png."""

from __future__ import annotations

import functools
import http.server
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import ROOT, SCREENSHOTS

sys.path.insert(0, str(ROOT / "tools"))
from export import vendor  # noqa: E402

SITE = ROOT / "build" / "site"
AXE = {"axe-core": ("4.10.3", "axe-core")}
PAGES = ["index", "launch", "claims", "teaching", "search"] + sorted(
    p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")
)


@pytest.fixture(scope="module")
def site() -> str:
    """Build the site from the stored notebooks and serve it on 127.0.0.1; yield its URL."""
    run = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "site.py")], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(SITE))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def axe_script() -> Path:
    """axe-core, vendored from the npm registry once."""
    return vendor(ROOT / "build" / "vendor", AXE) / "axe-core" / "axe.min.js"


def open_page(browser, url: str):
    """Open ``url`` with every request that leaves 127.0.0.1 blocked and recorded."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    outside: list[str] = []
    errors: list[str] = []

    def route(r):
        if r.request.url.startswith(("http://127.0.0.1", "data:", "blob:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page, outside, errors


@pytest.mark.parametrize("name", PAGES)
def test_site_page(name, site, axe_script, browser):
    page, outside, errors = open_page(browser, f"{site}/{name}.html")
    problems: list[str] = []
    try:
        assert page.locator("main h1, article h1").count() >= 1, f"{name}: no heading rendered"
        if name[:2].isdigit():
            assert page.locator(".cell_output img").count() > 0, f"{name}: no figure"
            # docutils writes the file name when there is no alt text: that is none either
            missing = page.eval_on_selector_all(
                ".cell_output img:not(.widget-output img)",
                "imgs => imgs.filter(i => !i.alt || i.alt.startsWith('_images/')).length",
            )
            if missing:
                problems.append(f"{missing} figure(s) without alt text")
            if page.locator(".math").count():
                page.wait_for_selector(".MathJax_CHTML", timeout=15_000)
        if name == "search":
            page.goto(f"{site}/search.html?q=softmax")
            page.wait_for_selector("#search-results li", timeout=15_000)
        page_errors = list(errors)  # axe re-fetches stylesheets itself: judge the page before it
        page.add_script_tag(path=str(axe_script))
        result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        bad = [
            f"{v['id']} ({v['impact']}, {len(v['nodes'])}×): {v['help']}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"site_{name}.png")
        if outside:
            problems.append(f"reached outside the machine: {outside[:5]}")
        if page_errors:
            problems.append(f"console errors: {page_errors[:5]}")
        problems += [f"accessibility: {b}" for b in bad]
        assert not problems, f"{name}:\n" + "\n".join(problems)
    finally:
        page.close()
