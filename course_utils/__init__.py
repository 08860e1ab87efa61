"""Helpers shared by the notebooks of the course on attention and Transformers.

Each module holds one idea (the notebook that introduces it in brackets):

- ``reproducibility``: ``seed_everything`` (seeds, thread count, plot style)
- ``attention``: softmax, scaled dot-product attention in numpy and torch, masks (04)
- ``plotting``: the course's figure style and a labelled heatmap
- ``gradients``: how much of token 1 reaches the last position, for any sequence model (01, 03)
- ``toy_tasks`` and ``seq2seq``: digit-string tasks, RNN encoder–decoders with and without
  Bahdanau attention, training and accuracy by length (01, 02)
- ``transformer``: multi-head attention, the block, positional encoding, equal to torch's (06)
- ``bench`` and ``flash``: counting and measuring the O(n²) cost; tiled online-softmax attention (07)
- ``corpus`` and ``bert``: the shipped corpus, masking, a tiny BERT (08)
- ``checks``: exercise checkers that answer a learner with a helpful message
- ``widgets``: the interactive explorers, built so tests can drive them
"""

__all__ = ["seed_everything"]


def __getattr__(name: str):
    """``from course_utils import seed_everything`` without importing torch for every module
    (``python -m course_utils.progress`` stays quick)."""
    if name == "seed_everything":
        from course_utils.reproducibility import seed_everything

        return seed_everything
    raise AttributeError(f"module 'course_utils' has no attribute {name!r}")
