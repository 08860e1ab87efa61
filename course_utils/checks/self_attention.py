"""Checkers for the exercises of notebook 03: self-attention for every token at once, and a
permutation-equivariance test."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course_utils.attention import attention, softmax
from course_utils.checks._core import Feedback, as_array, call_learner, compare, first_match

__all__ = ["check_equivariance_test", "check_self_attention"]


def _cases() -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Test inputs: 3 tokens with square weights, then 5 tokens with d_model 6, d_k 4, d_v 3."""
    rng = np.random.default_rng(2024)
    square = (rng.normal(size=(3, 4)), *(rng.normal(size=(4, 4)) for _ in range(3)))
    uneven = (rng.normal(size=(5, 6)), rng.normal(size=(6, 4)), rng.normal(size=(6, 4)),
              rng.normal(size=(6, 3)))
    return [
        ("3 tokens, d_model = d_k = d_v = 4", *square),
        ("5 tokens, d_model = 6, d_k = 4, d_v = 3", *uneven),
    ]


def _typical_mistakes(X, W_Q, W_K, W_V) -> dict:
    """Known wrong answers, each with the advice that fixes it."""
    Q, K, V = X @ W_Q, X @ W_K, X @ W_V
    d_k, d_model = W_Q.shape[1], X.shape[1]
    S = Q @ K.T
    return {
        "you returned the attention weights (n, n); the output is weights @ V.": lambda: softmax(S / np.sqrt(d_k)),
        "the scores are not scaled: divide Q @ K.T by √d_k before the softmax.": lambda: softmax(S) @ V,
        "you divided by d_k; divide by its square root, np.sqrt(d_k).": lambda: softmax(S / d_k) @ V,
        "you scaled by √d_model (the width of X); use d_k, the width of the queries "
        "(W_Q.shape[1]).": lambda: softmax(S / np.sqrt(d_model)) @ V,
        "the softmax runs over the wrong axis: each token's weights over the keys (one row) must "
        "sum to 1, so use axis=-1.": lambda: softmax(S / np.sqrt(d_k), axis=0) @ V,
        "the softmax is missing: turn the scaled scores into weights that sum to 1 per row.": lambda: (S / np.sqrt(d_k)) @ V,
        "the values are not projected: use V = X @ W_V, not X itself.": lambda: softmax(S / np.sqrt(d_k)) @ X,
        "the keys use W_Q: compute K = X @ W_K.": lambda: softmax(Q @ Q.T / np.sqrt(d_k)) @ V,
        "the scores are K @ Q.T (keys × queries); they must be Q @ K.T, one row per "
        "query.": lambda: softmax(K @ Q.T / np.sqrt(d_k)) @ V,
    }


def check_self_attention(fn) -> Feedback:
    """Check a learner's ``fn(X, W_Q, W_K, W_V) -> output`` for self-attention over all tokens of X."""
    for description, X, W_Q, W_K, W_V in _cases():
        result, problem = call_learner(fn, X.copy(), W_Q.copy(), W_K.copy(), W_V.copy(),
                                       name="your self_attention")
        if problem:
            if description.startswith("5 tokens"):
                return Feedback(False, f"it works when every size is 4 but fails for {description}: "
                                + problem.message + " Which width is d_k?")
            return problem
        got, problem = as_array(result, "the output")
        if problem:
            return problem
        expected, _ = attention(X @ W_Q, X @ W_K, X @ W_V)
        if compare(got, expected) is None:
            continue
        hint = first_match(got, _typical_mistakes(X, W_Q, W_K, W_V))
        if hint:
            return Feedback(False, f"On {description}: {hint}")
        if got.shape != expected.shape:
            return Feedback(False, f"On {description} the output has shape {got.shape} but should be "
                            f"{expected.shape}: one row per token, one column per value feature (n, d_v).")
        return Feedback(False, f"On {description}: " + compare(got, expected, "the output").message)
    return Feedback(True, "your function lets every token attend to every token in one go, "
                    "softmax(Q·Kᵀ/√d_k)·V with Q, K, V = X·W_Q, X·W_K, X·W_V.")


# --- Exercise 2: a permutation-equivariance test ---------------------------------------------

_N, _D = 5, 4  # tokens and features of the checker's test sentence
_CYCLE = np.array([1, 2, 3, 4, 0])  # every token moves one place: not its own inverse
_SWAP = np.array([1, 0, 2, 3, 4])  # the first two tokens swap: its own inverse


def _equivariance_layers() -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    """Layers (n, d) -> (n, d) for the checker: some ignore token order, some do not."""
    rng = np.random.default_rng(2025)
    W_Q, W_K, W_V = (rng.normal(size=(_D, _D)) for _ in range(3))
    positions = rng.normal(size=(_N, _D))  # one vector per place, as in notebook 06

    def attend(X: np.ndarray, causal: bool = False) -> np.ndarray:
        Q, K, V = X @ W_Q, X @ W_K, X @ W_V
        scores = Q @ K.T / np.sqrt(_D)  # (n, n)
        if causal:
            scores = np.where(np.tril(np.ones((len(X), len(X)), dtype=bool)), scores, -np.inf)
        weights = softmax(scores)
        # the weighted sum over keys, added up in key order: shuffling the keys changes the
        # order of the additions, so results agree only up to rounding (as in any real layer)
        return (weights[:, :, None] * V[None, :, :]).sum(axis=1)  # (n, d)

    return {
        "self-attention": attend,
        "np.tanh on each token": np.tanh,
        "causal self-attention": lambda X: attend(X, causal=True),
        "self-attention after adding a position vector to each place": lambda X: attend(X + positions),
        "a running mean over the tokens": lambda X: np.cumsum(X, axis=0) / np.arange(1, len(X) + 1)[:, None],
    }


_WHY = {
    "self-attention": "every token's output depends on its own vector and on the set of all tokens, "
    "not on where they sit, so shuffling the tokens only shuffles the outputs",
    "np.tanh on each token": "each output row depends on its own token alone",
    "causal self-attention": "the mask lets each place see only the places before it, so after a "
    "shuffle a token sees different tokens",
    "self-attention after adding a position vector to each place": "a token moved to a new place "
    "gets a different position vector added, so its output changes",
    "a running mean over the tokens": "the mean up to a place depends on which tokens come before it",
}


def _equivariance_cases() -> list[tuple[str, str, np.ndarray, bool]]:
    """(layer name, description, perm, right answer) for each test the checker runs."""
    return [
        ("self-attention", "a cycle of all 5 tokens", _CYCLE, True),
        ("self-attention", "a swap of the first two tokens", _SWAP, True),
        ("np.tanh on each token", "a cycle of all 5 tokens", _CYCLE, True),
        ("causal self-attention", "a cycle of all 5 tokens", _CYCLE, False),
        ("self-attention after adding a position vector to each place", "a swap of the first two tokens",
         _SWAP, False),
        ("a running mean over the tokens", "a cycle of all 5 tokens", _CYCLE, False),
    ]


def _equivariance_mistakes() -> dict[str, Callable]:
    """Known wrong tests (learner's signature), each with the advice that fixes it."""
    return {
        "your test says that not even self-attention or np.tanh on each token is equivariant. After "
        "the shuffle the outputs come out in the new order: compare layer(X[perm]) with layer(X)[perm], "
        "not with layer(X).": lambda layer, X, perm: bool(np.allclose(layer(X[perm]), layer(X))),
        "your test says every layer is equivariant, even causal attention and a running mean, where "
        "order matters. Compare the output of the shuffled tokens, layer(X[perm]), with the shuffled "
        "output, layer(X)[perm]; do not shuffle both inputs (or both outputs).":
            lambda layer, X, perm: True,
        "your test works for a swap of two tokens but not for a cycle of five: one side uses the "
        "inverse permutation (np.argsort(perm) undoes perm). Use the same perm on both sides: "
        "layer(X[perm]) against layer(X)[perm].":
            lambda layer, X, perm: bool(np.allclose(layer(X[perm]), layer(X)[np.argsort(perm)])),
        "your test passes np.tanh but rejects self-attention: it asks for exact equality. Self-attention "
        "adds the weighted values in a different order after a shuffle, so the results agree only up to "
        "rounding (about 1e-16); compare with np.allclose(a, b).":
            lambda layer, X, perm: bool(np.array_equal(layer(X[perm]), layer(X)[perm])),
    }


def _as_verdict(value) -> tuple[bool | None, Feedback | None]:
    """The learner's answer as True/False, or a Feedback saying why it is not a yes/no answer."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value), None
    if hasattr(value, "detach") and getattr(value, "ndim", None) == 0 and str(value.dtype) == "torch.bool":
        return bool(value), None  # a 0-d torch bool, e.g. from (a == b).all()
    shape = getattr(value, "shape", None)
    if shape is not None and len(shape) > 0:
        return None, Feedback(False, f"your test returned an array of shape {tuple(shape)} (one comparison "
                              "per number); reduce it to one answer with np.allclose(a, b).")
    if isinstance(value, (int, float, np.number)) or (shape is not None and len(shape) == 0):
        return None, Feedback(False, f"your test returned the number {float(value):.3g}; return True or False, e.g. "
                              "np.allclose(layer(X[perm]), layer(X)[perm]), not a difference.")
    return None, Feedback(False, f"your test returned a {type(value).__name__}; it must return True or "
                          "False (np.allclose(...) gives one).")


def check_equivariance_test(fn) -> Feedback:
    """Check a learner's ``fn(layer, X, perm) -> bool``: True when ``layer`` ignores the order of tokens.

    The test is right when it answers ``layer(X[perm])`` equals ``layer(X)[perm]`` up to
    rounding: True for self-attention and a per-token layer, False for layers that use order.
    """
    layers = _equivariance_layers()
    X = np.random.default_rng(7).normal(size=(_N, _D))  # (n, d)
    answers = []
    for name, _, perm, _ in _equivariance_cases():
        result, problem = call_learner(fn, layers[name], X.copy(), perm.copy(), name="your test")
        if problem:
            if "raised IndexError" in problem.message:
                return Feedback(False, problem.message + " perm reorders the tokens, which are the rows: "
                                "X[perm], not X[:, perm].")
            return problem
        verdict, problem = _as_verdict(result)
        if problem:
            return problem
        answers.append(verdict)
    expected = [right for *_, right in _equivariance_cases()]
    if answers == expected:
        return Feedback(True, "your test accepts self-attention and a per-token layer, and catches causal "
                        "attention, position vectors and a running mean, which all depend on order.")
    for message, mistake in _equivariance_mistakes().items():
        pattern = [mistake(layers[name], X.copy(), perm) for name, _, perm, _ in _equivariance_cases()]
        if pattern == answers:
            return Feedback(False, message)
    for (name, description, _, right), got in zip(_equivariance_cases(), answers, strict=True):
        if got != right:
            return Feedback(False, f"for {name} and {description} your test answered {got}, but the "
                            f"right answer is {right}: {_WHY[name]}. The test is "
                            "np.allclose(layer(X[perm]), layer(X)[perm]).")
    return Feedback(False, "your test gives a wrong answer for some layer; the test is "
                    "np.allclose(layer(X[perm]), layer(X)[perm]).")  # not reached: some answer differs
