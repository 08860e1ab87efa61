"""Run notebooks with other seeds (COURSE_SEED) and report whether every assertion still holds.

The printed numbers may differ from the stored ones; what must not change is the
conclusion each experiment asserts. Notebooks run on temporary copies, two at a time.
Usage: python tools/run_with_seeds.py --seeds 7 11 notebooks/0*.ipynb
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def run(path: Path, seed: int) -> tuple[str, bool, float, str]:
    """Execute a copy of ``path`` with COURSE_SEED=seed; return (name, ok, seconds, error)."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / path.name
        shutil.copy(path, copy)
        nb = nbformat.read(copy, as_version=4)
        # progress records go to the copy's folder: a seed run never writes a home directory
        env = {
            **os.environ,
            "COURSE_SEED": str(seed),
            "COURSE_PROGRESS_FILE": str(Path(tmp) / "progress.json"),
        }
        client = NotebookClient(
            nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": tmp}}
        )
        start = time.perf_counter()
        try:
            client.execute(env=env)
            ok, error = True, ""
        except CellExecutionError as exc:
            ok, error = False, str(exc).strip().splitlines()[-1]
        return path.name, ok, time.perf_counter() - start, error


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="+", default=["7", "11"])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args()
    # `--seeds 7 11 notebooks/x.ipynb` is fine: whatever is not a number is a notebook
    seeds = [int(s) for s in args.seeds if s.isdigit()]
    notebooks = args.notebooks + [Path(s) for s in args.seeds if not s.isdigit()]
    if not seeds or not notebooks:
        parser.error("give at least one seed and one notebook")
    jobs = [(nb, s) for s in seeds for nb in notebooks]
    failures = 0
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for (_, seed), (name, ok, seconds, error) in zip(
            jobs, pool.map(lambda j: run(*j), jobs), strict=True
        ):
            print(
                f"COURSE_SEED={seed:<4} {name:<34} {'ok  ' if ok else 'FAIL'} "
                f"{seconds:5.1f} s {error}"
            )
            failures += not ok
    print(f"{len(jobs) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
