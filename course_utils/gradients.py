"""How strongly the last output of a sequence model depends on the first input token.

The measurement: for a random input sequence ``x`` of shape ``(length, d)`` and a model
``y = model(x)`` of shape ``(length, d_out)``, the size of the Jacobian ``∂y_last/∂x_1``
(its Frobenius norm, i.e. the gradient norm summed over every output feature). In a
recurrent network the signal from token 1 to the last position passes through
``length - 1`` recurrent steps; we call that number the *distance*.

Any callable with that signature can be measured: the RNNs of ``course_utils.rnn``
(``tanh_rnn``, ``lstm``, ``gru``; notebook 01) and, in notebook 03, a self-attention layer.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable

import numpy as np
import torch

from course_utils._validate import describe, size, whole_numbers
from course_utils._validate import seed as valid_seed
from course_utils.rnn import SequenceModel

__all__ = ["gradient_norm_to_first_token", "gradient_norms_by_distance"]

SequenceFn = Callable[[torch.Tensor], torch.Tensor]


def _sizes(length, d, n_trials, seed) -> tuple[int, int, int, int]:
    """The measurement's sizes, checked (sequences up to 10,000 steps, 1,000 trials)."""
    return (
        size(length, "length", 10_000),
        size(d, "d", 4096),
        size(n_trials, "n_trials", 1000),
        valid_seed(seed),
    )


def gradient_norm_to_first_token(
    model: SequenceFn, length: int, d: int, n_trials: int = 8, seed: int = 0
) -> float:
    """Mean over ``n_trials`` random inputs of ‖∂y_last/∂x_1‖ (Frobenius norm of the Jacobian).

    ``x`` is a standard-normal ``(length, d)`` sequence drawn from a generator seeded with
    ``seed``; ``model(x)`` must return a ``(length, d_out)`` tensor. The distance from token 1
    to the last position is ``length - 1``.
    """
    if not callable(model):
        raise TypeError(
            f"model must be a function x -> y, got a {type(model).__name__}; "
            "pass e.g. tanh_rnn(d=8, seed=0), not its output"
        )
    length, d, n_trials, seed = _sizes(length, d, n_trials, seed)
    gen = torch.Generator().manual_seed(seed)
    xs = [torch.randn(length, d, generator=gen) for _ in range(n_trials)]  # each (length, d)
    if isinstance(model, SequenceModel):  # fast path: every trial and output feature in one batch
        return _batched_norm(model, xs)
    norms = []
    for x in xs:
        x = x.requires_grad_(True)
        try:
            y = model(x)
        except Exception as exc:
            raise ValueError(
                f"model(x) raised {type(exc).__name__} for x of shape {(length, d)}: {exc}. The "
                "model must map a (length, d) sequence to one output per position, (length, d_out)"
            ) from exc
        if not isinstance(y, torch.Tensor):
            raise TypeError(
                f"model(x) returned a {type(y).__name__}; it must return a torch.Tensor "
                "of shape (length, d_out) so that autograd can follow it"
            )
        if y.ndim != 2 or y.shape[0] != length:
            raise ValueError(
                f"model(x) returned shape {tuple(y.shape)} for x of shape {(length, d)}: "
                "it must return one output vector per position, shape (length, d_out)"
            )
        if not y.requires_grad:
            raise ValueError(
                "model(x) does not depend on x through autograd (did it use .detach(), "
                "numpy or torch.no_grad()?), so its gradient cannot be measured"
            )
        y_last = y[-1]  # (d_out,)
        squared = 0.0
        for k in range(y_last.shape[0]):  # one backward pass per output feature
            (grad,) = torch.autograd.grad(y_last[k], x, retain_graph=True, allow_unused=True)
            if grad is not None:
                squared += float((grad[0].double() ** 2).sum())  # row 0 = ∂y_last[k]/∂x_1
        norms.append(squared**0.5)
    return float(np.mean(norms))


def _batched_norm(model: SequenceModel, xs: list[torch.Tensor]) -> float:
    """The same measurement for an RNN in one forward and one backward pass.

    Each trial's input is copied once per output feature k (the batch axis); summing
    ``y_last[k]`` of copy k and differentiating gives row k of the Jacobian in copy k, because
    the copies do not interact.
    """
    n_out = model.module.hidden_size
    x = torch.stack(xs, dim=1).repeat_interleave(n_out, dim=1)  # (length, trials * n_out, d)
    x = x.to(torch.float64).requires_grad_(True)
    y_last = model(x)[-1].reshape(len(xs), n_out, n_out)  # (trials, copy k, feature)
    (grad,) = torch.autograd.grad(y_last.diagonal(dim1=1, dim2=2).sum(), x)
    rows = grad[0].reshape(len(xs), n_out, -1)  # (trials, k, d): ∂y_last[k]/∂x_1 for each trial
    return float(rows.pow(2).sum(dim=(1, 2)).sqrt().mean())


def gradient_norms_by_distance(
    model_factory: Callable[..., SequenceFn],
    distances: Iterable[int],
    d: int,
    n_trials: int = 8,
    seed: int = 0,
) -> np.ndarray:
    """Gradient norm ‖∂y_last/∂x_1‖ at each distance (``length = distance + 1``), as an array.

    ``model_factory(seed)`` (or ``model_factory()`` if it takes no argument) builds the model
    once; the same model is then measured at every distance, each with ``n_trials`` inputs.
    """
    if not callable(model_factory):
        raise TypeError(
            "model_factory must be a function that builds a model, got a "
            f"{type(model_factory).__name__}; "
            "e.g. lambda seed: tanh_rnn(d=8, seed=seed)"
        )
    distances = whole_numbers(distances, "distances")
    _, d, n_trials, seed = _sizes(max(distances) + 1, d, n_trials, seed)
    try:
        takes_seed = bool(inspect.signature(model_factory).parameters)
    except (TypeError, ValueError):  # builtins without a signature
        takes_seed = True
    try:
        model = model_factory(seed) if takes_seed else model_factory()
    except Exception as exc:
        raise TypeError(
            f"model_factory raised {type(exc).__name__} ({exc}); it must be a function that "
            "builds a model, e.g. lambda seed: tanh_rnn(d=8, seed=seed)"
        ) from exc
    if not callable(model):
        raise TypeError(
            f"model_factory(seed) returned {describe(model)}, not a model; it must build and "
            "return one, e.g. lambda seed: tanh_rnn(d=8, seed=seed)"
        )
    return np.array(
        [
            gradient_norm_to_first_token(model, k + 1, d, n_trials=n_trials, seed=seed)
            for k in distances
        ]
    )
