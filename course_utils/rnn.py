"""Recurrent layers as functions of their input, for measuring how far a gradient reaches.

Each builder returns a ``SequenceModel``: ``x (length, d) -> hidden states (length, hidden)``,
fresh from PyTorch's default initialisation (seeded), computed in float64 so that gradients
of 1e-30 do not underflow. ``course_utils.gradients`` measures them (notebooks 01 and 03).

- ``tanh_rnn``: the vanilla cell of notebook 01, ``h_t = tanh(W_x x_t + W_h h_{t-1} + b)``;
- ``lstm`` and ``gru``: gated cells whose gate bias can start "open" (keep the old state).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from course_utils._validate import describe, float_tensor, positive_float, require, size
from course_utils._validate import seed as valid_seed

__all__ = ["SequenceModel", "gru", "lstm", "tanh_rnn"]


def _number(value, name: str) -> float:
    """A finite number of either sign (a gate bias), or a clear TypeError/ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{name} must be a number; got {describe(value)}. Pass e.g. {name}=3.0.")
    try:
        number = float(value)
    except OverflowError:
        number = float("inf")
    require(np.isfinite(number), f"{name} must be a finite number; got {describe(value)}.")
    return number


class SequenceModel:
    """A recurrent layer as a function ``x (length, d) -> hidden states (length, hidden)``."""

    def __init__(self, module: nn.Module, name: str):
        self.module = module
        self.name = name
        for p in module.parameters():
            p.requires_grad_(False)  # we differentiate with respect to the input only

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Hidden states (length, hidden) for ``x`` (length, d), or batched: (length, batch, d).

        Computed in float64, so that gradients of 1e-30 do not underflow. NaN or inf in ``x``
        pass through to the states (the layer does not check its input's values).
        """
        x = float_tensor(x, "x", ndim=(2, 3), like=torch.float64, finite=False)
        require(
            x.shape[-1] == self.d,
            f"{self.name} expects x of shape (length, {self.d}) or (length, batch, {self.d}); "
            f"got {tuple(x.shape)}",
        )
        out, _ = self.module(x)
        return out

    @property
    def d(self) -> int:
        return self.module.input_size

    def __repr__(self) -> str:
        return f"{self.name}(d={self.module.input_size}, hidden={self.module.hidden_size})"


def _build(kind: str, d: int, hidden: int, seed_: int) -> nn.Module:
    d, hidden, seed_ = size(d, "d", 4096), size(hidden, "hidden", 4096), valid_seed(seed_)
    with torch.random.fork_rng(devices=[]):  # do not disturb the notebook's random stream
        torch.manual_seed(seed_)
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
        radius_wanted = positive_float(spectral_radius, "spectral_radius")
        with torch.no_grad():
            w = module.weight_hh_l0
            w.mul_(radius_wanted / torch.linalg.eigvals(w).abs().max())
    return SequenceModel(module, "tanh_rnn")


def lstm(d: int, seed: int = 0, hidden: int = 32, forget_bias: float = 3.0) -> SequenceModel:
    """An LSTM whose forget gate starts open: bias ``forget_bias`` (σ(3) ≈ 0.95 kept per step).

    The cell state is updated additively, ``c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t``, so while the
    forget gate stays near 1 the gradient travels back through many steps. With
    ``forget_bias=0`` (the mean of PyTorch's default initialisation, which draws
    biases near 0) the gate starts at σ(0) = 0.5 and the gradient vanishes too.
    """
    forget_bias = _number(forget_bias, "forget_bias")
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
    update_bias = _number(update_bias, "update_bias")
    module = _build("gru", d, hidden, seed)
    with torch.no_grad():  # gate order in PyTorch: reset, update, new
        for bias in (module.bias_ih_l0, module.bias_hh_l0):
            bias[hidden : 2 * hidden] = update_bias / 2
    return SequenceModel(module, "gru")
