"""Write the launch links (Binder, Colab) from the one repository URL in pyproject.toml.

Usage:
    python tools/launch.py            # update README.md and every notebook
    python tools/launch.py --check    # change nothing; exit 1 and say what disagrees

It writes three things, all derived from ``[project.urls] Repository``:
- the badge block in README.md, between the two ``launch-badges`` marker comments;
- an "Open in Colab" badge on the line after each notebook's title;
- the Colab install line in each notebook's first code cell (the setup cell).
Only markdown/source text changes; stored outputs are left alone.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from urllib.parse import quote

import nbformat
import tomllib

ROOT = Path(__file__).resolve().parents[1]
BRANCH = "main"
START, END = "<!-- launch-badges:start -->", "<!-- launch-badges:end -->"
COLAB_SVG = "https://colab.research.google.com/assets/colab-badge.svg"
BINDER_SVG = "https://mybinder.org/badge_logo.svg"
COLAB_BADGE_RE = re.compile(r"^\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)[ \t]*$", re.M)
PIP_LINE_RE = re.compile(r"^([ \t]*)%pip install\b.*course-utils.*$", re.M)


def repository_url(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """The course's GitHub URL, read from pyproject.toml ([project.urls] Repository)."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    url = data.get("project", {}).get("urls", {}).get("Repository", "")
    if not re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url):
        raise SystemExit(
            f"{pyproject}: [project.urls] Repository is {url!r}; Binder and Colab need "
            "a plain 'https://github.com/OWNER/REPO' URL there."
        )
    return url


def owner_repo(url: str) -> str:
    """'OWNER/REPO' from a GitHub URL."""
    return url.removeprefix("https://github.com/")


def colab_url(url: str, notebook: str) -> str:
    """The Colab link that opens one notebook (path relative to the repository root)."""
    return f"https://colab.research.google.com/github/{owner_repo(url)}/blob/{BRANCH}/{notebook}"


def binder_url(url: str, notebook: str) -> str:
    """The Binder link that opens JupyterLab on one notebook."""
    return (
        f"https://mybinder.org/v2/gh/{owner_repo(url)}/{BRANCH}?labpath={quote(notebook, safe='')}"
    )


def colab_badge(url: str, notebook: str) -> str:
    """Markdown for an 'Open in Colab' badge."""
    return f"[![Open In Colab]({COLAB_SVG})]({colab_url(url, notebook)})"


def pip_line(url: str) -> str:
    """The Colab install command.

    Non-editable, and --no-deps so Colab's torch and ipywidgets stay.
    """
    return f'%pip install -q --no-deps "course-utils @ git+{url}"'


def notebook_paths(root: Path = ROOT) -> list[Path]:
    """The course notebooks, in order."""
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def title_of(nb: dict) -> str:
    """A notebook's title without its number ('# 04 · Query, Key, Value' -> 'Query, Key, Value')."""
    first = "".join(nb["cells"][0]["source"]).splitlines()[0] if nb["cells"] else ""
    return re.sub(r"^#\s*(\d+\s*[·:.\-–—]\s*)?", "", first).strip()


def readme_block(url: str, notebooks: list[Path], root: Path = ROOT) -> str:
    """The README badge block: Binder on the first notebook, then one Colab badge per notebook."""
    rels = [p.relative_to(root).as_posix() for p in notebooks]
    lines = [START]
    if rels:
        lines += [
            f"[![Binder]({BINDER_SVG})]({binder_url(url, rels[0])}) "
            "opens JupyterLab on the first notebook (the whole course is in the file browser).",
            "",
            "| # | notebook | open in Colab |",
            "| --- | --- | --- |",
        ]
        for path, rel in zip(notebooks, rels, strict=True):
            nb = nbformat.read(path, as_version=4)
            lines.append(f"| {path.name[:2]} | [{title_of(nb)}]({rel}) | {colab_badge(url, rel)} |")
    lines.append(END)
    return "\n".join(lines)


def with_readme_block(text: str, block: str) -> str:
    """README text with the badge block replaced; a kind error when the markers are missing."""
    if START not in text or END not in text:
        raise ValueError(
            f"README.md lacks the markers {START} and {END}: put them where the badges go"
        )
    head, rest = text.split(START, 1)
    return head + block + rest.split(END, 1)[1]


def with_colab_badge(title_md: str, badge: str) -> str:
    """The title cell's markdown with the Colab badge on its own line after the title line."""
    if COLAB_BADGE_RE.search(title_md):
        return COLAB_BADGE_RE.sub(lambda _: badge, title_md, count=1)
    title, _, rest = title_md.partition("\n")
    return f"{title}\n\n{badge}\n" + (f"\n{rest.lstrip(chr(10))}" if rest.strip() else "")


def with_pip_line(setup: str, line: str, name: str) -> str:
    """The setup cell's source with its Colab install line set to ``line``."""
    if not PIP_LINE_RE.search(setup):
        raise ValueError(
            f"{name}: the first code cell has no '%pip install ... course-utils' line; "
            "start it with the Colab block shown in notebooks/README.md"
        )
    return PIP_LINE_RE.sub(lambda m: m.group(1) + line, setup, count=1)


def updated_notebook(nb: dict, url: str, rel: str) -> dict:
    """The notebook with its Colab badge and Colab install line generated from ``url``."""
    cells = nb["cells"]
    if not cells or cells[0]["cell_type"] != "markdown" or not cells[0]["source"].startswith("# "):
        raise ValueError(f"{rel}: the first cell must be the markdown title ('# 0N · ...')")
    cells[0]["source"] = with_colab_badge(cells[0]["source"], colab_badge(url, rel))
    setup = next((c for c in cells if c["cell_type"] == "code"), None)
    if setup is None:
        raise ValueError(f"{rel}: no code cell, so no setup cell for Colab")
    setup["source"] = with_pip_line(setup["source"], pip_line(url), rel)
    return nb


def dump(nb: nbformat.NotebookNode) -> str:
    """Notebook text exactly as Jupyter writes it."""
    return nbformat.writes(nb).rstrip("\n") + "\n"


def normalized(text: str) -> str:
    """Notebook text re-written by nbformat, so formatting alone never counts as a change."""
    return dump(nbformat.reads(text, as_version=4)) if text else ""


def plan(root: Path = ROOT) -> dict[Path, str]:
    """Every file launch.py manages and the text it should hold."""
    url = repository_url(root / "pyproject.toml")
    notebooks = notebook_paths(root)
    wanted: dict[Path, str] = {}
    readme = root / "README.md"
    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    wanted[readme] = with_readme_block(text, readme_block(url, notebooks, root))
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        rel = path.relative_to(root).as_posix()
        wanted[path] = dump(updated_notebook(nb, url, rel))
    return wanted


def differs(path: Path, text: str) -> bool:
    """True when the file's content is not ``text`` (notebook sources compared as strings)."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if path.suffix == ".ipynb":
        return normalized(old) != normalized(text)
    return old != text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report disagreements, change nothing")
    args = parser.parse_args()
    try:
        wanted = plan()
    except ValueError as err:
        print(f"launch.py: {err}", file=sys.stderr)
        return 1
    stale = [path for path, text in wanted.items() if differs(path, text)]
    for path in stale:
        rel = path.relative_to(ROOT)
        if args.check:
            print(
                f"{rel}: launch links differ from pyproject's Repository; "
                "run `python tools/launch.py`"
            )
        else:
            path.write_text(wanted[path], encoding="utf-8")
            print(f"updated {rel}")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
