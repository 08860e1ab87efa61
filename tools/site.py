"""Build the course website from the stored, nbval-checked notebooks (nothing is re-executed).

Usage:
    python tools/site.py            # -> build/site/index.html (open it, or serve build/site/)

Sphinx with myst-nb, because both install from PyPI and build without a network: Jupyter
Book 2 (mystmd) fetches its page theme from the web at build time, which these machines
(and many classrooms) cannot reach. myst-nb renders the stored outputs and widget states;
the book theme gives navigation in course order and Sphinx's own offline search.
Every script the pages load is vendored (MathJax 3, require.js, the widget renderer), so
the site works from ``file://`` or any static host with no request leaving the machine.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from export import BADGE_RE, vendor  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
SOURCE = BUILD / "site-src"
SITE = BUILD / "site"
CONF = Path(__file__).resolve().parent / "site_conf.py"
# npm package -> (version, folder under build/vendor): what the site's pages load.
SITE_PACKAGES = {
    "mathjax": ("2.7.9", "mathjax"),  # version 2, as the widget renderer expects (MathJax.Hub)
    "requirejs": ("2.3.7", "requirejs"),
    "@jupyter-widgets/html-manager": ("1.0.15", "html-manager"),
}
# Parts of those packages the pages never load (source maps, other bundles, the SVG output).
UNUSED_FILES = shutil.ignore_patterns(
    "*.map",
    "*.md",
    "libembed*",
    "embed.js",
    "SVG",
    "latest.js",
    "Asana-Math",
    "Gyre-*",
    "Latin-Modern",
    "Neo-Euler",
    "STIX-Web",
    "eot",
    "otf",
    "svg",
)
# A 3×3 attention map as the site's icon (drawn here: no image from the web).
FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 3 3">'
    + "".join(
        f'<rect x="{j}" y="{i}" width="1" height="1" fill="{c}"/>'
        for i, row in enumerate(
            ["#0072B2 #56B4E9 #E6F1F8", "#56B4E9 #0072B2 #56B4E9", "#E6F1F8 #56B4E9 #0072B2"]
        )
        for j, c in enumerate(row.split())
    )
    + "</svg>"
)
DEFAULT_FIGURE_TEXT = re.compile(r"^<Figure size [^>]*>$")


def figure_alt(cell: dict) -> str | None:
    """The alt text of a cell's figure: the ``text/plain`` that ``plotting.show`` stores."""
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if "image/png" in data:
            alt = output.get("metadata", {}).get("image/png", {}).get("alt")
            text = alt or "".join(data.get("text/plain", "")).strip()
            if text and not DEFAULT_FIGURE_TEXT.match(text):
                return text
    return None


def widget_figures_with_alt(nb: nbformat.NotebookNode) -> None:
    """Give each figure stored in a widget's state an ``<img alt>``.

    The renderer drops text/plain.
    """
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    for model in state.get("state", {}).values():
        for output in model.get("state", {}).get("outputs", []):
            data = output.get("data", {})
            alt = "".join(data.get("text/plain", "")).strip()
            if "image/png" in data and alt and alt != "<figure>":
                src = "data:image/png;base64," + "".join(data["image/png"]).strip()
                data["text/html"] = f'<img alt="{html.escape(alt)}" src="{src}">'


def prepare(notebook: Path, dest: Path) -> None:
    """Copy one notebook for the site: figure alt text, the Colab badge as a plain link."""
    nb = nbformat.read(notebook, as_version=4)
    widget_figures_with_alt(nb)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = BADGE_RE.sub(r"[Open in Colab](\1)", cell.source)
        alt = figure_alt(cell)
        if alt:
            cell.metadata.setdefault("mystnb", {}).setdefault("image", {})["alt"] = alt
    nbformat.write(nb, dest / notebook.name)


def title(notebook: Path) -> str:
    """The notebook's first heading, for the home page's table."""
    first = json.loads(notebook.read_text(encoding="utf-8"))["cells"][0]["source"]
    return "".join(first).splitlines()[0].lstrip("# ").strip()


def home_page(notebooks: list[Path]) -> str:
    """index.md: what the course is, how to launch it, and the pages in course order."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    intro = readme.split("\n## ", 1)[0].split("\n", 1)[1].strip()
    intro = re.sub(r"```bash.*?```", "", intro, flags=re.S).strip()
    rows = "\n".join(f"| {nb.name[:2]} | [{title(nb)}]({nb.stem}.ipynb) |" for nb in notebooks)
    toc = "\n".join(nb.stem for nb in notebooks)
    return f"""# Transformers & Attention, proven by experiment

{intro}

## Start here

Read the notebooks below in order: each one's figures, widget states and results are the
ones the test suite checked. To run them yourself, see [Launch the course](launch.md).

| # | notebook |
| --- | --- |
{rows}

The [claims ledger](claims.md) lists every conclusion the course proves, with the bound it
must meet and how it fared under many random seeds.

```{{toctree}}
:caption: The course
:maxdepth: 1
:hidden:

{toc}
```

```{{toctree}}
:caption: About the course
:maxdepth: 1
:hidden:

launch
claims
teaching
```
"""


def launch_page() -> str:
    """launch.md: the README's launch section and set-up commands (links, no badge images)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"\n## Launch it\n(.*?)(?=\n## )", readme, flags=re.S)
    section = match.group(1) if match else ""
    section = re.sub(r"\[!\[([^\]]*)\]\([^)]*\)\]\(([^)]*)\)", r"[\1](\2)", section)
    section = section.replace("](notebooks/", "](")
    commands = re.search(r"```bash.*?```", readme, flags=re.S)
    return (
        "# Launch the course\n\nOn your own machine:\n\n"
        f"{commands.group(0) if commands else ''}\n{section}\n"
    )


def claims_page() -> str:
    """claims.md: the ledger from docs/, or a note that it has not been generated."""
    ledger = ROOT / "docs" / "claims.md"
    if ledger.exists():
        return ledger.read_text(encoding="utf-8")
    return "# Claims ledger\n\nNot generated yet: run `make claims`.\n"


def write_sources(notebooks: list[Path]) -> None:
    """Lay out build/site-src: conf.py, the pages, the notebooks, the vendored scripts."""
    shutil.rmtree(SOURCE, ignore_errors=True)
    SOURCE.mkdir(parents=True)
    shutil.copy(CONF, SOURCE / "conf.py")
    for nb in notebooks:
        prepare(nb, SOURCE)
    (SOURCE / "index.md").write_text(home_page(notebooks), encoding="utf-8")
    (SOURCE / "launch.md").write_text(launch_page(), encoding="utf-8")
    (SOURCE / "claims.md").write_text(claims_page(), encoding="utf-8")
    if (ROOT / "docs" / "claims.png").exists():
        shutil.copy(ROOT / "docs" / "claims.png", SOURCE / "claims.png")
    teaching = (ROOT / "docs" / "teaching.md").read_text(encoding="utf-8")
    teaching = re.sub(r"\]\(\.\./notebooks/([^)]+)\.ipynb\)", r"](\1.ipynb)", teaching)
    (SOURCE / "teaching.md").write_text(teaching, encoding="utf-8")
    (SOURCE / "_static").mkdir()
    (SOURCE / "_static" / "favicon.svg").write_text(FAVICON, encoding="utf-8")
    shutil.copy(Path(__file__).resolve().parent / "site_widgets.js", SOURCE / "_static")
    vendored = vendor(BUILD / "vendor", SITE_PACKAGES)
    static = SOURCE / "_static" / "vendor"
    static.mkdir()
    for _, folder in SITE_PACKAGES.values():
        shutil.copytree(vendored / folder, static / folder, ignore=UNUSED_FILES)
    # The widget renderer asks for its icon fonts beside the module it was loaded as, which
    # is either html-manager/dist/ or the folder above html-manager/: serve them in both.
    for font in (static / "html-manager" / "dist").glob("*.[wt][ot][f]*"):  # woff, woff2, ttf
        shutil.copy(font, static)


def build(notebooks: list[Path]) -> Path:
    """Write the sources and run Sphinx; return the site's index page."""
    write_sources(notebooks)
    shutil.rmtree(SITE, ignore_errors=True)
    subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-b", "html", "-W", "--keep-going"]
        + [str(SOURCE), str(SITE)],
        check=True,
    )
    return SITE / "index.html"


def main() -> int:
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    start = time.perf_counter()
    index = build(notebooks)
    size = sum(f.stat().st_size for f in SITE.rglob("*") if f.is_file())
    print(f"site: {index} ({size / 2**20:.1f} MiB, {time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
