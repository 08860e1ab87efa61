"""Bahdanau (additive) attention in numpy, and what a trained model's alignment shows (notebook 02).

- ``additive_scores`` / ``additive_attention``: ``e_j = v_aᵀ tanh(W_a s + U_a h_j)``, the
  softmax weights ``α_j`` and the context ``c = Σ_j α_j h_j`` for one decoder state, the same
  numbers the PyTorch module ``course_utils.seq2seq.AdditiveAttention`` computes for a batch;
- ``alignment_examples``: greedy-decode a few fresh strings and keep their attention weights;
- ``alignment_offsets``: where the weights fall relative to the position each step must copy.

Shapes: ``s`` (S,) a decoder state, ``H`` (L, d_h) one annotation per row, ``W_a`` (A, S),
``U_a`` (A, d_h), ``v_a`` (A,).
"""

from __future__ import annotations

import numpy as np

from course_utils._validate import additive_score_args, alignment_example_args, alignment_weights
from course_utils.attention import softmax
from course_utils.toy_tasks import SequenceTask, source_position

__all__ = ["additive_attention", "additive_scores", "alignment_examples", "alignment_offsets"]


def additive_scores(s, H, W_a, U_a, v_a) -> np.ndarray:
    """Scores ``e_j = v_aᵀ tanh(W_a s + U_a h_j)`` of one decoder state, one per h_j: (L,)."""
    s, H, W_a, U_a, v_a = additive_score_args(s, H, W_a, U_a, v_a)
    return np.tanh(W_a @ s + H @ U_a.T) @ v_a  # (A,) + (L, A) -> (L, A); @ (A,) -> (L,)


def additive_attention(s, H, W_a, U_a, v_a) -> tuple[np.ndarray, np.ndarray]:
    """``(context (d_h,), weights (L,))`` for one state: ``α = softmax(e)``, ``c = Σ_j α_j h_j``."""
    weights = softmax(additive_scores(s, H, W_a, U_a, v_a))  # (L,)
    return weights @ np.asarray(H, dtype=float), weights


def alignment_examples(
    model, task: SequenceTask, length: int, n_examples: int = 5, seed: int = 2015
) -> dict:
    """Greedy-decode ``n_examples`` fresh strings of ``length``: sources, outputs, targets, α."""
    length, n_examples, seed = alignment_example_args(model, task, length, n_examples, seed)
    src, tgt = SequenceTask(task.name, task.n_symbols, 1, length, seed).batch(n_examples, length)
    preds, weights = model.greedy(src, task.bos)
    return {
        "src": src.numpy(),  # (n, L)
        "tgt": tgt.numpy(),  # (n, L)
        "pred": preds.numpy(),  # (n, L)
        "weights": weights.numpy(),  # (n, L_out, L_src)
        "task": task.name,
    }


def alignment_offsets(weights, task_name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where attention falls relative to the position each output step must copy.

    ``weights`` is ``(n, L_out, L_src)`` with ``L_out = L_src = L``. Returns ``(offsets, mass,
    peak)``: ``offsets`` runs from ``-(L-1)`` to ``L-1``; ``mass[k]`` is the mean attention
    weight at source position ``ideal_i + offsets[k]``; ``peak`` is ``(n, L)``, the offset of
    each step's most-attended position (0 = exactly the position it must copy).
    """
    w = alignment_weights(weights, task_name)
    length = w.shape[1]
    ideal = source_position(task_name, length)  # (L,): the position step i must copy
    offsets = np.arange(-(length - 1), length)
    mass = np.zeros(offsets.size)
    steps = np.arange(length)
    for j in range(length):  # the weight on source position j, at its offset from each ideal
        np.add.at(mass, j - ideal + length - 1, w[:, steps, j].mean(axis=0))
    peak = w.argmax(axis=-1) - ideal[None, :]
    return offsets, mass / length, peak
