"""Checkers for notebook 08's exercises: BERT's 15 % / 80-10-10 masking (checked statistically)
and the masked-LM loss (cross-entropy over the chosen positions only)."""

from __future__ import annotations

import random

import numpy as np
import torch

from course_utils.checks._core import Feedback, as_array, call_learner, first_match

__all__ = ["check_mask_tokens", "check_mlm_loss"]

N_SPECIAL, MASK_ID, VOCAB_SIZE, IGNORE = 5, 3, 50, -100


def _test_ids(seed: int = 1234) -> torch.Tensor:
    """(400, 30) ids: [CLS] … [SEP] then [PAD]s, ordinary tokens in between."""
    gen = torch.Generator().manual_seed(seed)
    ids = torch.randint(N_SPECIAL, VOCAB_SIZE, (400, 30), generator=gen)
    lengths = torch.randint(10, 31, (400,), generator=gen)
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
    except (TypeError, ValueError):
        return None, Feedback(False, f"{name} is a {type(value).__name__}, not a tensor of token ids.")
    if arr.shape != shape:
        return None, Feedback(False, f"{name} has shape {arr.shape}; it must have the shape of ids, {shape}.")
    if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
        return None, Feedback(False, f"{name} holds non-integer values; token ids are whole numbers.")
    return arr.astype(np.int64), None


def _run(fn, seed: int) -> tuple[tuple | None, Feedback | None]:
    """Call the learner's function on the test ids with every RNG seeded; restore the RNGs after."""
    ids = _test_ids()
    np_state, py_state = np.random.get_state(), random.getstate()
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        np.random.seed(seed)
        random.seed(seed)
        try:
            result, problem = call_learner(fn, ids.clone(), MASK_ID, VOCAB_SIZE, N_SPECIAL,
                                           name="your masking function")
        finally:
            np.random.set_state(np_state)
            random.setstate(py_state)
    if problem:
        return None, problem
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        return None, Feedback(False, "return two things, `return inputs, labels`: the corrupted ids "
                                     "the model reads and the labels it must predict.")
    inputs, problem = _as_ids(result[0], "inputs (the first thing you return)", tuple(ids.shape))
    if problem:
        return None, problem
    labels, problem = _as_ids(result[1], "labels (the second thing you return)", tuple(ids.shape))
    if problem:
        return None, problem
    return (ids.numpy(), inputs, labels), None


def _judge(ids: np.ndarray, inputs: np.ndarray, labels: np.ndarray) -> Feedback | None:
    """None when the masking follows the rule; else what is wrong."""
    ordinary = ids >= N_SPECIAL
    chosen = labels != IGNORE
    if chosen.all():
        return Feedback(False, f"labels has no {IGNORE} at all: positions that were not chosen "
                               f"must get the label {IGNORE}, so the loss skips them.")
    if (chosen & ~ordinary).any():
        return Feedback(False, "a special token ([CLS], [SEP] or [PAD], ids below n_special) was "
                               "chosen: only ordinary tokens (ids >= n_special) may be masked.")
    if not (labels[chosen] == ids[chosen]).all():
        return Feedback(False, "at a chosen position the label must be the ORIGINAL token (what the "
                               "model has to recover), not the [MASK] id or the replacement.")
    if not (inputs[~chosen] == ids[~chosen]).all():
        return Feedback(False, "you changed tokens that were not chosen (their label is "
                               f"{IGNORE}): only chosen positions may be corrupted.")
    rate = chosen[ordinary].mean()
    to_mask = inputs[chosen] == MASK_ID
    kept = inputs[chosen] == ids[chosen]
    replaced = ~to_mask & ~kept
    if abs(rate - 0.12) < 0.015 and to_mask.mean() > 0.95:
        return Feedback(False, f"{rate:.1%} of tokens have a label and all of them are [MASK]: "
                               "every chosen token (15 %) needs a label, also the 20 % you "
                               "replace by a random token or keep unchanged.")
    if abs(rate - 0.15) > 0.02:
        return Feedback(False, f"{rate:.1%} of the ordinary tokens were chosen; BERT chooses 15 % "
                               "(each token with probability 0.15).")
    if to_mask.mean() > 0.95:
        return Feedback(False, "every chosen token became [MASK]. BERT replaces only 80 % by "
                               "[MASK]; 10 % get a random token and 10 % stay unchanged.")
    if (inputs[chosen][replaced] < N_SPECIAL).any():
        return Feedback(False, "some random replacements are special tokens ([PAD], [CLS], …): "
                               "draw them from the ordinary ids, n_special ≤ id < vocab_size.")
    parts = {"[MASK]": (to_mask.mean(), 0.8, 0.04), "a random token": (replaced.mean(), 0.1, 0.03),
             "unchanged": (kept.mean(), 0.1, 0.03)}
    for got, want, tol in parts.values():
        if abs(got - want) > tol:
            shares = ", ".join(f"{w} {g:.0%}" for w, (g, _, _) in parts.items())
            return Feedback(False, f"of the chosen tokens: {shares}. The rule is 80 % [MASK], "
                                   "10 % random, 10 % unchanged: draw one random number per "
                                   "chosen token and split at 0.8 and 0.9.")
    return None


def check_mask_tokens(fn) -> Feedback:
    """Check ``fn(ids, mask_id, vocab_size, n_special) -> (inputs, labels)`` statistically."""
    try:
        outcome, problem = _run(fn, seed=0)
        if problem:
            return problem
        problem = _judge(*outcome)
        if problem:
            return problem
        again, problem = _run(fn, seed=1)
        if problem:
            return problem
        if (again[2] == outcome[2]).all():
            return Feedback(False, "two runs with different random seeds chose the same positions: "
                                   "the choice must be random (torch.rand), not fixed.")
    except Exception as exc:  # noqa: BLE001 - a checker never crashes on a learner's answer
        return Feedback(False, f"checking your answer raised {type(exc).__name__}: {exc}. "
                               "Return two tensors shaped like ids.")
    return Feedback(True, "15 % of ordinary tokens chosen; of those ~80 % [MASK], ~10 % random, "
                          "~10 % unchanged; labels hold the originals and -100 elsewhere.")


def _loss_cases() -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(logits (B, n, V), labels (B, n)) test cases: few, many and a single chosen position."""
    gen = torch.Generator().manual_seed(2024)
    cases = []
    for shape, share in (((3, 7, 11), 0.3), ((2, 9, 6), 0.6), ((1, 5, 8), 0.0)):
        logits = 2 * torch.randn(shape, generator=gen)
        labels = torch.randint(0, shape[2], shape[:2], generator=gen)
        chosen = torch.rand(shape[:2], generator=gen) < share
        chosen[0, 1] = True  # at least one position to predict
        cases.append((logits, torch.where(chosen, labels, torch.full_like(labels, IGNORE))))
    return cases


def _right_loss(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """The reference: mean cross-entropy over the positions whose label is not -100."""
    return float(torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                   labels.reshape(-1), ignore_index=IGNORE))


def _loss_mistakes(logits: torch.Tensor, labels: torch.Tensor) -> dict:
    """Typical wrong answers, each with the advice that fixes it."""
    chosen = labels != IGNORE
    log_p = logits.log_softmax(-1)
    picked = log_p.gather(-1, labels.clamp(min=0)[..., None])[..., 0]  # (B, n)
    n_chosen, n_all = int(chosen.sum()), labels.numel()
    right = _right_loss(logits, labels)
    return {
        "you averaged over ALL positions (the ignored ones counting as 0): divide by the number "
        "of chosen positions (labels != -100), not by every position.": lambda: right * n_chosen / n_all,
        "you summed the losses: take the mean over the chosen positions.": lambda: right * n_chosen,
        "the sign is wrong: the loss is MINUS the mean log-probability (a loss is ≥ 0).": lambda: -right,
        "the ignored positions (label -100) were counted as if their label were 0: keep only "
        "the positions with labels != -100.": lambda: float(-picked.mean()),
        "you applied softmax twice (softmax, then a cross-entropy that softmaxes again): feed "
        "the raw scores (logits) to log_softmax or F.cross_entropy.": lambda: _right_loss(
            logits.softmax(-1), labels),
        "you averaged probabilities, not log-probabilities: the loss is -mean(log p(right word)).":
            lambda: float(-log_p.exp()[chosen].gather(-1, labels[chosen][:, None]).mean()),
    }


def check_mlm_loss(fn) -> Feedback:
    """Check ``fn(logits, labels) -> loss``: the mean cross-entropy over positions with labels != -100."""
    try:
        for logits, labels in _loss_cases():
            result, problem = call_learner(fn, logits.clone(), labels.clone(), name="your loss function")
            if problem:
                if "-100" in problem.message or "out of bounds" in problem.message:
                    return Feedback(False, problem.message + " The label -100 is not a word: keep "
                                    "only the positions with labels != -100 before you look up "
                                    "a label's score.")
                if "size" in problem.message.lower() or "shape" in problem.message.lower():
                    return Feedback(False, problem.message + " F.cross_entropy wants scores of "
                                    "shape (N, V) and labels of shape (N,): reshape (B, n, V) to "
                                    "(B*n, V) and (B, n) to (B*n,).")
                return problem
            got, problem = as_array(result, "your loss")
            if problem:
                return problem
            if got.size != 1:
                return Feedback(False, f"your loss has shape {got.shape}: return ONE number, the "
                                       "mean over the chosen positions, not one loss per position.")
            value, right = float(got.reshape(())), _right_loss(logits, labels)
            if abs(value - right) > 1e-4 * max(1.0, abs(right)):
                hint = first_match(got.reshape(()), _loss_mistakes(logits, labels))
                return Feedback(False, hint or f"your loss is {value:.4f}, the right one is "
                                f"{right:.4f}: take -log_softmax(logits) at each chosen position's "
                                "label and average over the chosen positions only.")
    except Exception as exc:  # noqa: BLE001 - a checker never crashes on a learner's answer
        return Feedback(False, f"checking your answer raised {type(exc).__name__}: {exc}. "
                               "Return one number (a 0-d tensor or a float).")
    return Feedback(True, "the mean cross-entropy over the chosen positions only; it equals "
                          "F.cross_entropy(logits.reshape(-1, V), labels.reshape(-1)), whose "
                          "ignore_index is -100 by default.")
