"""Training and evaluation of the encoder–decoders (notebooks 01 and 02).

- ``train``: teacher forcing with Adam, a half-cosine learning-rate decay and gradient
  clipping, on batches of mixed lengths; a one-line ``ProgressBar`` shows how it goes;
- ``evaluate_by_length``: greedy decoding of fresh strings at each length, per-token and
  whole-sequence accuracy, as a ``LengthReport``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from course_utils._validate import evaluation_args, training_args
from course_utils.seq2seq import Seq2Seq
from course_utils.toy_tasks import SequenceTask

__all__ = ["LengthReport", "ProgressBar", "evaluate_by_length", "train"]


class ProgressBar:
    """A one-line text progress bar that redraws itself with ``\\r``.

    It ends by overwriting itself with a fixed summary (no numbers that vary), so even a
    checked notebook cell stores the same text on every machine; nbval keeps only what
    follows the last ``\\r`` of a line.
    """

    def __init__(
        self,
        total: int,
        label: str = "training",
        width: int = 30,
        every: int | None = None,
        stream=None,
    ):
        self.total, self.label, self.width = total, label, width
        self.every = max(1, every if every is not None else total // 20)
        self.stream = stream if stream is not None else sys.stdout

    def _bar(self, done: int) -> str:
        filled = int(self.width * done / max(self.total, 1))
        return "█" * filled + "·" * (self.width - filled)

    def update(self, step: int, loss: float) -> None:
        if step % self.every == 0 or step == self.total:
            self.stream.write(
                f"\r{self.label}: {self._bar(step)} {step}/{self.total}  loss {loss:.3f}"
            )
            self.stream.flush()

    def close(self) -> None:
        line = f"{self.label}: {self._bar(self.total)} {self.total}/{self.total} steps, done"
        self.stream.write("\r" + line + " " * 12 + "\r" + line + "\n")
        self.stream.flush()


def train(
    model: Seq2Seq,
    task: SequenceTask,
    steps: int = 500,
    batch_size: int = 128,
    lr: float = 0.02,
    clip: float = 1.0,
    decay: bool = True,
    progress: bool = True,
    label: str | None = None,
) -> np.ndarray:
    """Train with teacher forcing and Adam on batches of mixed lengths; return the loss per step.

    With ``decay`` the learning rate falls from ``lr`` to 0 along a half cosine, which lets a
    short run settle instead of bouncing around the minimum.

    Deterministic: batches come from ``task``'s own generator, there is no dropout, and the
    model's initial weights were seeded by ``make_model``.
    """
    steps, batch_size, lr, clip, decay, progress = training_args(
        model, task, steps, batch_size, lr, clip, decay, progress, label
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps) if decay else None
    loss_fn = nn.CrossEntropyLoss()
    bar = ProgressBar(steps, label or model.kind) if progress else None
    losses = np.zeros(steps)
    model.train()
    for step in range(1, steps + 1):
        src, tgt = task.batch(batch_size)
        tgt_in = torch.cat([torch.full_like(tgt[:, :1], task.bos), tgt[:, :-1]], dim=1)  # y_{i-1}
        logits, _ = model(src, tgt_in)
        loss = loss_fn(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        if schedule is not None:
            schedule.step()
        losses[step - 1] = loss.item()
        if bar:
            bar.update(step, losses[step - 1])
    if bar:
        bar.close()
    model.eval()
    return losses


@dataclass
class LengthReport:
    """Accuracy of greedy decoding at each source length."""

    lengths: np.ndarray  # (n_lengths,)
    token_accuracy: np.ndarray  # fraction of output tokens right
    sequence_accuracy: np.ndarray  # fraction of outputs right in every token
    label: str = ""

    def at(self, length: int) -> float:
        """Per-token accuracy at one length."""
        hits = np.flatnonzero(self.lengths == length)
        if hits.size == 0:
            raise KeyError(f"length {length} was not evaluated; evaluated: {self.lengths.tolist()}")
        return float(self.token_accuracy[hits[0]])

    def longest_good_length(self, threshold: float = 0.9) -> int:
        """The longest length up to which per-token accuracy is ≥ ``threshold`` (0 if none)."""
        good = 0
        for length, acc in zip(self.lengths, self.token_accuracy, strict=True):
            if acc < threshold:
                break
            good = int(length)
        return good

    def table(self) -> str:
        """The report as aligned text (rounded, so it prints the same everywhere)."""
        rows = [f"{'length':>6}  {'per-token':>9}  {'whole sequence':>14}"]
        for length, tok, seq in zip(
            self.lengths, self.token_accuracy, self.sequence_accuracy, strict=True
        ):
            rows.append(f"{int(length):>6}  {tok:>9.2f}  {seq:>14.2f}")
        return "\n".join(rows)


def evaluate_by_length(
    model: Seq2Seq,
    task: SequenceTask,
    lengths: Sequence[int],
    n_per_length: int = 200,
    seed: int = 12345,
) -> LengthReport:
    """Greedy-decode ``n_per_length`` fresh strings per length: per-token and whole-string accuracy.

    The examples come from a copy of ``task`` seeded with ``seed``, so both models are
    tested on the very same strings and training's random stream is not touched.
    """
    lengths, n_per_length, seed = evaluation_args(model, task, lengths, n_per_length, seed)
    test_task = SequenceTask(task.name, task.n_symbols, 1, max(lengths), seed)
    token_acc, seq_acc = [], []
    model.eval()
    for length in lengths:
        src, tgt = test_task.batch(n_per_length, length)
        preds, _ = model.greedy(src, task.bos)
        correct = preds == tgt  # (n, L)
        token_acc.append(correct.float().mean().item())
        seq_acc.append(correct.all(dim=1).float().mean().item())
    return LengthReport(np.array(lengths), np.array(token_acc), np.array(seq_acc), model.kind)
