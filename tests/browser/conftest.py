"""A real JupyterLab in headless Chromium (Debian's `chromium`, driven by Python Playwright).

The session starts one `jupyter lab` on 127.0.0.1 with a token, in temporary config,
runtime, settings and workspace folders, serving a temporary copy of notebooks/ (Lab
autosaves; the real notebooks are never touched). Without chromium or playwright every
test here skips and says what to install.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "screenshots"
LAB_SETTINGS = {
    # the "get notified about Jupyter news?" toast would cover the page
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    # render every cell, so DOM checks and screenshots see the whole notebook
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}


def chromium_path() -> str | None:
    """Debian's chromium (or chromium-browser), if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium, or a skip that says what is missing."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="pip install -e '.[browser]' (playwright)"
    )
    path = chromium_path()
    if path is None:
        pytest.skip(
            "no chromium: `apt-get install -y chromium` "
            "(make test-browser does it when run as root)"
        )
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path)
        yield browser
        browser.close()


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_for_lab(src: Path, dest: Path) -> None:
    """Copy notebooks/ for Lab.

    Cells tagged skip-execution become raw cells (Lab ignores the tag).
    """
    shutil.copytree(src, dest)
    for path in dest.glob("[0-9][0-9]_*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and "skip-execution" in cell.metadata.get("tags", []):
                nb.cells[i] = nbformat.v4.new_raw_cell(cell.source, metadata=cell.metadata)
        nbformat.write(nb, path)


def write_settings(settings_dir: Path) -> None:
    """Lab user settings for a quiet, fully rendered test session."""
    for name, value in LAB_SETTINGS.items():
        path = settings_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value), encoding="utf-8")


def wait_until_up(url: str, proc: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    """Poll the server's status API until it answers; fail with its log if it dies or hangs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"jupyter lab exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"jupyter lab did not answer within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def lab(browser, tmp_path_factory) -> Iterator[dict]:
    """A running JupyterLab: {'base': URL, 'token': ..., 'root': served folder}."""
    tmp = tmp_path_factory.mktemp("lab")
    (SCREENSHOTS / "timings.txt").unlink(missing_ok=True)
    root = tmp / "notebooks"
    copy_for_lab(ROOT / "notebooks", root)
    write_settings(tmp / "settings")
    token, port = secrets.token_hex(16), free_port()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
    }
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True",
    ]  # fmt: skip
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = tmp / "lab.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/api/status?token={token}", proc, log)
        yield {"base": base, "token": token, "root": root, "log": log}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
