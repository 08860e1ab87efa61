"""Checkers for the exercises of notebook 03: self-attention for every token at once, and a
permutation-equivariance test."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course_utils import _validate
from course_utils.attention import attention, softmax
from course_utils.checks._core import Feedback, call_learner, check_array_cases, checker
from course_utils.predict import Prediction

__all__ = [
    "CHAIN_LENGTH",
    "GRADIENT_DISTANCE",
    "PREDICTIONS",
    "check_equivariance_test",
    "check_self_attention",
    "equivariance_error",
]


# --- Exercise 1: self-attention for a whole sentence -----------------------------------------


def _cases() -> list[tuple[str, tuple]]:
    """Test inputs, the easy one first; d_k differs from the notebook's 4 in all but the first."""
    rng = np.random.default_rng(2024)

    def case(n: int, d_model: int, d_k: int, d_v: int) -> tuple:
        return (
            rng.normal(size=(n, d_model)),
            rng.normal(size=(d_model, d_k)),
            rng.normal(size=(d_model, d_k)),
            rng.normal(size=(d_model, d_v)),
        )

    return [
        ("3 tokens, d_model = d_k = d_v = 4", case(3, 4, 4, 4)),
        ("5 tokens, d_model = 6, d_k = 9, d_v = 3", case(5, 6, 9, 3)),
        ("7 tokens, d_model = 8, d_k = 16, d_v = 7", case(7, 8, 16, 7)),
        ("2 tokens, d_model = 3, d_k = 1, d_v = 2", case(2, 3, 1, 2)),
    ]


def _reference(X, W_Q, W_K, W_V) -> np.ndarray:
    """The package's attention on the projections: softmax(Q·Kᵀ/√d_k)·V."""
    return attention(X @ W_Q, X @ W_K, X @ W_V)[0]


def _typical_mistakes(X, W_Q, W_K, W_V) -> dict:
    """Known wrong answers, each with the advice that fixes it (the mistake table stays ours)."""
    Q, K, V = X @ W_Q, X @ W_K, X @ W_V
    n, d_model = X.shape
    d_k, d_v = W_Q.shape[1], W_V.shape[1]
    S = Q @ K.T
    return {
        "you divided by 2, the √d_k of 'Der schlaue Fuchs' (d_k = 4). Here d_k is "
        f"{d_k}: read it from the queries, d_k = Q.shape[1], instead of a fixed number or the "
        "notebook's d_k.": lambda: softmax(S / 2.0) @ V,
        "you returned the attention weights (n, n); the output is weights @ V.": lambda: softmax(
            S / np.sqrt(d_k)
        ),
        "the scores are not scaled: divide Q @ K.T by √d_k before the softmax.": lambda: (
            softmax(S) @ V
        ),
        "you divided by d_k; divide by its square root, np.sqrt(d_k).": lambda: (
            softmax(S / d_k) @ V
        ),
        "you scaled by √d_model (the width of X); use d_k, the width of the queries "
        "(Q.shape[1]).": lambda: softmax(S / np.sqrt(d_model)) @ V,
        "you scaled by √n (the number of tokens, Q.shape[0]); d_k is the width of the queries, "
        "Q.shape[1].": lambda: softmax(S / np.sqrt(n)) @ V,
        "you scaled by √d_v (the width of the values); use d_k, the width of the queries "
        "and keys (Q.shape[1]).": lambda: softmax(S / np.sqrt(d_v)) @ V,
        "the softmax runs over the wrong axis: each token's weights over the keys (one row) must "
        "sum to 1, so use axis=-1.": lambda: softmax(S / np.sqrt(d_k), axis=0) @ V,
        "the softmax normalises over the whole matrix at once; normalise each row (one query's "
        "weights over the keys) separately: softmax(scores, axis=-1).": lambda: (
            (e := np.exp(S / np.sqrt(d_k))) / e.sum() @ V
        ),
        "the softmax is missing: turn the scaled scores "
        "into weights that sum to 1 per row.": lambda: (S / np.sqrt(d_k)) @ V,
        "the values are not projected: use V = X @ W_V, not X itself.": lambda: (
            softmax(S / np.sqrt(d_k)) @ X
        ),
        "the keys use W_Q: compute K = X @ W_K.": lambda: softmax(Q @ Q.T / np.sqrt(d_k)) @ V,
        "the scores are K @ Q.T (keys × queries); they must be Q @ K.T, one row per "
        "query.": lambda: softmax(K @ Q.T / np.sqrt(d_k)) @ V,
        "you used the transposed weights (X @ W.T); the "
        "projections are X @ W_Q, X @ W_K, X @ W_V.": lambda: _reference(X, W_Q.T, W_K.T, W_V.T),
        "you multiplied the weights by V.T; the output is weights @ V (n, n) @ (n, d_v).": lambda: (
            softmax(S / np.sqrt(d_k)) @ V.T
        ),
    }


@checker("03")
def check_self_attention(fn) -> Feedback:
    """Check a learner's ``fn(X, W_Q, W_K, W_V) -> output`` on several shapes and d_k."""
    cases = _cases()
    problem = check_array_cases(
        fn,
        cases,
        _reference,
        _typical_mistakes,
        name="your self_attention",
        what="the output",
        shape_advice="one row per token, one column per value feature (n, d_v).",
        later_failure_advice="Which width is d_k? The queries' width, Q.shape[1], need not be "
        "the width of X.",
    )
    if problem is not None:
        return problem
    return Feedback(
        True,
        "your function lets every token attend to every token in one go, "
        "softmax(Q·Kᵀ/√d_k)·V with Q, K, V = X·W_Q, X·W_K, X·W_V, for every d_k tried "
        "(1, 4, 9 and 16).",
    )


# --- Exercise 2: a permutation-equivariance test ---------------------------------------------

_D = 4  # features of the checker's test tokens
_CYCLE = np.array([1, 2, 3, 4, 0])  # every token moves one place: not its own inverse
_SWAP = np.array([1, 0, 2, 3, 4])  # the first two tokens swap: its own inverse
_CYCLE7 = np.array([3, 4, 5, 6, 0, 1, 2])  # 7 tokens, every one moves
_SHUFFLE7 = np.array([5, 2, 6, 0, 3, 1, 4])
_NUDGE = 0.01  # size of the "almost equivariant" layer's position vectors


def equivariance_error(layer: Callable[[np.ndarray], np.ndarray], X, perm) -> float:
    """Largest difference between layer(X[perm]) and layer(X)[perm]; about 1e-16 when
    ``layer`` ignores the order of the tokens (rows of X)."""
    before, after, perm = _validate.layer_outputs(layer, X, perm)  # layer(X[perm]), layer(X)
    return float(np.abs(before - after[perm]).max())


def _equivariance_layers() -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    """Layers (n, d) -> (n, d) for the checker: some ignore token order, some do not."""
    rng = np.random.default_rng(2025)
    W_Q, W_K, W_V = (rng.normal(size=(_D, _D)) for _ in range(3))
    positions = rng.normal(size=(8, _D))  # one vector per place, as in notebook 06

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
        "self-attention after adding a position vector to each place": lambda X: attend(
            X + positions[: len(X)]
        ),
        "a running mean over the tokens": lambda X: (
            np.cumsum(X, axis=0) / np.arange(1, len(X) + 1)[:, None]
        ),
        "a layer that reverses the order of the tokens": lambda X: np.tanh(X[::-1]),
        # an output bias of 3 keeps every output far from 0, so a loose relative tolerance
        # (rtol=0.5) lets it through as well as a loose absolute one (atol=0.5)
        "self-attention after adding small position vectors (size 0.01)": lambda X: (
            attend(X + _NUDGE * positions[: len(X)]) + 3.0
        ),
    }


_WHY = {
    "self-attention": "every token's output depends on its own vector and on the set of all "
    "tokens, not on where they sit, so shuffling the tokens only shuffles the outputs",
    "np.tanh on each token": "each output row depends on its own token alone",
    "causal self-attention": "the mask lets each place see only the places before it, so after a "
    "shuffle a token sees different tokens",
    "self-attention after adding a position vector to each place": "a token moved to a new place "
    "gets a different position vector added, so its output changes",
    "a running mean over the tokens": "the mean up to a place depends on which tokens come "
    "before it",
    "a layer that reverses the order of the tokens": "its outputs are the same set of rows, but a "
    "token's output lands in the mirrored place, not in the token's new place",
    "self-attention after adding small position vectors (size 0.01)": "its outputs move by about "
    "0.01 to 0.1 after the shuffle: small, but far above rounding (about 1e-15). A loose "
    "tolerance such as atol=0.5 lets it through; np.allclose's default tolerance does not",
}


def _equivariance_cases() -> list[tuple[str, str, int, np.ndarray]]:
    """(layer name, description, number of tokens, perm) for each test the checker runs."""
    return [
        ("self-attention", "a cycle of all 5 tokens", 5, _CYCLE),
        ("self-attention", "a swap of the first two tokens", 5, _SWAP),
        ("np.tanh on each token", "a cycle of all 5 tokens", 5, _CYCLE),
        ("causal self-attention", "a cycle of all 5 tokens", 5, _CYCLE),
        (
            "self-attention after adding a position vector to each place",
            "a swap of the first two tokens",
            5,
            _SWAP,
        ),
        ("a running mean over the tokens", "a cycle of all 5 tokens", 5, _CYCLE),
        ("a layer that reverses the order of the tokens", "a cycle of all 5 tokens", 5, _CYCLE),
        (
            "self-attention after adding small position vectors (size 0.01)",
            "a cycle of all 7 tokens",
            7,
            _CYCLE7,
        ),
        ("self-attention", "a shuffle of 7 tokens", 7, _SHUFFLE7),
    ]


def _sentences() -> dict[int, np.ndarray]:
    """The checker's test tokens (n, d) for each number of tokens n."""
    rng = np.random.default_rng(7)
    return {n: rng.normal(size=(n, _D)) for n in (5, 7)}


def _right_answers() -> list[bool]:
    """The right verdict for each case, from the package's equivariance_error."""
    layers, sentences = _equivariance_layers(), _sentences()
    return [
        equivariance_error(layers[name], sentences[n], perm) <= 1e-9
        for name, _, n, perm in _equivariance_cases()
    ]


def _equivariance_mistakes() -> dict[str, Callable]:
    """Known wrong tests (learner's signature), each with the advice that fixes it."""
    return {
        "your test says that not even self-attention or np.tanh "
        "on each token is equivariant. After "
        "the shuffle the outputs come out in the new order: compare layer(X[perm]) with "
        "layer(X)[perm], not with layer(X).": lambda layer, X, perm: bool(
            np.allclose(layer(X[perm]), layer(X))
        ),
        "your test says every layer is equivariant, even causal "
        "attention and a running mean, where "
        "order matters. Compare the output of the shuffled "
        "tokens, layer(X[perm]), with the shuffled "
        "output, layer(X)[perm]; do not shuffle both "
        "inputs (or both outputs).": lambda layer, X, perm: True,
        "your test works for a swap of two tokens but not for a cycle of five: one side uses the "
        "inverse permutation (np.argsort(perm) undoes perm). Use the same perm on both sides: "
        "layer(X[perm]) against layer(X)[perm].": lambda layer, X, perm: bool(
            np.allclose(layer(X[perm]), layer(X)[np.argsort(perm)])
        ),
        "your test passes np.tanh but rejects self-attention: it asks for exact equality. "
        "Self-attention adds the weighted values in a different order after a shuffle, so the "
        "results agree only up to rounding (about 1e-16); "
        "compare with np.allclose(a, b).": lambda layer, X, perm: bool(
            np.array_equal(layer(X[perm]), layer(X)[perm])
        ),
        "your test compares the outputs as a set (sorted, summed "
        "or averaged over the tokens), so it "
        "accepts a layer that reverses the tokens: the same "
        "rows come out, but in the wrong places. "
        "Compare row by row: np.allclose(layer(X[perm]), layer(X)[perm]).": lambda layer, X, perm: (
            bool(np.allclose(np.sort(layer(X[perm]), axis=0), np.sort(layer(X), axis=0)))
        ),
        "your tolerance is too loose: your test accepts self-attention with small position vectors "
        "added, whose outputs move by about 0.01 to 0.1 when the tokens are shuffled. Rounding "
        "differences are about 1e-15; keep np.allclose's "
        "default tolerance (or atol ≤ 1e-6).": lambda layer, X, perm: bool(
            np.allclose(layer(X[perm]), layer(X)[perm], atol=0.5)
        ),
    }


def _as_verdict(value) -> tuple[bool | None, Feedback | None]:
    """The learner's answer as True/False, or a Feedback saying why it is not a yes/no answer."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value), None
    if (
        hasattr(value, "detach")
        and getattr(value, "ndim", None) == 0
        and str(value.dtype) == "torch.bool"
    ):
        return bool(value), None  # a 0-d torch bool, e.g. from (a == b).all()
    shape = getattr(value, "shape", None)
    if shape is not None and len(shape) > 0:
        return None, Feedback(
            False,
            f"your test returned an array of shape {tuple(shape)} (one "
            "comparison per number); reduce it to one answer with np.allclose(a, b).",
        )
    if isinstance(value, (int, float, np.number)) or (shape is not None and len(shape) == 0):
        try:
            shown = f"{float(value):.3g}"
        except (TypeError, ValueError, OverflowError):
            shown = type(value).__name__
        return None, Feedback(
            False,
            f"your test returned the number {shown}; return True or False, "
            "e.g. np.allclose(layer(X[perm]), layer(X)[perm]), not a difference.",
        )
    return None, Feedback(
        False,
        f"your test returned a {type(value).__name__}; it must return True "
        "or False (np.allclose(...) gives one).",
    )


@checker("03")
def check_equivariance_test(fn) -> Feedback:
    """Check a learner's ``fn(layer, X, perm) -> bool``: True when ``layer`` ignores token order.

    The test is right when it answers ``layer(X[perm])`` equals ``layer(X)[perm]`` up to
    rounding: True for self-attention and a per-token layer, False for layers that use order
    (causal attention, position vectors, a running mean, a layer that reverses the tokens, and
    one whose outputs move by only about 0.01).
    """
    layers, sentences = _equivariance_layers(), _sentences()
    answers = []
    for name, _, n, perm in _equivariance_cases():
        result, problem = call_learner(
            fn, layers[name], sentences[n].copy(), perm.copy(), name="your test"
        )
        if problem:
            if "IndexError" in problem.message:
                return Feedback(
                    False,
                    problem.message + " perm reorders the tokens, which are the "
                    "rows: X[perm], not X[:, perm].",
                )
            return problem
        verdict, problem = _as_verdict(result)
        if problem:
            return problem
        answers.append(verdict)
    expected = _right_answers()
    if answers == expected:
        return Feedback(
            True,
            "your test accepts self-attention and a per-token layer, and catches "
            "causal attention, position vectors (even small ones), a running mean and a "
            "layer that reverses the tokens, which all depend on order.",
        )
    for message, mistake in _equivariance_mistakes().items():
        try:
            pattern = [
                mistake(layers[name], sentences[n].copy(), perm)
                for name, _, n, perm in _equivariance_cases()
            ]
        except Exception:  # a mistake that cannot run on some case simply does not match
            continue
        if pattern == answers:
            return Feedback(False, message)
    for (name, description, _, _), got, right in zip(
        _equivariance_cases(), answers, expected, strict=True
    ):
        if got != right:
            return Feedback(
                False,
                f"for {name} and {description} your test answered {got}, but "
                f"the right answer is {right}: {_WHY[name]}. The test is "
                "np.allclose(layer(X[perm]), layer(X)[perm]).",
            )
    return Feedback(False, "your test gives a wrong answer for some layer.")  # not reached


# --- Predictions (asked before the experiment, revealed after it) -----------------------------

GRADIENT_DISTANCE = Prediction(
    id="03.gradient-distance",
    notebook="03",
    question=(
        "In a 51-token sentence, the output at distance k from token 1 is differentiated with "
        "respect to token 1. In self-attention, how does that gradient change as k goes from "
        "1 to 50?"
    ),
    choices={
        "exponential": "it falls exponentially, like the tanh RNN's",
        "steady": "it falls steadily, to a small fraction (about 1/50) of its size at distance 1",
        "flat": "it stays about the same (within a factor 4 of its size at distance 1)",
    },
    explanations={
        "exponential": "the RNN's gradient passes through k hidden states, one factor per step; "
        "in self-attention every output reads token 1's value directly, one step at any distance.",
        "steady": "that is what happens when the sentence grows with k (token 1's share of the "
        "attention is diluted like 1/n, see the deep dive); here the sentence is always 51 tokens "
        "long and only the distance changes.",
        "flat": "every output reads every token directly: the path from token 1 has length one "
        "whatever the distance, so nothing fades on the way.",
    },
    answer=lambda relative: (
        "flat"
        if min(relative) >= 0.25 and max(relative) <= 4
        else "exponential"
        if relative[-1] < 1e-3
        else "steady"
    ),
)

CHAIN_LENGTH = Prediction(
    id="03.chain-length",
    notebook="03",
    question=(
        "The longest chain of operations that must run one after another grows by 3 for every "
        "token in the RNN. What happens to self-attention's longest chain when the sentence "
        "grows from 8 to 512 tokens?"
    ),
    choices={
        "same": "it stays exactly the same",
        "log": "it grows slowly, like log n",
        "linear": "it grows like n, as the RNN's does",
    },
    explanations={
        "same": "every position goes through the same few matrix products (projections, Q·Kᵀ, "
        "softmax, weights·V); a longer sentence makes the matrices bigger, not the chain longer.",
        "log": "that is a convolution stack's path length (Vaswani et al.'s Table 1); "
        "self-attention needs no extra layers to connect distant tokens.",
        "linear": "only a recurrence makes step t wait for step t − 1; self-attention computes "
        "every position from the same inputs at once.",
    },
    answer=lambda chains: (
        "same" if len(set(chains)) == 1 else "linear" if chains[-1] >= 16 * chains[0] else "log"
    ),
)

PREDICTIONS = [GRADIENT_DISTANCE, CHAIN_LENGTH]
