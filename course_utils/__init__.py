"""Helpers shared by the notebooks of the course on attention and Transformers.

Each notebook first writes its mechanism in the open, then says the same code lives here and
uses it. One topic name per notebook is shared by the core module, ``checks/<topic>.py``
(exercise checkers and the topic's ``PREDICTIONS``), ``widgets/<topic>.py`` (the explorers,
built so tests can drive them) and ``tests/test_<module>.py``, ``tests/test_checks_<topic>.py``,
``tests/test_widgets_<topic>.py``. Notebook, topic, core modules:

- 01 ``rnn``: ``rnn`` (recurrent layers as functions of their input), ``gradients`` (how much
  of token 1 reaches the last step), ``toy_tasks`` (digit strings), ``seq2seq``
  (encoder–decoders), ``training`` (training and accuracy by length)
- 02 ``bahdanau``: ``bahdanau`` (additive attention in numpy, learned alignments); 01's
  ``seq2seq``, ``toy_tasks`` and ``training``
- 03 ``self_attention``: 04's ``attention``; 01's ``rnn`` and ``gradients`` for the comparison
- 04 ``attention``: ``attention`` (softmax, scaled dot-product attention in numpy and torch,
  masks)
- 05 ``scaling``: 04's ``attention``
- 06 ``transformer``: ``transformer`` (multi-head attention, feed-forward, the block, the
  encoder, built on 04's ``attention``), ``torch_interop`` (masks and weights to and from
  PyTorch's modules)
- 07 ``cost``: ``cost`` (counting and measuring the O(n²) cost; tiled online softmax)
- 08 ``bert``: ``bert`` (masking, the tiny BERT, pre-training, fine-tuning, probes), ``corpus``
  (the shipped corpus and topic task in ``data/``); 06's ``transformer``

Shared by every notebook:

- ``reproducibility``: ``seed_everything`` (seeds from ``$COURSE_SEED``, one thread, plot style)
- ``plotting``: the course's figure style, labelled heatmaps, ``show(fig, alt)``
- ``claims``: ``claim`` and ``demo``, every conclusion stated with its bound (docs/claims.md)
- ``predict``: ``Prediction``, ``ask`` and ``reveal``, predict-then-run questions
- ``progress``: the learner's local progress record (``python -m course_utils.progress``)
- ``checks`` (``checks/_core.py``): ``@checker``, ``call_learner``; ``_validate``: argument checks
"""

__all__ = ["seed_everything"]


def __getattr__(name: str):
    """``from course_utils import seed_everything`` without importing torch for every module
    (``python -m course_utils.progress`` stays quick)."""
    if name == "seed_everything":
        from course_utils.reproducibility import seed_everything

        return seed_everything
    raise AttributeError(f"module 'course_utils' has no attribute {name!r}")
