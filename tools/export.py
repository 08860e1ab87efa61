"""Export the notebooks as reveal.js slides or static HTML pages that work offline.

Usage:
    python tools/export.py slides [NOTEBOOK ...]   # -> build/slides/NAME.slides.html
    python tools/export.py html [NOTEBOOK ...]     # -> build/html/NAME.html

Pages are made from the stored outputs (nothing is executed); cells without a slide type
get tools/slides.py's defaults in memory. Every script and style they
load (reveal.js, require.js, jQuery, MathJax 2, the widget renderer) is fetched once from the
npm registry with ``npm pack`` into build/vendor/ and referenced by relative path, so a page
opened later without a network (``file://`` included) needs no CDN. Keep build/ together
when you copy the pages elsewhere.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter, SlidesExporter

sys.path.insert(0, str(Path(__file__).resolve().parent))
from slides import add_slide_types  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
VENDOR = BUILD / "vendor"
TEMPLATES = Path(__file__).resolve().parent / "templates"
# npm package -> (version, folder under build/vendor). Versions match nbconvert 7's templates
# (reveal.js 4.0.2, MathJax 2.7) and ipywidgets 8's widget state (html-manager 1.0).
PACKAGES = {
    "reveal.js": ("4.0.2", "reveal.js"),
    "requirejs": ("2.3.7", "requirejs"),
    "jquery": ("3.7.1", "jquery"),
    "mathjax": ("2.7.9", "mathjax"),
    "@jupyter-widgets/html-manager": ("1.0.15", "html-manager"),
}
SKIP_IN_TARBALL = ("/unpacked/", "/png/", "/test/", "/docs/")
BADGE_RE = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\(([^)]*)\)")


def without_badge_images(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with its Colab badge as a plain link: the badge image lives on the web."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = BADGE_RE.sub(r"[Open in Colab](\1)", cell.source)
    return nb


def unpack(tarball: Path, dest: Path) -> None:
    """Extract an npm tarball's ``package/`` folder into ``dest``, minus unused bulk."""
    with tarfile.open(tarball) as tar:
        members = [
            m
            for m in tar.getmembers()
            if m.isfile()
            and m.name.startswith("package/")
            and not any(s in m.name for s in SKIP_IN_TARBALL)
        ]
        for m in members:
            m.name = m.name.removeprefix("package/")
        tar.extractall(dest, members=members, filter="data")


def vendor(dest: Path = VENDOR, packages: dict[str, tuple[str, str]] = PACKAGES) -> Path:
    """Fetch the front-end ``packages`` into ``dest`` once (npm pack); return ``dest``."""
    missing = {
        name: (version, folder)
        for name, (version, folder) in packages.items()
        if not (dest / folder / f".version-{version}").exists()
    }
    if not missing:
        return dest
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(
            "export.py: `npm` is needed once to fetch reveal.js, MathJax and friends "
            "(apt-get install npm)"
        )
    with tempfile.TemporaryDirectory() as tmp:
        specs = [f"{name}@{version}" for name, (version, _) in missing.items()]
        run = subprocess.run(
            [npm, "pack", "--silent", *specs], cwd=tmp, capture_output=True, text=True
        )
        if run.returncode != 0:
            raise SystemExit(
                f"export.py: `npm pack {' '.join(specs)}` failed:\n{run.stderr[-2000:]}"
            )
        for name, (version, folder) in missing.items():
            tarball = Path(tmp) / f"{name.removeprefix('@').replace('/', '-')}-{version}.tgz"
            shutil.rmtree(dest / folder, ignore_errors=True)
            unpack(tarball, dest / folder)
            (dest / folder / f".version-{version}").touch()
            print(f"vendored {name}@{version} into {dest / folder}")
    return dest


FIGURE_CODE_LINES = 8  # a longer cell that draws a figure shows only the figure on its slide


def figures_over_code(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """On slides, a long cell that draws a figure shows the figure, not the drawing code."""
    for cell in nb.cells:
        draws = any("image/png" in o.get("data", {}) for o in cell.get("outputs", []))
        if cell.cell_type == "code" and draws and cell.source.count("\n") >= FIGURE_CODE_LINES:
            cell.metadata.setdefault("transient", {})["remove_source"] = True
    return nb


def offline_config(exporter: HTMLExporter, vendor_url: str) -> None:
    """Point every script and stylesheet of the page at the vendored copies."""
    exporter.require_js_url = f"{vendor_url}/requirejs/require.js"
    exporter.jquery_url = f"{vendor_url}/jquery/dist/jquery.min.js"
    exporter.mathjax_url = f"{vendor_url}/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"
    exporter.widget_renderer_url = f"{vendor_url}/html-manager/dist/embed-amd.js"


def slides_exporter() -> SlidesExporter:
    """A reveal.js exporter whose deck loads nothing from the network."""
    exporter = SlidesExporter(
        template_name="course_slides", extra_template_basedirs=[str(TEMPLATES)]
    )
    offline_config(exporter, "../vendor")
    exporter.reveal_url_prefix = "../vendor/reveal.js"
    exporter.reveal_theme = "white"  # "simple" imports Google Fonts; "white" ships its fonts
    exporter.reveal_transition = "none"
    exporter.reveal_width, exporter.reveal_height = "1280", "720"  # a projector's frame
    return exporter


def html_exporter() -> HTMLExporter:
    """A static-page exporter (JupyterLab look) that loads nothing from the network."""
    exporter = HTMLExporter(template_name="lab")
    offline_config(exporter, "../vendor")
    return exporter


def export(kind: str, notebooks: list[Path], build: Path = BUILD) -> list[Path]:
    """Write one page per notebook into build/<kind>/ and an index; return the pages."""
    vendor(build / "vendor")
    out_dir = build / kind
    out_dir.mkdir(parents=True, exist_ok=True)
    exporter = slides_exporter() if kind == "slides" else html_exporter()
    pages = []
    for path in notebooks:
        nb = without_badge_images(nbformat.read(path, as_version=4))
        add_slide_types(nb)  # in memory: cells without a slide type get the defaults
        if kind == "slides":
            figures_over_code(nb)
        body, resources = exporter.from_notebook_node(
            nb, resources={"metadata": {"name": path.stem}}
        )
        page = out_dir / f"{path.stem}{resources['output_extension']}"
        page.write_text(body, encoding="utf-8")
        pages.append(page)
        print(f"wrote {page}")
    links = "\n".join(
        f'<li><a href="{p.name}">{p.stem.removesuffix(".slides")}</a></li>' for p in pages
    )
    (out_dir / "index.html").write_text(
        f"<!DOCTYPE html>\n<meta charset='utf-8'><title>Course {kind}</title>\n"
        f"<h1>Course {kind}</h1>\n<ul>\n{links}\n</ul>\n",
        encoding="utf-8",
    )
    return pages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["slides", "html"])
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args()
    notebooks = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        print("export.py: no notebooks to export (notebooks/0N_*.ipynb)")
        return 0
    export(args.kind, notebooks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
