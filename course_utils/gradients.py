"""How strongly the last output of a sequence model depends on the first input token.

The measurement: for a random input sequence ``x`` of shape ``(length, d)`` and a model
``y = model(x)`` of shape ``(length, d_out)``, the size of the Jacobian ``∂y_last/∂x_1``
(its Frobenius norm, i.e. the gradient norm summed over every output feature). In a
recurrent network the signal from token 1 to the last position passes through
``length - 1`` recurrent steps; we call that number the *distance*.

Any callable with that signature can be measured: the RNNs built here (``tanh_rnn``,
``lstm``, ``gru``) and, in notebook 03, a self-attention layer.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable

import numpy as np
import torch
from torch import nn

__all__ = [
    "SequenceModel",
    "gradient_norm_to_first_token",
    "gradient_norms_by_distance",
    "gru",
    "lstm",
    "tanh_rnn",
]

SequenceFn = Callable[[torch.Tensor], torch.Tensor]


def _positive_int(value, name: str) -> int:
    """``value`` as an int, or a ValueError saying that a positive whole number is needed."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive whole number, got {value!r}")
    return int(value)


def _non_negative_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a whole number ≥ 0, got {value!r}")
    return int(value)


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
    length = _positive_int(length, "length")
    d = _positive_int(d, "d")
    n_trials = _positive_int(n_trials, "n_trials")
    seed = _non_negative_int(seed, "seed")
    gen = torch.Generator().manual_seed(seed)
    xs = [torch.randn(length, d, generator=gen) for _ in range(n_trials)]  # each (length, d)
    if isinstance(model, SequenceModel):  # fast path: every trial and output feature in one batch
        return _batched_norm(model, xs)
    norms = []
    for x in xs:
        x = x.requires_grad_(True)
        y = model(x)
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
            f"model_factory must be a function that builds a model, got a {type(model_factory).__name__}; "
            "e.g. lambda seed: tanh_rnn(d=8, seed=seed)"
        )
    distances = [_non_negative_int(k, "every distance") for k in distances]
    if not distances:
        raise ValueError("distances is empty: give at least one distance, e.g. [1, 10, 50]")
    d = _positive_int(d, "d")
    seed = _non_negative_int(seed, "seed")
    try:
        takes_seed = bool(inspect.signature(model_factory).parameters)
    except (TypeError, ValueError):  # builtins without a signature
        takes_seed = True
    model = model_factory(seed) if takes_seed else model_factory()
    return np.array(
        [
            gradient_norm_to_first_token(model, k + 1, d, n_trials=n_trials, seed=seed)
            for k in distances
        ]
    )


class SequenceModel:
    """A recurrent layer as a function ``x (length, d) -> hidden states (length, hidden)``."""

    def __init__(self, module: nn.Module, name: str):
        self.module = module
        self.name = name
        for p in module.parameters():
            p.requires_grad_(False)  # we differentiate with respect to the input only

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Hidden states for ``x`` of shape (length, d) -> (length, hidden), or batched (length, batch, d)."""
        if not isinstance(x, torch.Tensor) or x.ndim not in (2, 3):
            raise ValueError(
                f"{self.name} expects a tensor of shape (length, d), got {getattr(x, 'shape', x)!r}"
            )
        # computed in float64 so that gradients of 1e-30 do not underflow to zero
        out, _ = self.module(x.to(torch.float64))
        return out

    def __repr__(self) -> str:
        return f"{self.name}(d={self.module.input_size}, hidden={self.module.hidden_size})"


def _build(kind: str, d: int, hidden: int, seed: int) -> nn.Module:
    d = _positive_int(d, "d")
    hidden = _positive_int(hidden, "hidden")
    seed = _non_negative_int(seed, "seed")
    with torch.random.fork_rng(devices=[]):  # do not disturb the notebook's random stream
        torch.manual_seed(seed)
        if kind == "rnn":
            module = nn.RNN(d, hidden, nonlinearity="tanh")
        elif kind == "lstm":
            module = nn.LSTM(d, hidden)
        else:
            module = nn.GRU(d, hidden)
    return module.double()


def tanh_rnn(
    d: int, seed: int = 0, hidden: int = 32, spectral_radius: float | None = None
) -> SequenceModel:
    """A vanilla RNN, ``h_t = tanh(W_x x_t + W_h h_{t-1} + b)``, as a function of the input.

    Weights use PyTorch's default initialisation; ``spectral_radius`` rescales ``W_h`` so its
    largest |eigenvalue| equals that number (below 1 gradients shrink faster, above 1 the
    tanh saturates).
    """
    module = _build("rnn", d, hidden, seed)
    if spectral_radius is not None:
        if (
            isinstance(spectral_radius, bool)
            or not isinstance(spectral_radius, (int, float))
            or spectral_radius <= 0
        ):
            raise ValueError(f"spectral_radius must be a positive number, got {spectral_radius!r}")
        with torch.no_grad():
            w = module.weight_hh_l0
            radius = torch.linalg.eigvals(w).abs().max()
            w.mul_(spectral_radius / radius)
    return SequenceModel(module, "tanh_rnn")


def lstm(d: int, seed: int = 0, hidden: int = 32, forget_bias: float = 3.0) -> SequenceModel:
    """An LSTM whose forget gate starts open: bias ``forget_bias`` (σ(3) ≈ 0.95 kept per step).

    The cell state is updated additively, ``c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t``, so while the
    forget gate stays near 1 the gradient travels back through many steps. With
    ``forget_bias=0`` (the mean of PyTorch's default initialisation, which draws
    biases near 0) the gate starts at σ(0) = 0.5 and the gradient vanishes too.
    """
    if isinstance(forget_bias, bool) or not isinstance(forget_bias, (int, float)):
        raise ValueError(f"forget_bias must be a number, got {forget_bias!r}")
    module = _build("lstm", d, hidden, seed)
    with torch.no_grad():  # gate order in PyTorch: input, forget, cell, output
        for bias in (module.bias_ih_l0, module.bias_hh_l0):
            bias[hidden : 2 * hidden] = forget_bias / 2
    return SequenceModel(module, "lstm")


def gru(d: int, seed: int = 0, hidden: int = 32, update_bias: float = 3.0) -> SequenceModel:
    """A GRU whose update gate starts near "keep the old state": ``h_t = (1-z)⊙n + z⊙h_{t-1}``.

    The gate's two biases are set to ``update_bias / 2`` each, so z starts near σ(update_bias)
    (0.95 for 3). PyTorch's default initialisation draws them near 0 (z ≈ 0.5), with which the
    gradient vanishes almost as fast as a tanh RNN's.
    """
    if isinstance(update_bias, bool) or not isinstance(update_bias, (int, float)):
        raise ValueError(f"update_bias must be a number, got {update_bias!r}")
    module = _build("gru", d, hidden, seed)
    with torch.no_grad():  # gate order in PyTorch: reset, update, new
        for bias in (module.bias_ih_l0, module.bias_hh_l0):
            bias[hidden : 2 * hidden] = update_bias / 2
    return SequenceModel(module, "gru")
