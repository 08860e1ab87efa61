"""The Makefile: `make help` lists every target, `make lab` starts as root and with no display,
ONLY= picks one notebook, and the test targets never write progress into a home folder."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def make(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def phony_targets() -> list[str]:
    text = re.search(r"^\.PHONY:(.*?)(?<!\\)\n", MAKEFILE, re.MULTILINE | re.DOTALL).group(1)
    return text.replace("\\\n", " ").split()


def test_every_target_is_phony_and_described_for_make_help():
    rules = re.findall(r"^([a-z][a-z-]*):", MAKEFILE, re.MULTILINE)
    assert set(rules) == set(phony_targets()), "declare every target in .PHONY"
    undocumented = [t for t in rules if not re.search(rf"^{t}:.*## \S", MAKEFILE, re.MULTILINE)]
    assert not undocumented, f"give these targets a '## description' for make help: {undocumented}"
    listed = make("help").stdout
    for target in rules:
        assert f"make {target} " in listed, f"make help does not list {target}"
    for target in ("lab", "test", "claims", "progress", "progress-reset", "data", "data-check"):
        assert target in rules


@pytest.fixture
def fake_venv(tmp_path):
    """A venv whose `jupyter` only prints its arguments (so `make lab` returns at once)."""
    (tmp_path / "bin").mkdir()
    jupyter = tmp_path / "bin" / "jupyter"
    jupyter.write_text('#!/bin/sh\necho "jupyter $*"\n')
    jupyter.chmod(0o755)
    (tmp_path / ".installed").touch()
    os.utime(tmp_path / ".installed", (4e9, 4e9))  # newer than pyproject.toml: no set-up
    return tmp_path


@pytest.mark.parametrize(
    ("display", "browser"),
    [({}, False), ({"DISPLAY": ":0"}, True), ({"WAYLAND_DISPLAY": "w"}, True)],
)
def test_make_lab_adds_allow_root_and_no_browser_only_when_needed(fake_venv, display, browser):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env |= display
    done = subprocess.run(
        ["make", "--no-print-directory", "lab", f"VENV={fake_venv}"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("jupyter "))
    assert line.startswith("jupyter lab --notebook-dir=notebooks")
    assert ("--allow-root" in line) == (os.getuid() == 0)
    if os.uname().sysname != "Darwin":
        assert ("--no-browser" in line) == (not browser)
    assert "Ctrl-C twice" in done.stdout and "jupyter lab stop" in done.stdout


def test_only_picks_one_notebook_and_an_unknown_one_is_refused():
    dry = make("-n", "execute", "ONLY=06").stdout
    assert re.search(r"execute_notebooks\.py notebooks/06_\w+\.ipynb\s*$", dry, re.MULTILINE)
    assert "notebooks/01_" not in dry
    assert make("execute", "ONLY=99").returncode != 0
    assert "notebooks/06_" in make("-n", "test-notebooks", "ONLY=06").stdout


def test_test_targets_keep_progress_out_of_the_home_folder():
    for target in ("test-unit", "test-notebooks", "test-seeds", "execute", "claims"):
        dry = make("-n", target).stdout
        assert "COURSE_PROGRESS_FILE=" in dry and str(Path.home()) + "/.attention" not in dry


def test_make_claims_uses_the_ledger_seeds_unless_told_otherwise():
    default = make("-n", "claims").stdout
    assert "--seeds 5971 7216 11307" in default and "98456" in default
    chosen = make("-n", "claims", "SEEDS=3 4", "ONLY=06").stdout
    assert "--seeds 3 4 --only 06" in chosen
