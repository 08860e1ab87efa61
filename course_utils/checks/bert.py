"""Checkers for notebook 08's exercises: BERT's 15 % / 80-10-10 masking and the masked-LM loss.

The masking checker runs the learner's function on 600 sentences. What must hold exactly
(labels, special tokens, untouched positions, no change to the caller's ids) is checked exactly;
what is random is checked with binomial tests, each of which a correct masking fails with
probability below 1e-8, so a right answer, whatever order it draws its random numbers in, is
rejected less than once in a million runs (about 40 tests). The tests look at the structure,
not only at overall shares: every column (position) and every group of sentences must show
the 15 %, replacements must be spread over the vocabulary, and the actions of two chosen tokens
of one sentence must be independent.
"""

from __future__ import annotations

import math
import random

import numpy as np
import torch

from course_utils.bert import IGNORE
from course_utils.checks._core import Feedback, as_array, call_learner, checker, first_match
from course_utils.predict import Prediction

__all__ = ["FINE_TUNE", "NEGATION", "PREDICTIONS", "check_mask_tokens", "check_mlm_loss"]

N_SPECIAL, MASK_ID, VOCAB_SIZE = 5, 3, 50
N_ROWS, N_COLS = 600, 32
ALPHA = 1e-8  # false-rejection probability of each statistical test


# ----------------------------------------------------------------------------- statistics
def _log_pmf(n: int, p: float) -> np.ndarray:
    """log P(X = k) for X ~ Binomial(n, p), k = 0 … n."""
    k = np.arange(1, n + 1)
    log_choose = np.concatenate([[0.0], np.cumsum(np.log(n - k + 1) - np.log(k))])
    return log_choose + np.arange(n + 1) * math.log(p) + (n - np.arange(n + 1)) * math.log1p(-p)


def binomial_bounds(n: int, p: float, alpha: float = ALPHA) -> tuple[int, int]:
    """(lo, hi) with P(X < lo) ≤ alpha/2 and P(X > hi) ≤ alpha/2 for X ~ Binomial(n, p)."""
    pmf = np.exp(_log_pmf(n, p))
    below = np.cumsum(pmf)  # P(X ≤ k)
    above = np.cumsum(pmf[::-1])[::-1]  # P(X ≥ k)
    lo = int(np.argmax(below > alpha / 2))  # smallest k with P(X ≤ k) > alpha/2
    hi = int(n - np.argmax(above[::-1] > alpha / 2))  # largest k with P(X ≥ k) > alpha/2
    return lo, hi


def _plausible(count: int, n: int, p: float, alpha: float = ALPHA) -> bool:
    """Is ``count`` successes in ``n`` draws plausible for probability ``p``?"""
    lo, hi = binomial_bounds(n, p, alpha)
    return lo <= count <= hi


# ----------------------------------------------------------------------------- running
def _test_ids(seed: int = 1234) -> torch.Tensor:
    """(600, 32) ids: [CLS] … [SEP] then [PAD]s, ordinary tokens in between."""
    gen = torch.Generator().manual_seed(seed)
    ids = torch.randint(N_SPECIAL, VOCAB_SIZE, (N_ROWS, N_COLS), generator=gen)
    lengths = torch.randint(10, N_COLS + 1, (N_ROWS,), generator=gen)
    for b, n in enumerate(lengths.tolist()):
        ids[b, 0], ids[b, n - 1] = 1, 2  # [CLS], [SEP]
        ids[b, n:] = 0  # [PAD]
    return ids


def _as_ids(value, name: str, shape: tuple[int, ...]) -> tuple[np.ndarray | None, Feedback | None]:
    """A learner's tensor/array of token ids as an int array of ``shape``, or advice."""
    try:
        if hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        arr = np.asarray(value)
        if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
            raise TypeError
    except (TypeError, ValueError, RuntimeError):
        return None, Feedback(
            False, f"{name} is {type(value).__name__}, not a tensor of token ids."
        )
    if arr.shape != shape:
        return None, Feedback(
            False, f"{name} has shape {arr.shape}; it must have the shape of ids, {shape}."
        )
    if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
        return None, Feedback(
            False,
            f"{name} holds non-integer values; token ids are whole numbers (dtype torch.long).",
        )
    return arr.astype(np.int64), None


def _run(fn, seed: int):
    """Call the learner's function on the test ids with every RNG seeded; restore the RNGs after.

    Returns ((ids, inputs, labels), None) or (None, Feedback)."""
    ids = _test_ids()
    pristine = ids.clone()
    edited = []

    def probe(ids_, mask_id, vocab_size, n_special):
        """The learner's function, watched for changes to the ids it was given."""
        before = ids_.clone()
        out = fn(ids_, mask_id, vocab_size, n_special)
        edited.append(not torch.equal(ids_, before))
        return out

    np_state, py_state = np.random.get_state(), random.getstate()
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        np.random.seed(seed)
        random.seed(seed)
        try:
            result, problem = call_learner(
                probe, ids, MASK_ID, VOCAB_SIZE, N_SPECIAL, name="your masking function"
            )
        finally:
            np.random.set_state(np_state)
            random.setstate(py_state)
    if problem:
        return None, problem
    if edited and edited[0]:
        return None, Feedback(
            False,
            "your function changed the ids it was given (an in-place "
            "edit such as ids[...] = mask_id): the caller still needs "
            "the originals, e.g. for the labels. Start with "
            "inputs = ids.clone() and edit the copy.",
        )
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        return None, Feedback(
            False,
            "return two things, `return inputs, labels`: the corrupted "
            "ids the model reads and the labels it must predict.",
        )
    inputs, problem = _as_ids(result[0], "inputs (the first thing you return)", tuple(ids.shape))
    if problem:
        return None, problem
    labels, problem = _as_ids(result[1], "labels (the second thing you return)", tuple(ids.shape))
    if problem:
        return None, problem
    return (pristine.numpy(), inputs, labels), None


# ----------------------------------------------------------------------------- judging
def _exact_rules(ids: np.ndarray, inputs: np.ndarray, labels: np.ndarray) -> Feedback | None:
    """What must hold in every position, whatever the random draws: the first rule broken."""
    chosen = labels != IGNORE
    wrong_label = chosen & (labels != ids)
    changed_unchosen = ~chosen & (inputs != ids)
    replaced = chosen & (inputs != MASK_ID) & (inputs != ids)
    rules = [  # (is it broken?, what to say), in the order in which to fix them
        (chosen.all(), f"labels has no {IGNORE} at all: positions that were not chosen must get "
         f"the label {IGNORE}, so the loss skips them."),
        (not chosen.any(), f"every label is {IGNORE}: the chosen positions need the original "
         "token as their label, or the model has nothing to predict."),
        ((chosen & (ids < N_SPECIAL)).any(), "a special token ([CLS], [SEP] or [PAD], ids below "
         "n_special) was chosen: only ordinary tokens (ids >= n_special) may be masked."),
        (wrong_label.any() and (labels[chosen] == inputs[chosen]).all(), "your labels are the "
         "corrupted inputs ([MASK] or the random word): the label must be the ORIGINAL token, "
         "what the model has to recover. Take it from ids, before you change anything."),
        (wrong_label.any(), "at a chosen position the label must be the ORIGINAL token (what the "
         "model has to recover), not the [MASK] id or the replacement."),
        (changed_unchosen.any() and (inputs[chosen] == MASK_ID).all(), "only your [MASK]ed "
         "tokens have a label, but you also changed tokens without one: the 20 % of chosen "
         "tokens that you replace by a random word or keep unchanged need a label too."),
        (changed_unchosen.any() and (inputs[changed_unchosen] == MASK_ID).all(), "some tokens "
         "became [MASK] but got no label: every chosen token needs its label (also those you "
         "mask). Draw the chosen positions once and use the same ones for labels and inputs."),
        (changed_unchosen.any(), f"you changed tokens that were not chosen (their label is "
         f"{IGNORE}): only chosen positions may be corrupted."),
        ((inputs[replaced] < N_SPECIAL).any(), "some random replacements are special tokens "
         "([PAD], [CLS], …): draw them from the ordinary ids, n_special ≤ id < vocab_size."),
        ((inputs[replaced] >= VOCAB_SIZE).any(), "some random replacements are ≥ vocab_size, "
         "outside the vocabulary: draw them with torch.randint(n_special, vocab_size, …)."),
    ]  # fmt: skip
    return next((Feedback(False, message) for broken, message in rules if broken), None)


def _rates(ids: np.ndarray, inputs: np.ndarray, labels: np.ndarray) -> Feedback | None:
    """The 15 % and the 80/10/10, overall and position by position, sentence group by group."""
    ordinary = ids >= N_SPECIAL
    chosen = labels != IGNORE
    n, c = int(ordinary.sum()), int(chosen.sum())
    to_mask = chosen & (inputs == MASK_ID)
    kept = chosen & (inputs == ids)
    replaced = chosen & ~to_mask & ~kept
    if not _plausible(c, n, 0.15):
        if int(to_mask.sum()) == c and _plausible(c, n, 0.12):
            return Feedback(
                False,
                f"{c / n:.1%} of tokens have a label and all of them are "
                "[MASK]: every chosen token (15 %) needs a label, also the 20 % "
                "you replace by a random token or keep unchanged.",
            )
        return Feedback(
            False,
            f"{c / n:.1%} of the ordinary tokens were chosen; BERT chooses "
            "15 % (each token with probability 0.15).",
        )
    if int(to_mask.sum()) == c:
        return Feedback(
            False,
            "every chosen token became [MASK]. BERT replaces only 80 % by "
            "[MASK]; 10 % get a random token and 10 % stay unchanged.",
        )
    v_ordinary = VOCAB_SIZE - N_SPECIAL
    parts = {
        "[MASK]": (to_mask, 0.8),
        "a random token": (replaced, 0.1 * (1 - 1 / v_ordinary)),
        "unchanged": (kept, 0.1 + 0.1 / v_ordinary),
    }  # a random token can be the original
    for part, want in parts.values():
        # A replacement that avoids the original token is also right: allow both versions.
        if not (_plausible(int(part.sum()), c, want) or _plausible(int(part.sum()), c, 0.1)):
            shares = ", ".join(f"{w} {m.sum() / c:.0%}" for w, (m, _) in parts.items())
            return Feedback(
                False,
                f"of the chosen tokens: {shares}. The rule is 80 % [MASK], "
                "10 % random, 10 % unchanged: draw one random number per "
                "chosen token and split at 0.8 and 0.9.",
            )
    for j in range(ids.shape[1]):  # position by position
        n_j = int(ordinary[:, j].sum())
        if n_j >= 100 and not _plausible(int(chosen[:, j].sum()), n_j, 0.15):
            return Feedback(
                False,
                f"position {j} was chosen in {chosen[:, j].sum() / n_j:.0%} "
                "of the sentences, not about 15 %. Do you choose the same "
                "positions in every sentence (one random draw of shape (n,) "
                "broadcast over the batch)? Draw one number per token: "
                "torch.rand(ids.shape).",
            )
    for g in range(0, ids.shape[0], 60):  # sentence group by group
        rows = slice(g, g + 60)
        n_g, c_g = int(ordinary[rows].sum()), int(chosen[rows].sum())
        if not _plausible(c_g, n_g, 0.15):
            return Feedback(
                False,
                f"sentences {g}–{g + 59} had {c_g / n_g:.0%} of their tokens "
                "chosen, not about 15 %: every sentence must be masked the "
                "same way, each token with probability 0.15.",
            )
    return None


def _independence(ids: np.ndarray, inputs: np.ndarray, labels: np.ndarray) -> Feedback | None:
    """Random replacements spread over the vocabulary; actions independent within a sentence."""
    chosen = labels != IGNORE
    replaced = chosen & (inputs != MASK_ID) & (inputs != ids)
    r = int(replaced.sum())
    v_ordinary = VOCAB_SIZE - N_SPECIAL
    if r:
        most = int(np.bincount(inputs[replaced], minlength=VOCAB_SIZE).max())
        _, hi = binomial_bounds(r, 1 / v_ordinary, ALPHA / v_ordinary)
        if most > hi:
            return Feedback(
                False,
                f"{most} of your {r} random replacements are the same word: "
                "draw one random id for EVERY replaced position (an id tensor "
                "of ids' shape, e.g. torch.randint(n_special, vocab_size, "
                "ids.shape)), not one id for all of them.",
            )
    action = np.where(inputs == MASK_ID, 0, np.where(inputs == ids, 1, 2))
    same, pairs = 0, 0
    for b in range(ids.shape[0]):  # the first two chosen tokens of each sentence
        where = np.flatnonzero(chosen[b])
        if len(where) >= 2:
            pairs += 1
            same += int(action[b, where[0]] == action[b, where[1]])
    q = 0.8**2 + 0.1**2 + 0.1**2  # two independent actions agree this often
    lo_q, hi_q = q - 0.001, q + 0.001  # (a random word equal to the original shifts q by < 0.001)
    if pairs >= 50 and not (
        _plausible(same, pairs, lo_q, ALPHA / 2) or _plausible(same, pairs, hi_q, ALPHA / 2)
    ):
        return Feedback(
            False,
            f"in {same} of {pairs} sentences the first two chosen tokens got "
            f"the same treatment ([MASK] / random / unchanged); independent "
            f"draws agree only about {q:.0%} of the time. Draw the 80/10/10 "
            "number per token (shape ids.shape), not once per sentence.",
        )
    return None


@checker("08")
def check_mask_tokens(fn) -> Feedback:
    """Check ``fn(ids, mask_id, vocab_size, n_special) -> (inputs, labels)``, position by position
    where the rule is exact and statistically (per position, per sentence group, independence of
    draws) where it is random."""
    outcome, problem = _run(fn, seed=0)
    if problem:
        return problem
    problem = _exact_rules(*outcome) or _rates(*outcome) or _independence(*outcome)
    if problem:
        return problem
    again, problem = _run(fn, seed=1)
    if problem:
        return problem
    if (again[2] == outcome[2]).all():
        return Feedback(
            False,
            "two runs with different random seeds chose the same positions: "
            "the choice must be random (torch.rand), not fixed, and your "
            "function must not set a seed itself.",
        )
    return Feedback(
        True,
        "15 % of ordinary tokens chosen, in every position and every group of "
        "sentences; of those ~80 % [MASK], ~10 % a random word (a fresh one "
        "each time), ~10 % unchanged, drawn independently; labels hold the "
        "originals and -100 elsewhere, and the caller's ids are untouched.",
    )


# ----------------------------------------------------------------------------- the MLM loss
def _loss_cases() -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(logits (B, n, V), labels (B, n)) test cases: few, many and a single chosen position."""
    gen = torch.Generator().manual_seed(2024)
    cases = []
    for shape, share in (((3, 7, 11), 0.3), ((2, 9, 6), 0.6), ((1, 5, 8), 0.0), ((4, 6, 13), 0.4)):
        logits = 2 * torch.randn(shape, generator=gen)
        labels = torch.randint(0, shape[2], shape[:2], generator=gen)
        chosen = torch.rand(shape[:2], generator=gen) < share
        chosen[0, 1] = True  # at least one position to predict
        if shape[0] > 1:
            chosen[1, :] = False  # a sentence with nothing to predict
            chosen[1, 2] = shape[0] == 2  # ...or, in one case, exactly one
        cases.append((logits, torch.where(chosen, labels, torch.full_like(labels, IGNORE))))
    return cases


def _right_loss(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """The reference: mean cross-entropy over the positions whose label is not -100."""
    return float(
        torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=IGNORE
        )
    )


def _loss_mistakes(logits: torch.Tensor, labels: torch.Tensor) -> dict:
    """Typical wrong answers, each with the advice that fixes it."""
    chosen = labels != IGNORE
    log_p = logits.log_softmax(-1)
    safe = labels.clamp(min=0)[..., None]
    picked = log_p.gather(-1, safe)[..., 0]  # (B, n)
    n_chosen, n_all = int(chosen.sum()), labels.numel()
    right = _right_loss(logits, labels)
    wrong_axis = logits.log_softmax(1).gather(-1, safe)[..., 0]
    per_sentence = [
        float(-picked[b][chosen[b]].mean()) for b in range(labels.shape[0]) if chosen[b].any()
    ]
    return {
        "you averaged over ALL positions (the ignored ones counting as 0): divide by the number "
        "of chosen positions (labels != -100), not by every position.": lambda: (
            right * n_chosen / n_all
        ),
        "you summed the losses: take the mean over the chosen positions.": lambda: right * n_chosen,
        "the sign is wrong: the loss is MINUS the mean log-probability (a loss is ≥ 0).": lambda: (
            -right
        ),
        "the ignored positions (label -100) were counted as if their label were 0: keep only "
        "the positions with labels != -100.": lambda: float(-picked.mean()),
        "you applied softmax twice (softmax, then a cross-entropy that softmaxes again): feed "
        "the raw scores (logits) to log_softmax or F.cross_entropy.": lambda: _right_loss(
            logits.softmax(-1), labels
        ),
        "you averaged probabilities, not log-probabilities: "
        "the loss is -mean(log p(right word)).": lambda: float(
            -log_p.exp()[chosen].gather(-1, labels[chosen][:, None]).mean()
        ),
        "your log_softmax runs over the wrong axis (dim=1, the positions): the probabilities "
        "are over the vocabulary, the last axis: log_softmax(-1).": lambda: float(
            -wrong_axis[chosen].mean()
        ),
        "you took the mean per sentence, then the mean of those: sentences with more chosen "
        "positions must count more. Average over all chosen positions at once.": lambda: (
            sum(per_sentence) / len(per_sentence)
        ),
        "you used log base 2 (bits): "
        "the loss uses the natural log (nats), as log_softmax does.": lambda: right / math.log(2),
    }


@checker("08")
def check_mlm_loss(fn) -> Feedback:
    """Check ``fn(logits, labels) -> loss``.

    The loss is the mean cross-entropy over positions with labels != -100.
    """
    for logits, labels in _loss_cases():
        result, problem = call_learner(fn, logits, labels, name="your loss function")
        if problem:
            if "-100" in problem.message or "out of bounds" in problem.message:
                return Feedback(
                    False,
                    problem.message + " The label -100 is not a word: keep "
                    "only the positions with labels != -100 before you look up "
                    "a label's score.",
                )
            if "size" in problem.message.lower() or "shape" in problem.message.lower():
                return Feedback(
                    False,
                    problem.message + " F.cross_entropy wants scores of "
                    "shape (N, V) and labels of shape (N,): reshape (B, n, V) to "
                    "(B*n, V) and (B, n) to (B*n,).",
                )
            return problem
        got, problem = as_array(result, "your loss")
        if problem:
            return problem
        if got.size != 1:
            return Feedback(
                False,
                f"your loss has shape {got.shape}: return ONE number, the "
                "mean over the chosen positions, not one loss per position.",
            )
        value, right = float(got.reshape(())), _right_loss(logits, labels)
        if abs(value - right) > 1e-4 * max(1.0, abs(right)):
            hint = first_match(got.reshape(()), _loss_mistakes(logits, labels))
            return Feedback(
                False,
                hint
                or f"your loss is {value:.4f}, the right one is "
                f"{right:.4f}: take -log_softmax(logits) at each chosen position's "
                "label and average over the chosen positions only.",
            )
    return Feedback(
        True,
        "the mean cross-entropy over the chosen positions only; it equals "
        "F.cross_entropy(logits.reshape(-1, V), labels.reshape(-1)), whose "
        "ignore_index is -100 by default.",
    )


# ----------------------------------------------------------------------------- predictions
FINE_TUNE = Prediction(
    id="08.fine-tune-120",
    notebook="08",
    question="We train the same model on the same 120 labelled sentences twice: once starting "
    "from the pre-trained weights (fine-tuning), once from random weights (from "
    "scratch). On the 400 test sentences, which is more accurate?",
    choices={
        "fine": "fine-tuning, by more than 10 points",
        "same": "about the same (within 10 points)",
        "scratch": "from scratch, by more than 10 points",
    },
    explanations={
        "fine": "Pre-training on unlabelled text already grouped the nouns by how they are "
        "used, so a label on one food sentence carries over to foods no label mentions; "
        "from scratch, a model can only learn the nouns it saw labelled.",
        "same": "On nouns that appear in a label both models do well; the difference is on the "
        "nouns no label mentions, where from scratch is near chance (0.25).",
        "scratch": "Random weights know nothing about the words; pre-trained weights start "
        "from what 5,000 steps of blank-filling learned, and 120 labels cannot "
        "undo that in 20 epochs.",
    },
    answer=lambda gap: "fine" if gap > 0.1 else "scratch" if gap < -0.1 else "same",
)

NEGATION = Prediction(
    id="08.negation",
    notebook="08",
    question="The model answers 'an owl is a kind of ___' with 'animal' (probability 0.98). "
    "For 'X is not a kind of ___', averaged over all 96 nouns, where does most of its "
    "probability go?",
    choices={
        "own": "to X's own topic, as if 'not' were not there",
        "others": "to the three other topics (a right answer)",
        "rest": "to words that are not topics at all",
    },
    explanations={
        "own": "Its own topic keeps a share, but less than you might think: the unseen "
        "'is not a kind of' pattern pushes the model off the topics altogether.",
        "others": "That is what someone who understood 'not' would do; the corpus never says "
        "what something is not, so the objective never taught the model this.",
        "rest": "The model has never seen 'is not a kind of' (the corpus has no such sentence), "
        "so after 'not' it falls back on words that follow 'not' or co-occur with X "
        "('a', 'cow', 'tiger'): it completes patterns of form, not of meaning.",
    },
    answer=lambda shares: max(shares, key=shares.get),
)

PREDICTIONS = [FINE_TUNE, NEGATION]
