"""Helpers shared by the notebooks of the course on attention and Transformers.

Each module holds one idea:

- ``reproducibility``: ``seed_everything`` (seeds, thread count, plot style)
- ``attention``: softmax, scaled dot-product attention in numpy and torch, masks
- ``plotting``: the course's figure style and a labelled heatmap
- ``checks``: exercise checkers that answer a learner with a helpful message
- ``widgets``: the interactive explorers, built so tests can drive them
"""

from course_utils.reproducibility import seed_everything

__all__ = ["seed_everything"]
