"""Seeds, thread count and plot style, so a notebook prints the same numbers on every run."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

DEFAULT_SEED = 0


def default_seed() -> int:
    """The course seed: ``$COURSE_SEED`` when set (re-run a notebook with another seed), else 0."""
    raw = os.environ.get("COURSE_SEED", "").strip()
    if not raw:
        return DEFAULT_SEED
    try:
        return int(raw)
    except ValueError:
        raise ValueError(
            f"COURSE_SEED={raw!r} is not an integer: set it to a whole number, e.g. COURSE_SEED=7"
        ) from None


def seed_everything(seed: int | None = None, threads: int = 1) -> int:
    """Seed python, numpy and torch, fix torch's thread count, set the course plot style.

    ``seed=None`` uses ``default_seed()``. Returns the seed used, so a notebook can print it.
    """
    if seed is None:
        seed = default_seed()
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive integer, got {threads!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.set_printoptions(precision=3, sci_mode=False)
    np.set_printoptions(precision=3, suppress=True)

    from course_utils.plotting import use_course_style

    use_course_style()
    return seed
