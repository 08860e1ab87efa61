"""BERT in miniature (notebook 08): masking, the tiny BERT, pre-training, fine-tuning, probes.

The sections follow the notebook: a word tokenizer; BERT's 15 % / 80-10-10 masking; the model
(06's ``TransformerBlock`` with embeddings and a masked-LM head); pre-training and fine-tuning;
probes of a trained model; loading the shipped checkpoint.

Shapes: B = batch, n = sequence length (with [CLS] and [SEP]), d = d_model, V = vocabulary.
Masks follow the course convention: True = real token / may attend.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from importlib import resources

import torch
import torch.nn.functional as F
from torch import nn

from course_utils import _validate as v
from course_utils.corpus import load_corpus
from course_utils.transformer import TransformerBlock

__all__ = [
    "IGNORE",
    "SPECIALS",
    "BertClassifier",
    "TinyBert",
    "Tokenizer",
    "classifier_accuracy",
    "fill_mask",
    "load_pretrained",
    "mask_tokens",
    "masked_guesses",
    "masked_token_accuracy",
    "most_frequent_word",
    "pretrain",
    "train_classifier",
]

SPECIALS = ("[PAD]", "[CLS]", "[SEP]", "[MASK]", "[UNK]")
IGNORE = -100  # label of a position the loss skips (F.cross_entropy's default ignore_index)


# ----------------------------------------------------------------------------- tokenizer
class Tokenizer:
    """Whole words to ids and back; ids 0–4 are [PAD] [CLS] [SEP] [MASK] [UNK]."""

    def __init__(self, sentences: Sequence[str]):
        sentences = v.strings(sentences, "sentences")
        words = sorted({w for s in sentences for w in s.split()} - set(SPECIALS))
        self.vocab = list(SPECIALS) + words
        self.ids = {w: i for i, w in enumerate(self.vocab)}
        self.pad_id, self.cls_id, self.sep_id, self.mask_id, self.unk_id = range(len(SPECIALS))
        self.n_special = len(SPECIALS)

    def __len__(self) -> int:
        return len(self.vocab)

    def unknown_words(self, sentence: str) -> list[str]:
        """The words of ``sentence`` that are not in the vocabulary."""
        return [w for w in v.bert_sentence(sentence, "sentence").split() if w not in self.ids]

    def encode(self, sentence: str) -> list[int]:
        """'the fox hides' -> [CLS] the fox hides [SEP] as ids (unknown words become [UNK])."""
        words = v.bert_sentence(sentence, "sentence").split()
        return [self.cls_id, *(self.ids.get(w, self.unk_id) for w in words), self.sep_id]

    def decode(self, ids: Sequence[int]) -> list[str]:
        """Ids back to tokens."""
        return [self.vocab[int(i)] for i in v.token_ids(ids, "ids", len(self), ndim=1)]

    def batch(self, sentences: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Encode and pad: ids (B, n) and key_padding_mask (B, n), True = real token."""
        encoded = [self.encode(s) for s in v.strings(sentences, "sentences")]
        n = max(len(e) for e in encoded)
        ids = torch.full((len(encoded), n), self.pad_id, dtype=torch.long)
        for b, e in enumerate(encoded):
            ids[b, : len(e)] = torch.tensor(e)
        return ids, ids != self.pad_id


# ----------------------------------------------------------------------------- masking
def mask_tokens(
    ids: torch.Tensor,
    mask_id: int,
    vocab_size: int,
    n_special: int,
    p: float = 0.15,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's masking: choose each ordinary token with probability p; of those 80 % → [MASK],
    10 % → a random ordinary token, 10 % unchanged. Returns (inputs, labels), labels = IGNORE
    where nothing is to be predicted. Ids below ``n_special`` ([PAD], [CLS], ...) are never chosen.
    """
    ids, p = v.bert_masking(ids, mask_id, vocab_size, n_special, p)
    u = torch.rand(ids.shape, generator=generator)  # (B, n): chooses the positions
    action = torch.rand(ids.shape, generator=generator)  # (B, n): what to do with a chosen one
    chosen = (u < p) & (ids >= n_special)
    labels = torch.where(chosen, ids, torch.full_like(ids, IGNORE))  # predict the original
    random_ids = torch.randint(n_special, vocab_size, ids.shape, generator=generator)
    inputs = ids.clone()
    inputs[chosen & (action < 0.8)] = mask_id
    to_random = chosen & (action >= 0.8) & (action < 0.9)
    inputs[to_random] = random_ids[to_random]
    return inputs, labels  # the last 10 % of chosen positions keep their token


# ----------------------------------------------------------------------------- the model
class TinyBert(nn.Module):
    """Token + position + segment embeddings, 06's encoder blocks with GELU, a masked-LM head.

    The defaults are the architecture of the shipped checkpoint (``load_pretrained``).
    ``norm_first=True`` puts each LayerNorm before its sub-layer (pre-LN); ``False`` is BERT's
    own post-LN (see ``course_utils/data/README.md`` for how the two trained here).
    """

    def __init__(
        self,
        vocab_size: int,
        d_model: int = 64,
        n_heads: int = 4,
        n_layers: int = 2,
        d_ff: int = 128,
        max_len: int = 16,
        dropout: float = 0.0,
        norm_first: bool = True,
    ):
        v.bert_sizes(vocab_size, d_model, n_heads, n_layers, d_ff, max_len, dropout)
        super().__init__()
        self.max_len = max_len
        self.tok = nn.Embedding(vocab_size, d_model)  # one vector per word
        self.pos = nn.Embedding(max_len, d_model)  # one vector per position, learned (as BERT)
        self.seg = nn.Embedding(2, d_model)  # sentence A / B (we only use A)
        self.norm = nn.LayerNorm(d_model)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(
            TransformerBlock(
                d_model, n_heads, d_ff, dropout=dropout, norm_first=norm_first, activation="gelu"
            )
            for _ in range(n_layers)
        )
        # MLM head: transform, then score every word with the (tied) token embeddings.
        self.head = nn.Sequential(nn.Linear(d_model, d_model), nn.GELU(), nn.LayerNorm(d_model))
        self.out_bias = nn.Parameter(torch.zeros(vocab_size))
        for emb in (self.tok, self.pos, self.seg):
            nn.init.normal_(emb.weight, std=0.02)  # BERT's initialisation

    def forward(
        self, ids: torch.Tensor, key_padding_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Hidden states (B, n, d) for token ids (B, n)."""
        ids = v.bert_ids(ids, self.tok.num_embeddings, self.max_len, key_padding_mask)
        positions = torch.arange(ids.shape[1], device=ids.device)  # (n,)
        x = self.tok(ids) + self.pos(positions) + self.seg(torch.zeros_like(ids))  # (B, n, d)
        x = self.drop(self.norm(x))
        for block in self.blocks:
            x = block(x, key_padding_mask=key_padding_mask)  # (B, n, d)
        return x

    def mlm_logits(
        self, ids: torch.Tensor, key_padding_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Scores (B, n, V) for the word at every position."""
        h = self.head(self(ids, key_padding_mask))  # (B, n, d)
        return h @ self.tok.weight.T + self.out_bias  # (B, n, V)

    def attention_maps(self) -> torch.Tensor:
        """The last forward pass's attention weights, (layers, B, heads, n, n)."""
        v.require(
            all(b.attn_weights is not None for b in self.blocks),
            "no attention maps yet: run the model on some ids first, e.g. model(ids, pad)",
            RuntimeError,
        )
        return torch.stack([block.attn_weights.detach() for block in self.blocks])


class BertClassifier(nn.Module):
    """A classification head on the [CLS] position of a TinyBert."""

    def __init__(self, bert: TinyBert, n_classes: int, dropout: float = 0.1):
        super().__init__()
        self.bert = v.instance_of(bert, "bert", TinyBert, "Build one with TinyBert(len(tok)).")
        d_model = bert.tok.embedding_dim
        self.n_classes = v.bert_count(n_classes, "n_classes")
        self.head = nn.Sequential(
            nn.Dropout(v.fraction(dropout, "dropout")), nn.Linear(d_model, n_classes)
        )

    def forward(
        self, ids: torch.Tensor, key_padding_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Class scores (B, n_classes)."""
        return self.head(self.bert(ids, key_padding_mask)[:, 0])  # the [CLS] position


# ----------------------------------------------------------------------------- training
def pretrain(
    model, tok, sentences, steps=300, batch_size=64, lr=3e-3, seed=0, after_step=None
) -> list[float]:
    """Masked-language-model pre-training of a ``TinyBert`` with AdamW on a list of sentences
    (read by the ``Tokenizer`` ``tok``); returns the loss of every step.

    The learning rate warms up over the first 10 % of the steps, then decays (one cycle).
    ``after_step(step)``, if given, is called after each step (1, 2, …), e.g. to measure progress;
    it must leave the model in training mode. Notebook 08 writes this loop out.
    """
    sentences = v.bert_training(
        model, tok, sentences, steps, batch_size, lr, seed, after_step=after_step
    )
    gen = torch.Generator().manual_seed(seed)  # draws the batches and the masks
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    device = next(model.parameters()).device
    model.train()
    losses = []
    for _ in range(steps):
        rows = torch.randint(len(sentences), (batch_size,), generator=gen).tolist()
        ids, pad = tok.batch([sentences[i] for i in rows])  # (B, n) each
        inputs, labels = mask_tokens(ids, tok.mask_id, len(tok), tok.n_special, generator=gen)
        logits = model.mlm_logits(inputs.to(device), pad.to(device))  # (B, n, V)
        loss = F.cross_entropy(logits.reshape(-1, len(tok)), labels.to(device).reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
        if after_step is not None:
            after_step(len(losses))
    model.eval()
    return losses


def train_classifier(
    clf: BertClassifier,
    tok: Tokenizer,
    pairs: Sequence[tuple[str, int]],
    epochs: int = 30,
    batch_size: int = 16,
    lr: float = 1e-3,
    seed: int = 0,
) -> list[float]:
    """Fine-tune (or train from scratch) on labelled ``(sentence, class)`` pairs; returns losses."""
    pairs = v.bert_training(clf, tok, pairs, epochs, batch_size, lr, seed, labelled=True)
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


# ----------------------------------------------------------------------------- probes
@torch.no_grad()
def fill_mask(
    model: TinyBert, tok: Tokenizer, sentence: str, k: int = 5
) -> list[tuple[str, float]]:
    """The k most likely words for the one [MASK] in ``sentence``, with their probabilities."""
    sentence, k = v.bert_masked_sentence(model, tok, sentence, k)
    model.eval()
    ids, pad = tok.batch([sentence])
    where = int((ids[0] == tok.mask_id).nonzero()[0, 0])
    logits = model.mlm_logits(ids, pad)[0, where]
    logits[: tok.n_special] = float("-inf")  # answer with words, not [PAD] or [MASK]
    top = logits.softmax(-1).topk(k)
    return [(tok.vocab[i], float(p)) for p, i in zip(top.values, top.indices, strict=True)]


@torch.no_grad()
def masked_guesses(
    model: TinyBert, tok: Tokenizer, sentences: Sequence[str], only: set[str] | None = None
) -> tuple[list[str], list[str]]:
    """Mask every word of every sentence in turn (or only the words in ``only``), one blank per
    copy of the sentence; return the hidden words and the model's top-1 guesses, in that order.
    Deterministic: no random masking."""
    sentences, only = v.bert_probe(model, tok, sentences, only)
    ids, pad = tok.batch(sentences)
    model.eval()
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
    v.require(inputs, "no word of these sentences is in `only`: nothing to mask")
    x = torch.stack(inputs)  # (blanks, n)
    logits = model.mlm_logits(x, x != tok.pad_id)[torch.arange(len(where)), torch.tensor(where)]
    return tok.decode(targets), tok.decode(logits.argmax(-1))


def masked_token_accuracy(
    model: TinyBert,
    tok: Tokenizer,
    sentences: Sequence[str],
    baseline_word: str = "the",
    only: set[str] | None = None,
) -> tuple[float, float]:
    """Mask every word of every sentence in turn (or only the words in ``only``); top-1 accuracy
    of the model and of always guessing ``baseline_word``. Deterministic: no random masking."""
    baseline_word = v.bert_sentence(baseline_word, "baseline_word")
    hidden, guesses = masked_guesses(model, tok, sentences, only)
    model_acc = sum(h == g for h, g in zip(hidden, guesses, strict=True)) / len(hidden)
    base_acc = sum(h == baseline_word for h in hidden) / len(hidden)
    return model_acc, base_acc


def most_frequent_word(sentences: Sequence[str], only: set[str] | None = None) -> str:
    """The most frequent word of a corpus (or of its words in ``only``): the baseline's guess."""
    sentences, only = v.strings(sentences, "sentences"), v.bert_words(only, "only")
    counts = Counter(w for s in sentences for w in s.split() if only is None or w in only)
    v.require(counts, "no word of these sentences is in `only`")
    return counts.most_common(1)[0][0]


@torch.no_grad()
def classifier_accuracy(
    clf: BertClassifier, tok: Tokenizer, pairs: Sequence[tuple[str, int]]
) -> float:
    """Fraction of ``(sentence, class)`` pairs the classifier gets right."""
    pairs = v.bert_pairs(pairs, "pairs", v.bert_model(clf, "clf", classifier=True).n_classes)
    v.bert_tokenizer(tok)
    clf.eval()
    ids, pad = tok.batch([s for s, _ in pairs])
    predicted = clf(ids, pad).argmax(-1)
    return (predicted == torch.tensor([c for _, c in pairs])).float().mean().item()


# ----------------------------------------------------------------------------- checkpoint
def load_pretrained(path: str | None = None) -> TinyBert:
    """The shipped checkpoint (made by tools/make_bert_checkpoint.py), loaded with
    ``weights_only=True`` (loading runs no code from the file). Its architecture is TinyBert's
    defaults, its vocabulary the tokenizer of ``load_corpus()[0]``."""
    path = v.bert_path(path)
    model = TinyBert(len(Tokenizer(load_corpus()[0])))
    if path is None:
        with resources.as_file(resources.files("course_utils") / "data" / "tiny_bert.pt") as f:
            state = torch.load(f, weights_only=True)
    else:
        state = torch.load(path, weights_only=True)
    model.load_state_dict(state)
    return model.eval()
