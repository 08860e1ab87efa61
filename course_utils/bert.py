"""BERT in miniature: a word tokenizer, masked-language-model masking, a tiny BERT, its training.

Shapes: B = batch, n = sequence length (with [CLS] and [SEP]), d = d_model, V = vocabulary.
Masks follow the course convention: True = real token / may attend.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from course_utils.transformer import TransformerBlock

__all__ = [
    "CHECKPOINT_CONFIG",
    "SPECIALS",
    "IGNORE",
    "Tokenizer",
    "mask_tokens",
    "TinyBert",
    "BertClassifier",
    "pretrain",
    "fill_mask",
    "load_pretrained",
    "masked_guesses",
    "masked_token_accuracy",
    "most_frequent_word",
    "train_classifier",
    "classifier_accuracy",
]

# The settings of the shipped checkpoint (tools/make_bert_checkpoint.py) and of the notebook.
CHECKPOINT_CONFIG = {
    "model": {"d_model": 64, "n_heads": 4, "n_layers": 2, "d_ff": 128, "max_len": 16,
              "dropout": 0.0, "norm_first": True},
    "train": {"batch_size": 64, "lr": 3e-3},
    "steps": 5000,
}

SPECIALS = ("[PAD]", "[CLS]", "[SEP]", "[MASK]", "[UNK]")
IGNORE = -100  # label of a position the loss skips (F.cross_entropy's ignore_index)


class Tokenizer:
    """Whole words to ids and back; ids 0–4 are [PAD] [CLS] [SEP] [MASK] [UNK]."""

    def __init__(self, sentences: Sequence[str]):
        words = sorted({w for s in sentences for w in s.split()} - set(SPECIALS))
        self.vocab = list(SPECIALS) + words
        self.ids = {w: i for i, w in enumerate(self.vocab)}
        self.pad_id, self.cls_id, self.sep_id, self.mask_id, self.unk_id = range(len(SPECIALS))
        self.n_special = len(SPECIALS)

    def __len__(self) -> int:
        return len(self.vocab)

    def unknown_words(self, sentence: str) -> list[str]:
        """The words of ``sentence`` that are not in the vocabulary."""
        return [w for w in sentence.split() if w not in self.ids]

    def encode(self, sentence: str) -> list[int]:
        """'the fox hides' -> [CLS] the fox hides [SEP] as ids (unknown words become [UNK])."""
        return [self.cls_id, *(self.ids.get(w, self.unk_id) for w in sentence.split()), self.sep_id]

    def decode(self, ids: Sequence[int]) -> list[str]:
        """Ids back to tokens."""
        return [self.vocab[int(i)] for i in ids]

    def batch(self, sentences: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Encode and pad: ids (B, n) and key_padding_mask (B, n), True = real token."""
        if isinstance(sentences, str) or len(sentences) == 0:
            raise ValueError("batch takes a non-empty list of sentences, e.g. ['the fox hides']")
        encoded = [self.encode(s) for s in sentences]
        n = max(len(e) for e in encoded)
        ids = torch.full((len(encoded), n), self.pad_id, dtype=torch.long)
        for b, e in enumerate(encoded):
            ids[b, : len(e)] = torch.tensor(e)
        return ids, ids != self.pad_id


def mask_tokens(ids: torch.Tensor, mask_id: int, vocab_size: int, n_special: int,
                p: float = 0.15, generator: torch.Generator | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's masking: choose each ordinary token with probability p; of those 80 % → [MASK],
    10 % → a random ordinary token, 10 % unchanged. Returns (inputs, labels), labels = IGNORE
    where nothing is to be predicted. Ids below ``n_special`` ([PAD], [CLS], ...) are never chosen.
    """
    if not torch.is_tensor(ids) or ids.dtype != torch.long:
        raise ValueError("ids must be a torch.long tensor of token ids (from Tokenizer.batch)")
    if not 0 < p < 1:
        raise ValueError(f"p is a probability between 0 and 1, got {p}")
    u = torch.rand(ids.shape, generator=generator)  # chooses the positions
    action = torch.rand(ids.shape, generator=generator)  # what to do with a chosen one
    chosen = (u < p) & (ids >= n_special)
    labels = torch.where(chosen, ids, torch.full_like(ids, IGNORE))
    random_ids = torch.randint(n_special, vocab_size, ids.shape, generator=generator)
    inputs = ids.clone()
    inputs[chosen & (action < 0.8)] = mask_id
    to_random = chosen & (action >= 0.8) & (action < 0.9)
    inputs[to_random] = random_ids[to_random]
    return inputs, labels  # the last 10 % of chosen positions keep their token


class TinyBert(nn.Module):
    """Token + position + segment embeddings, encoder blocks with GELU, an MLM head.

    ``norm_first=True`` (pre-LN) is the default: in a 5,000-step run with seed 0 it learned the
    nouns' topics (0.94 noun-topic accuracy) where post-LN, BERT's own choice
    (``norm_first=False``), reached only 0.35 (see course_utils/data/README.md).
    """

    def __init__(self, vocab_size: int, d_model: int = 64, n_heads: int = 4, n_layers: int = 2,
                 d_ff: int = 128, max_len: int = 16, dropout: float = 0.1, norm_first: bool = True):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model={d_model} must be divisible by n_heads={n_heads}")
        self.max_len = max_len
        self.tok = nn.Embedding(vocab_size, d_model)
        self.pos = nn.Embedding(max_len, d_model)  # learned positions, as in BERT
        self.seg = nn.Embedding(2, d_model)  # sentence A / B (we only use A)
        self.norm = nn.LayerNorm(d_model)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(
            TransformerBlock(d_model, n_heads, d_ff, dropout=dropout, norm_first=norm_first,
                             activation="gelu")
            for _ in range(n_layers)
        )
        # MLM head: transform, then score every word with the (tied) token embeddings.
        self.head = nn.Sequential(nn.Linear(d_model, d_model), nn.GELU(), nn.LayerNorm(d_model))
        self.out_bias = nn.Parameter(torch.zeros(vocab_size))
        for emb in (self.tok, self.pos, self.seg):
            nn.init.normal_(emb.weight, std=0.02)  # BERT's initialisation

    def forward(self, ids: torch.Tensor, key_padding_mask: torch.Tensor | None = None,
                attn_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Hidden states (B, n, d) for token ids (B, n)."""
        n = ids.shape[1]
        if n > self.max_len:
            raise ValueError(f"sequence of {n} tokens is longer than max_len={self.max_len}")
        positions = torch.arange(n)
        x = self.tok(ids) + self.pos(positions) + self.seg(torch.zeros_like(ids))
        x = self.drop(self.norm(x))  # (B, n, d)
        for block in self.blocks:
            x = block(x, attn_mask=attn_mask, key_padding_mask=key_padding_mask)
        return x

    def mlm_logits(self, ids: torch.Tensor, key_padding_mask: torch.Tensor | None = None
                   ) -> torch.Tensor:
        """Scores (B, n, V) for the word at every position."""
        h = self.head(self.forward(ids, key_padding_mask))
        return h @ self.tok.weight.T + self.out_bias

    def attention_maps(self) -> torch.Tensor:
        """The last forward pass's attention weights, (layers, B, heads, n, n)."""
        return torch.stack([block.attn_weights.detach() for block in self.blocks])


class BertClassifier(nn.Module):
    """A classification head on the [CLS] position of a TinyBert."""

    def __init__(self, bert: TinyBert, n_classes: int, dropout: float = 0.1):
        super().__init__()
        self.bert = bert
        d_model = bert.tok.embedding_dim
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(d_model, n_classes))

    def forward(self, ids: torch.Tensor, key_padding_mask: torch.Tensor | None = None
                ) -> torch.Tensor:
        """Class scores (B, n_classes)."""
        return self.head(self.bert(ids, key_padding_mask)[:, 0])  # the [CLS] position


def pretrain(model: TinyBert, tok: Tokenizer, sentences: Sequence[str], steps: int = 400,
             batch_size: int = 64, lr: float = 3e-3, seed: int = 0,
             after_step: Callable[[int], None] | None = None) -> list[float]:
    """Masked-language-model pre-training with AdamW; returns the loss of every step.

    ``after_step(step)``, if given, is called after each step (1, 2, …), e.g. to measure progress;
    it must leave the model in training mode.
    """
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    model.train()
    losses = []
    for _ in range(steps):
        rows = torch.randint(len(sentences), (batch_size,), generator=gen).tolist()
        ids, pad = tok.batch([sentences[i] for i in rows])
        inputs, labels = mask_tokens(ids, tok.mask_id, len(tok), tok.n_special, generator=gen)
        logits = model.mlm_logits(inputs, pad)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1),
                               ignore_index=IGNORE)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
        if after_step is not None:
            after_step(len(losses))
    model.eval()
    return losses


@torch.no_grad()
def fill_mask(model: TinyBert, tok: Tokenizer, sentence: str, k: int = 5
              ) -> list[tuple[str, float]]:
    """The k most likely words for the one [MASK] in ``sentence``, with their probabilities."""
    if not isinstance(sentence, str) or sentence.split().count("[MASK]") != 1:
        raise ValueError("write a sentence with exactly one [MASK], e.g. 'the cook eats the [MASK]'")
    unknown = [w for w in tok.unknown_words(sentence) if w != "[MASK]"]
    if unknown:
        raise ValueError(f"unknown word(s) {unknown}: the tiny BERT only knows the corpus's "
                         f"{len(tok) - tok.n_special} words, e.g. {', '.join(tok.vocab[5:10])}")
    if not 1 <= k <= len(tok) - tok.n_special:
        raise ValueError(f"k must be between 1 and {len(tok) - tok.n_special}, got {k}")
    model.eval()
    ids, pad = tok.batch([sentence])
    where = int((ids[0] == tok.mask_id).nonzero()[0, 0])
    logits = model.mlm_logits(ids, pad)[0, where]
    logits[: tok.n_special] = float("-inf")  # answer with words, not [PAD] or [MASK]
    probs = logits.softmax(-1)
    top = probs.topk(k)
    return [(tok.vocab[i], float(p)) for p, i in zip(top.values, top.indices, strict=True)]


@torch.no_grad()
def masked_guesses(model: TinyBert, tok: Tokenizer, sentences: Sequence[str],
                   only: set[str] | None = None) -> tuple[list[str], list[str]]:
    """Mask every word of every sentence in turn (or only the words in ``only``), one blank per
    copy of the sentence; return the hidden words and the model's top-1 guesses, in that order.
    Deterministic: no random masking."""
    model.eval()
    ids, pad = tok.batch(list(sentences))
    inputs, where, targets = [], [], []
    for b in range(ids.shape[0]):
        for j in range(1, int(pad[b].sum()) - 1):  # skip [CLS] and [SEP]
            if only is not None and tok.vocab[int(ids[b, j])] not in only:
                continue
            x = ids[b].clone()
            targets.append(int(x[j]))
            x[j] = tok.mask_id
            inputs.append(x)
            where.append(j)
    if not inputs:
        raise ValueError("no word of these sentences is in `only`: nothing to mask")
    x = torch.stack(inputs)  # (blanks, n)
    logits = model.mlm_logits(x, x != tok.pad_id)[torch.arange(len(where)), torch.tensor(where)]
    return tok.decode(targets), tok.decode(logits.argmax(-1))


def masked_token_accuracy(model: TinyBert, tok: Tokenizer, sentences: Sequence[str],
                          baseline_word: str = "the", only: set[str] | None = None
                          ) -> tuple[float, float]:
    """Mask every word of every sentence in turn (or only the words in ``only``); top-1 accuracy
    of the model and of always guessing ``baseline_word``. Deterministic: no random masking."""
    hidden, guesses = masked_guesses(model, tok, sentences, only)
    model_acc = sum(h == g for h, g in zip(hidden, guesses, strict=True)) / len(hidden)
    base_acc = sum(h == baseline_word for h in hidden) / len(hidden)
    return model_acc, base_acc


def train_classifier(clf: BertClassifier, tok: Tokenizer, pairs: Sequence[tuple[str, int]],
                     epochs: int = 30, batch_size: int = 16, lr: float = 1e-3, seed: int = 0
                     ) -> list[float]:
    """Fine-tune (or train from scratch) on labelled ``(sentence, class)`` pairs; returns losses."""
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(clf.parameters(), lr=lr, weight_decay=0.01)
    clf.train()
    losses = []
    for _ in range(epochs):
        order = torch.randperm(len(pairs), generator=gen).tolist()
        for start in range(0, len(pairs), batch_size):
            chunk = [pairs[i] for i in order[start : start + batch_size]]
            ids, pad = tok.batch([s for s, _ in chunk])
            loss = F.cross_entropy(clf(ids, pad), torch.tensor([c for _, c in chunk]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    clf.eval()
    return losses


@torch.no_grad()
def classifier_accuracy(clf: BertClassifier, tok: Tokenizer, pairs: Sequence[tuple[str, int]]
                        ) -> float:
    """Fraction of ``(sentence, class)`` pairs the classifier gets right."""
    clf.eval()
    ids, pad = tok.batch([s for s, _ in pairs])
    predicted = clf(ids, pad).argmax(-1)
    return (predicted == torch.tensor([c for _, c in pairs])).float().mean().item()


def load_pretrained(path: str | None = None) -> TinyBert:
    """The shipped checkpoint (made by tools/make_bert_checkpoint.py), loaded with weights_only=True."""
    from importlib import resources

    from course_utils.corpus import load_corpus

    source = resources.files("course_utils").joinpath("data", "tiny_bert.pt") if path is None else path
    tok = Tokenizer(load_corpus()[0])
    model = TinyBert(len(tok), **CHECKPOINT_CONFIG["model"])
    with resources.as_file(source) if path is None else open(path, "rb") as f:
        state = torch.load(f, weights_only=True)
    model.load_state_dict(state)
    return model.eval()


def most_frequent_word(sentences: Sequence[str], only: set[str] | None = None) -> str:
    """The most frequent word of a corpus (or of its words in ``only``): the baseline's guess."""
    counts = Counter(w for s in sentences for w in s.split() if only is None or w in only)
    if not counts:
        raise ValueError("no word of these sentences is in `only`")
    return counts.most_common(1)[0][0]
