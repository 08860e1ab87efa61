"""RNN encoder–decoders with and without Bahdanau (additive) attention, trained on toy tasks.

Shapes: ``B`` batch, ``L`` source length (= target length in the toy tasks), ``E`` embedding
size, ``H`` encoder hidden size per direction (annotations are ``2H``), ``S`` decoder
state size, ``A`` attention size.

Both models share everything except how the decoder sees the source:

- ``baseline`` (Cho et al. 2014, "RNNencdec"): one fixed vector ``c`` (the encoder's final
  states) is fed to the decoder at every step — the bottleneck;
- ``attention`` (Bahdanau et al. 2014, "RNNsearch"): at step ``i`` the decoder scores every
  annotation, ``e_ij = v_aᵀ tanh(W_a s_{i-1} + U_a h_j)``, turns the scores into weights
  ``α_ij = softmax_j(e_ij)`` and reads ``c_i = Σ_j α_ij h_j``.

The decoder runs for exactly ``L`` steps (the toy tasks know their output length), so no
end-of-sequence token is needed.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from course_utils.toy_tasks import SequenceTask, source_position

__all__ = [
    "AdditiveAttention",
    "Encoder",
    "LengthReport",
    "ProgressBar",
    "Seq2Seq",
    "additive_attention",
    "additive_scores",
    "alignment_offsets",
    "count_parameters",
    "evaluate_by_length",
    "make_model",
    "train",
]


# --------------------------------------------------------------------------------------
# The additive score in numpy, for the first look (and the exercise's reference)
# --------------------------------------------------------------------------------------
def additive_scores(s, H, W_a, U_a, v_a) -> np.ndarray:
    """Scores ``e_j = v_aᵀ tanh(W_a s + U_a h_j)`` of one decoder state against every annotation.

    ``s`` is ``(S,)``, ``H`` is ``(L, 2H)`` (one annotation per row), ``W_a`` is ``(A, S)``,
    ``U_a`` is ``(A, 2H)``, ``v_a`` is ``(A,)``; the result is ``(L,)``.
    """
    s, H, W_a, U_a, v_a = (np.asarray(a, dtype=float) for a in (s, H, W_a, U_a, v_a))
    if s.ndim != 1 or H.ndim != 2 or W_a.ndim != 2 or U_a.ndim != 2 or v_a.ndim != 1:
        raise ValueError(
            "expected s (S,), H (L, d_h), W_a (A, S), U_a (A, d_h), v_a (A,); got shapes "
            f"{s.shape}, {H.shape}, {W_a.shape}, {U_a.shape}, {v_a.shape}"
        )
    if W_a.shape[1] != s.shape[0]:
        raise ValueError(
            f"W_a has {W_a.shape[1]} columns but s has {s.shape[0]} entries: W_a @ s needs them equal"
        )
    if U_a.shape[1] != H.shape[1]:
        raise ValueError(
            f"U_a has {U_a.shape[1]} columns but each annotation has {H.shape[1]}: they must match"
        )
    if not W_a.shape[0] == U_a.shape[0] == v_a.shape[0]:
        raise ValueError(
            f"W_a, U_a and v_a must share the attention size A; got {W_a.shape[0]}, {U_a.shape[0]}, {v_a.shape[0]}"
        )
    return np.tanh(W_a @ s + H @ U_a.T) @ v_a  # (L, A) @ (A,) -> (L,)


def additive_attention(s, H, W_a, U_a, v_a) -> tuple[np.ndarray, np.ndarray]:
    """``(context, weights)`` for one decoder state: ``α = softmax(e)``, ``c = Σ_j α_j h_j``."""
    e = additive_scores(s, H, W_a, U_a, v_a)
    weights = np.exp(e - e.max())
    weights /= weights.sum()
    return weights @ np.asarray(H, dtype=float), weights


# --------------------------------------------------------------------------------------
# The models
# --------------------------------------------------------------------------------------
class AdditiveAttention(nn.Module):
    """Bahdanau's alignment model: ``e_ij = v_aᵀ tanh(W_a s_{i-1} + U_a h_j)``, softmax over j."""

    def __init__(self, query_dim: int, key_dim: int, attn_dim: int):
        super().__init__()
        self.W_a = nn.Linear(query_dim, attn_dim, bias=False)
        self.U_a = nn.Linear(key_dim, attn_dim, bias=False)
        self.v_a = nn.Linear(attn_dim, 1, bias=False)

    def project_keys(self, annotations: torch.Tensor) -> torch.Tensor:
        """``U_a h_j`` for every annotation, ``(B, L, A)``: it does not depend on the step, so compute it once."""
        return self.U_a(annotations)

    def forward(
        self, query: torch.Tensor, annotations: torch.Tensor, projected: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(context (B, 2H), weights (B, L))`` for decoder states ``query`` ``(B, S)``."""
        if projected is None:
            projected = self.project_keys(annotations)
        scores = self.v_a(torch.tanh(self.W_a(query)[:, None, :] + projected)).squeeze(-1)  # (B, L)
        weights = torch.softmax(scores, dim=-1)
        context = torch.bmm(weights[:, None, :], annotations).squeeze(1)  # (B, 2H)
        return context, weights


class Encoder(nn.Module):
    """Embedding + bidirectional GRU: annotations ``h_j = [→h_j; ←h_j]`` and a summary vector."""

    def __init__(self, vocab_size: int, emb_dim: int, hidden: int):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, emb_dim)
        self.rnn = nn.GRU(emb_dim, hidden, batch_first=True, bidirectional=True)

    def forward(self, src: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(annotations (B, L, 2H), summary (B, 2H))``; the summary is both directions' final state."""
        annotations, last = self.rnn(self.embed(src))  # last: (2, B, H)
        return annotations, torch.cat([last[0], last[1]], dim=-1)


class Seq2Seq(nn.Module):
    """A GRU encoder–decoder; ``attention=True`` makes it Bahdanau's RNNsearch, else RNNencdec."""

    def __init__(
        self,
        vocab_size: int,
        n_outputs: int,
        emb_dim: int = 16,
        enc_hidden: int = 32,
        dec_hidden: int = 64,
        attention: bool = True,
        attn_dim: int = 32,
    ):
        super().__init__()
        d_ctx = 2 * enc_hidden
        self.uses_attention = bool(attention)
        self.encoder = Encoder(vocab_size, emb_dim, enc_hidden)
        self.embed = nn.Embedding(vocab_size, emb_dim)  # decoder's own embedding of y_{i-1}
        self.init_state = nn.Linear(d_ctx, dec_hidden)  # s_0 = tanh(W_s · summary)
        self.cell = nn.GRUCell(emb_dim + d_ctx, dec_hidden)  # s_i = GRU([y_{i-1}; c_i], s_{i-1})
        self.readout = nn.Linear(
            dec_hidden + d_ctx + emb_dim, n_outputs
        )  # p(y_i | s_i, c_i, y_{i-1})
        self.attention = AdditiveAttention(dec_hidden, d_ctx, attn_dim) if attention else None

    @property
    def kind(self) -> str:
        return "attention" if self.uses_attention else "baseline"

    def _step(self, y_prev, s, annotations, projected, summary):
        """One decoder step: returns ``(logits (B, V), new state (B, S), weights (B, L) or None)``."""
        emb = self.embed(y_prev)  # (B, E)
        if self.attention is not None:
            context, weights = self.attention(s, annotations, projected)  # query is s_{i-1}
        else:
            context, weights = summary, None  # the same fixed vector at every step
        s = self.cell(torch.cat([emb, context], dim=-1), s)
        logits = self.readout(torch.cat([s, context, emb], dim=-1))
        return logits, s, weights

    def _start(self, src):
        annotations, summary = self.encoder(src)
        s = torch.tanh(self.init_state(summary))
        projected = self.attention.project_keys(annotations) if self.attention is not None else None
        return annotations, summary, s, projected

    def forward(
        self, src: torch.Tensor, tgt_in: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Teacher forcing: ``tgt_in`` ``(B, T)`` holds y_{i-1} (BOS first); returns logits ``(B, T, V)`` and weights."""
        annotations, summary, s, projected = self._start(src)
        logits, weights = [], []
        for i in range(tgt_in.shape[1]):
            step_logits, s, w = self._step(tgt_in[:, i], s, annotations, projected, summary)
            logits.append(step_logits)
            weights.append(w)
        stacked = torch.stack(weights, dim=1) if self.attention is not None else None  # (B, T, L)
        return torch.stack(logits, dim=1), stacked

    @torch.no_grad()
    def greedy(
        self, src: torch.Tensor, bos: int, length: int | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Decode without looking at the answer: ``(predictions (B, T), weights (B, T, L) or None)``."""
        length = src.shape[1] if length is None else length
        annotations, summary, s, projected = self._start(src)
        y = torch.full((src.shape[0],), bos, dtype=torch.long)
        preds, weights = [], []
        for _ in range(length):
            logits, s, w = self._step(y, s, annotations, projected, summary)
            y = logits.argmax(-1)
            preds.append(y)
            weights.append(w)
        stacked = torch.stack(weights, dim=1) if self.attention is not None else None
        return torch.stack(preds, dim=1), stacked


def count_parameters(model: nn.Module) -> int:
    """Number of trainable numbers in a model."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def make_model(
    kind: str,
    task: SequenceTask,
    seed: int = 0,
    emb_dim: int = 16,
    enc_hidden: int = 32,
    dec_hidden: int = 64,
    attn_dim: int = 32,
) -> Seq2Seq:
    """Build ``"baseline"`` (no attention) or ``"attention"`` for ``task``, its weights seeded by ``seed``."""
    if kind not in ("baseline", "attention"):
        raise ValueError(f"kind must be 'baseline' (no attention) or 'attention', got {kind!r}")
    if not isinstance(task, SequenceTask):
        raise TypeError(f"task must be a SequenceTask, got {type(task).__name__}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        return Seq2Seq(
            task.vocab_size,
            task.n_symbols,
            emb_dim=emb_dim,
            enc_hidden=enc_hidden,
            dec_hidden=dec_hidden,
            attention=kind == "attention",
            attn_dim=attn_dim,
        )


# --------------------------------------------------------------------------------------
# Training and evaluation
# --------------------------------------------------------------------------------------
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
    if not isinstance(model, Seq2Seq):
        raise TypeError(f"model must be a Seq2Seq (see make_model), got {type(model).__name__}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive whole number, got {steps!r}")
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
        """The longest length up to which the per-token accuracy is ≥ ``threshold`` at every length (0 if none)."""
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
    """Greedy-decode ``n_per_length`` fresh examples at each length; per-token and whole-sequence accuracy.

    The examples come from a copy of ``task`` seeded with ``seed``, so both models are
    tested on the very same strings and training's random stream is not touched.
    """
    if not isinstance(model, Seq2Seq):
        raise TypeError(f"model must be a Seq2Seq (see make_model), got {type(model).__name__}")
    lengths = [int(n) for n in lengths]
    if not lengths or min(lengths) < 1:
        raise ValueError(f"lengths must be a non-empty list of positive lengths, got {lengths!r}")
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


def alignment_offsets(weights, task_name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where attention falls relative to the position each output step must copy.

    ``weights`` is ``(n, L_out, L_src)`` with ``L_out = L_src = L``. Returns ``(offsets, mass,
    peak)``: ``offsets`` runs from ``-(L-1)`` to ``L-1``; ``mass[k]`` is the mean attention
    weight at source position ``ideal_i + offsets[k]``; ``peak`` is ``(n, L)``, the offset of
    each step's most-attended position (0 = exactly the position it must copy).
    """
    w = (
        weights.detach().cpu().numpy()
        if isinstance(weights, torch.Tensor)
        else np.asarray(weights, dtype=float)
    )
    if w.ndim != 3 or w.shape[1] != w.shape[2]:
        raise ValueError(
            f"weights must have shape (n, L, L) (examples, output steps, source positions); got {w.shape}"
        )
    length = w.shape[1]
    ideal = source_position(task_name, length)  # (L,)
    offsets = np.arange(-(length - 1), length)
    mass = np.zeros(offsets.size)
    steps = np.arange(length)
    for j in range(
        length
    ):  # add the weight on source position j to its offset from each step's ideal
        np.add.at(mass, j - ideal + length - 1, w[:, steps, j].mean(axis=0))
    peak = w.argmax(axis=-1) - ideal[None, :]
    return offsets, mass / length, peak
