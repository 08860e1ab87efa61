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
import torch

from course_utils._validate import float_array, instance_of, one_of, require, size
from course_utils._validate import seed as valid_seed
from course_utils.attention import softmax
from course_utils.toy_tasks import TASKS, SequenceTask, source_position

__all__ = ["additive_attention", "additive_scores", "alignment_examples", "alignment_offsets"]


def _score_args(s, H, W_a, U_a, v_a):
    """The five arrays as float arrays, with a message naming the first shape that does not fit."""
    s, v_a = float_array(s, "s", ndim=1), float_array(v_a, "v_a", ndim=1)
    H, W_a, U_a = (float_array(a, n, ndim=2) for a, n in ((H, "H"), (W_a, "W_a"), (U_a, "U_a")))
    require(
        W_a.shape[1] == s.shape[0],
        f"W_a has {W_a.shape[1]} columns but s has {s.shape[0]} entries: W_a @ s needs them equal",
    )
    require(
        U_a.shape[1] == H.shape[1],
        f"each annotation (row of H) has {H.shape[1]} numbers but U_a has {U_a.shape[1]} "
        "columns: U_a @ h_j needs them equal (H is (L, d_h), U_a is (A, d_h))",
    )
    require(
        W_a.shape[0] == U_a.shape[0] == v_a.shape[0],
        "W_a, U_a and v_a must share the attention size A; got "
        f"{W_a.shape[0]}, {U_a.shape[0]}, {v_a.shape[0]}",
    )
    return s, H, W_a, U_a, v_a


def additive_scores(s, H, W_a, U_a, v_a) -> np.ndarray:
    """Scores ``e_j = v_aᵀ tanh(W_a s + U_a h_j)`` of one decoder state, one per h_j: (L,)."""
    s, H, W_a, U_a, v_a = _score_args(s, H, W_a, U_a, v_a)
    return np.tanh(W_a @ s + H @ U_a.T) @ v_a  # (A,) + (L, A) -> (L, A); @ (A,) -> (L,)


def additive_attention(s, H, W_a, U_a, v_a) -> tuple[np.ndarray, np.ndarray]:
    """``(context (d_h,), weights (L,))`` for one state: ``α = softmax(e)``, ``c = Σ_j α_j h_j``."""
    weights = softmax(additive_scores(s, H, W_a, U_a, v_a))  # (L,)
    return weights @ np.asarray(H, dtype=float), weights


def alignment_examples(
    model, task: SequenceTask, length: int, n_examples: int = 5, seed: int = 2015
) -> dict:
    """Greedy-decode ``n_examples`` fresh strings of ``length``: sources, outputs, targets, α."""
    length, n_examples, seed = _example_args(model, task, length, n_examples, seed)
    src, tgt = SequenceTask(task.name, task.n_symbols, 1, length, seed).batch(n_examples, length)
    preds, weights = model.greedy(src, task.bos)
    return {
        "src": src.numpy(),  # (n, L)
        "tgt": tgt.numpy(),  # (n, L)
        "pred": preds.numpy(),  # (n, L)
        "weights": weights.numpy(),  # (n, L_out, L_src)
        "task": task.name,
    }


def _example_args(model, task, length, n_examples, seed):
    """``alignment_examples``' arguments, checked."""
    require(
        getattr(model, "attention", None) is not None and hasattr(model, "greedy"),
        "this model has no attention to explore: build it with make_model('attention', task)",
    )
    instance_of(task, "task", SequenceTask, "Pass the task the model was trained on.")
    return size(length, "length", 1000), size(n_examples, "n_examples", 1000), valid_seed(seed)


def alignment_offsets(weights, task_name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where attention falls relative to the position each output step must copy.

    ``weights`` is ``(n, L_out, L_src)`` with ``L_out = L_src = L``. Returns ``(offsets, mass,
    peak)``: ``offsets`` runs from ``-(L-1)`` to ``L-1``; ``mass[k]`` is the mean attention
    weight at source position ``ideal_i + offsets[k]``; ``peak`` is ``(n, L)``, the offset of
    each step's most-attended position (0 = exactly the position it must copy).
    """
    one_of(task_name, "task_name", TASKS)
    w = float_array(weights.detach() if isinstance(weights, torch.Tensor) else weights, "weights")
    require(
        w.ndim == 3 and w.shape[1] == w.shape[2],
        "weights must have shape (n, L, L) (examples, output steps, source positions); "
        f"got {w.shape}",
    )
    length = w.shape[1]
    ideal = source_position(task_name, length)  # (L,): the position step i must copy
    offsets = np.arange(-(length - 1), length)
    mass = np.zeros(offsets.size)
    steps = np.arange(length)
    for j in range(length):  # the weight on source position j, at its offset from each ideal
        np.add.at(mass, j - ideal + length - 1, w[:, steps, j].mean(axis=0))
    peak = w.argmax(axis=-1) - ideal[None, :]
    return offsets, mass / length, peak
