"""RNN encoder–decoders with and without Bahdanau (additive) attention (notebooks 01 and 02).

Shapes: ``B`` batch, ``L`` source length (= target length in the toy tasks), ``E`` embedding
size, ``H`` encoder hidden size per direction (annotations are ``2H``), ``S`` decoder
state size, ``A`` attention size, ``V`` output vocabulary.

Both models share everything except one line of the decoder step (``Seq2Seq.step``):

- without attention (Cho et al. 2014, "RNNencdec"): ``context = summary``, the same fixed
  vector ``c`` at every step: the bottleneck;
- with attention (Bahdanau et al. 2014, "RNNsearch"): ``context, weights = attention(s, h)``,
  a fresh ``c_i = Σ_j α_ij h_j`` re-read from every annotation with the state ``s_{i-1}``.

The decoder runs for exactly ``L`` steps (the toy tasks know their output length), so no
end-of-sequence token is needed. Training and evaluation live in ``course_utils.training``.
"""

from __future__ import annotations

import torch
from torch import nn

from course_utils._validate import instance_of, model_args, positive_int
from course_utils._validate import seed as valid_seed
from course_utils.toy_tasks import SequenceTask

__all__ = ["AdditiveAttention", "Encoder", "Seq2Seq", "count_parameters", "make_model"]


class AdditiveAttention(nn.Module):
    """Bahdanau's alignment model: ``e_ij = v_aᵀ tanh(W_a s_{i-1} + U_a h_j)``, softmax over j."""

    def __init__(self, query_dim: int, key_dim: int, attn_dim: int):
        super().__init__()
        self.W_a = nn.Linear(query_dim, attn_dim, bias=False)
        self.U_a = nn.Linear(key_dim, attn_dim, bias=False)
        self.v_a = nn.Linear(attn_dim, 1, bias=False)

    def project_keys(self, annotations: torch.Tensor) -> torch.Tensor:
        """``U_a h_j`` for every annotation, (B, L, A): the same at every step, so computed once."""
        return self.U_a(annotations)

    def forward(
        self, query: torch.Tensor, annotations: torch.Tensor, projected: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(context (B, 2H), weights (B, L))`` for decoder states ``query`` ``(B, S)``."""
        if projected is None:
            projected = self.project_keys(annotations)  # (B, L, A)
        scores = self.v_a(torch.tanh(self.W_a(query)[:, None, :] + projected)).squeeze(-1)  # (B, L)
        weights = torch.softmax(scores, dim=-1)  # (B, L), each row sums to 1
        context = torch.bmm(weights[:, None, :], annotations).squeeze(1)  # (B, 2H)
        return context, weights


class Encoder(nn.Module):
    """Embedding + bidirectional GRU: annotations ``h_j = [→h_j; ←h_j]`` and a summary vector."""

    def __init__(self, vocab_size: int, emb_dim: int, hidden: int):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, emb_dim)
        self.rnn = nn.GRU(emb_dim, hidden, batch_first=True, bidirectional=True)

    def forward(self, src: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(annotations (B, L, 2H), summary (B, 2H))``; the summary is both final states."""
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
        """``"attention"`` or ``"baseline"`` (no attention)."""
        return "baseline" if self.attention is None else "attention"

    def start(self, src: torch.Tensor):
        """Encode ``src`` (B, L): (annotations (B, L, 2H), summary (B, 2H), s_0 (B, S), U_a h)."""
        annotations, summary = self.encoder(src)
        s = torch.tanh(self.init_state(summary))  # s_0
        projected = None if self.attention is None else self.attention.project_keys(annotations)
        return annotations, summary, s, projected

    def step(self, y_prev, s, annotations, summary, projected=None):
        """One decoder step: ``(logits (B, V), new state s_i (B, S), weights (B, L) or None)``.

        Notebooks 01 and 02 write this step out; the one line that differs is the context.
        """
        emb = self.embed(y_prev)  # (B, E): the token written last, y_{i-1}
        if self.attention is None:
            context, weights = summary, None  # the bottleneck: the same fixed vector every step
        else:
            context, weights = self.attention(s, annotations, projected)  # the cure: re-read h_j
        s = self.cell(torch.cat([emb, context], dim=-1), s)  # (B, S)
        logits = self.readout(torch.cat([s, context, emb], dim=-1))  # (B, V)
        return logits, s, weights

    def forward(
        self, src: torch.Tensor, tgt_in: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Teacher forcing: ``tgt_in`` (B, T) holds y_{i-1}, BOS first; (logits (B, T, V), α)."""
        annotations, summary, s, projected = self.start(src)
        logits, weights = [], []
        for i in range(tgt_in.shape[1]):
            step_logits, s, w = self.step(tgt_in[:, i], s, annotations, summary, projected)
            logits.append(step_logits)
            weights.append(w)
        stacked = None if self.attention is None else torch.stack(weights, dim=1)  # (B, T, L)
        return torch.stack(logits, dim=1), stacked

    @torch.no_grad()
    def greedy(
        self, src: torch.Tensor, bos: int, length: int | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Decode without the answer: (predictions (B, T), weights (B, T, L) or None)."""
        length = src.shape[1] if length is None else positive_int(length, "length")
        annotations, summary, s, projected = self.start(src)
        y = torch.full((src.shape[0],), bos, dtype=torch.long)  # (B,): start with BOS
        preds, weights = [], []
        for _ in range(length):
            logits, s, w = self.step(y, s, annotations, summary, projected)
            y = logits.argmax(-1)  # its own best guess is the next input
            preds.append(y)
            weights.append(w)
        stacked = None if self.attention is None else torch.stack(weights, dim=1)
        return torch.stack(preds, dim=1), stacked


def count_parameters(model: nn.Module) -> int:
    """Number of trainable numbers in a model."""
    instance_of(model, "model", nn.Module, "Pass the model itself, e.g. make_model(...).")
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def make_model(kind: str, task: SequenceTask, seed: int = 0, **sizes: int) -> Seq2Seq:
    """Build ``"baseline"`` (no attention) or ``"attention"`` for ``task``, seeded by ``seed``.

    ``sizes`` (``emb_dim``, ``enc_hidden``, ``dec_hidden``, ``attn_dim``) override the
    defaults of ``Seq2Seq``.
    """
    sizes = model_args(kind, task, sizes)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(valid_seed(seed))
        return Seq2Seq(task.vocab_size, task.n_symbols, attention=kind == "attention", **sizes)
