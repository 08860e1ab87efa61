"""The launch links and slide types in README.md and the notebooks are what the tools generate.

These check the files themselves (tests/test_launch.py checks the tools): after adding a
notebook or changing pyproject's Repository, run `make meta` (tools/launch.py and
tools/slides.py) and commit what it changed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import launch  # noqa: E402
import slides  # noqa: E402

NOTEBOOKS = launch.notebook_paths(ROOT)
IDS = [p.name for p in NOTEBOOKS]


def test_launch_links_agree_with_pyproject():
    """README badges, notebook badges and Colab install lines are what launch.py generates."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "launch.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_has_colab_badge_and_install_line(path):
    url = launch.repository_url(ROOT / "pyproject.toml")
    rel = path.relative_to(ROOT).as_posix()
    nb = nbformat.read(path, as_version=4)
    setup = next(c for c in nb.cells if c.cell_type == "code")
    assert launch.colab_badge(url, rel) in nb.cells[0].source, (
        f"{path.name}: run `python tools/launch.py`"
    )
    assert launch.pip_line(url) in setup.source, f"{path.name}: run `python tools/launch.py`"
    assert "    %pip" in setup.source and 'if "google.colab" in sys.modules:' in setup.source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_cell_has_a_slide_type(path):
    found = slides.problems(nbformat.read(path, as_version=4))
    assert not found, (
        f"{path.name}: {found[:3]}; run `python tools/slides.py {path.relative_to(ROOT)}`"
    )
