"""Counting and measuring what attention costs: FLOPs, bytes, time and peak memory vs n.

- ``attention_flops`` / ``score_matrix_bytes``: the counts (about 4·n²·d_k FLOPs per head,
  n² entries in the score matrix).
- ``time_call``: warm-up, then repeats; returns the median time of one call.
- ``peak_memory``: the most extra memory held at any moment during one call. On CUDA it
  reads ``torch.cuda.max_memory_allocated``; on CPU, which has no peak counter, it replays
  the allocator's own allocation and free events recorded by ``torch.profiler``.
- ``fit_exponent``: the slope p of log(y) = p·log(n) + c, the "n^p" of a measurement.

The same calls work on CPU and CUDA: the device is the one the tensors live on.
"""

from __future__ import annotations

import math
import os
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

__all__ = [
    "attention_flops",
    "fit_exponent",
    "layer_flops",
    "make_qkv",
    "matmul_gflops",
    "measure",
    "peak_memory",
    "score_matrix_bytes",
    "time_call",
]


def _positive_int(value: Any, name: str) -> int:
    """``value`` as an int, or a ValueError that says what a valid value looks like."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive whole number, got {value!r}")
    return int(value)


def attention_flops(n: int, d_k: int, heads: int = 1) -> int:
    """FLOPs of Q·Kᵀ plus weights·V for n tokens: 2·n²·d_k each, so 4·n²·d_k per head."""
    n, d_k, heads = (_positive_int(x, name) for x, name in ((n, "n"), (d_k, "d_k"), (heads, "heads")))
    return 4 * n * n * d_k * heads


def score_matrix_bytes(n: int, bytes_per_value: int = 4, heads: int = 1, layers: int = 1) -> int:
    """Bytes of the n×n score matrix (fp32: 4 bytes a value, fp16: 2), per head and layer given."""
    n = _positive_int(n, "n")
    for x, name in ((bytes_per_value, "bytes_per_value"), (heads, "heads"), (layers, "layers")):
        _positive_int(x, name)
    return n * n * bytes_per_value * heads * layers


def layer_flops(n: int, d_model: int, d_ff: int | None = None) -> dict[str, int]:
    """FLOPs of one Transformer layer on n tokens, split into its n²·d and n·d² parts.

    ``attention``: Q·Kᵀ and weights·V over all heads (4·n²·d_model); ``projections``: the four
    d×d matrices W_Q, W_K, W_V, W_O (8·n·d²); ``ffn``: two dense layers (4·n·d·d_ff, d_ff = 4d
    unless given).
    """
    n, d_model = _positive_int(n, "n"), _positive_int(d_model, "d_model")
    d_ff = 4 * d_model if d_ff is None else _positive_int(d_ff, "d_ff")
    return {
        "attention": 4 * n * n * d_model,
        "projections": 8 * n * d_model * d_model,
        "ffn": 4 * n * d_model * d_ff,
    }


def make_qkv(
    n: int, d_k: int = 64, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random q, k, v of shape (1, 1, n, d_k): one sequence, one head (seeded by the caller)."""
    n, d_k = _positive_int(n, "n"), _positive_int(d_k, "d_k")
    return tuple(torch.randn(1, 1, n, d_k, device=device, dtype=dtype) for _ in range(3))


def _device_of(args: Sequence[Any]) -> torch.device:
    """The device of the first tensor among ``args`` (CPU when there is none)."""
    for a in args:
        if isinstance(a, torch.Tensor):
            return a.device
    return torch.device("cpu")


def _sync(device: torch.device) -> None:
    """Wait for queued GPU work, so a timer measures the work and not just its launch."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _time_calls(fn: Callable, args: Sequence[Any], number: int) -> float:
    """Seconds per call of ``fn(*args)``, averaged over ``number`` back-to-back calls."""
    device = _device_of(args)
    _sync(device)
    start = time.perf_counter()
    for _ in range(number):
        fn(*args)
    _sync(device)
    return (time.perf_counter() - start) / number


def _calls_per_repeat(fn: Callable, args: Sequence[Any], min_repeat_s: float, warmup: int = 1) -> int:
    """Warm up with ``warmup`` calls, time one more; return how many calls last ≥ ``min_repeat_s``."""
    for _ in range(warmup):
        fn(*args)
    one = _time_calls(fn, args, 1)
    return max(1, math.ceil(min_repeat_s / max(one, 1e-9)))


def time_call(fn: Callable, *args: Any, warmup: int = 1, repeats: int = 5, min_repeat_s: float = 0.005) -> float:
    """Median seconds of one ``fn(*args)``: ``warmup`` untimed calls, then ``repeats`` timed repeats.

    A repeat calls ``fn`` as often as needed to last about ``min_repeat_s`` (like ``timeit``),
    so short calls are not lost in the timer's resolution.
    """
    if not callable(fn):
        raise TypeError(f"time_call needs a function to call, got {type(fn).__name__}")
    warmup, repeats = int(warmup), _positive_int(repeats, "repeats")
    if warmup < 0:
        raise ValueError(f"warmup must be 0 or more, got {warmup}")
    number = _calls_per_repeat(fn, args, min_repeat_s, warmup)
    return statistics.median(_time_calls(fn, args, number) for _ in range(repeats))


def _cpu_peak_bytes(fn: Callable, args: Sequence[Any]) -> int:
    """Peak of (bytes allocated − bytes freed) during ``fn(*args)``, from the profiler's memory events."""
    from torch.profiler import ProfilerActivity, profile

    os.environ.setdefault("KINETO_LOG_LEVEL", "10")  # keep the profiler's start/stop lines off stderr
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn(*args)
    events = [e for e in prof.profiler.kineto_results.events() if e.name() == "[memory]"]
    events = [e for e in events if e.device_type() == torch.autograd.DeviceType.CPU]
    live = peak = 0
    for e in sorted(events, key=lambda e: e.start_ns()):
        live += e.nbytes()  # positive for an allocation, negative for a free
        peak = max(peak, live)
    return peak


def peak_memory(fn: Callable, *args: Any) -> int:
    """The most extra bytes held at any moment while ``fn(*args)`` runs (its result included).

    CUDA: ``torch.cuda.max_memory_allocated`` minus what was allocated before. CPU: the
    allocations and frees that ``torch.profiler`` records, replayed in order. Inputs that
    exist before the call are not counted.
    """
    if not callable(fn):
        raise TypeError(f"peak_memory needs a function to call, got {type(fn).__name__}")
    device = _device_of(args)
    if device.type == "cuda":
        _sync(device)
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
        fn(*args)
        _sync(device)
        return int(torch.cuda.max_memory_allocated(device) - before)
    return _cpu_peak_bytes(fn, args)


def fit_exponent(ns: Sequence[float], values: Sequence[float], min_n: float = 0) -> float:
    """Slope p of the least-squares line log(value) = p·log(n) + c, over the points with n ≥ min_n."""
    ns_arr, vals = np.asarray(ns, dtype=float), np.asarray(values, dtype=float)
    if ns_arr.shape != vals.shape or ns_arr.ndim != 1:
        raise ValueError(f"ns and values must be two lists of equal length, got {ns_arr.shape} and {vals.shape}")
    keep = ns_arr >= min_n
    if keep.sum() < 2:
        raise ValueError(f"need at least two points with n ≥ {min_n} to fit a line, got {int(keep.sum())}")
    if (ns_arr[keep] <= 0).any() or (vals[keep] <= 0).any():
        raise ValueError("every n and every value must be positive to take logarithms")
    slope, _ = np.polyfit(np.log(ns_arr[keep]), np.log(vals[keep]), 1)
    return float(slope)


def measure(
    fn: Callable,
    ns: Sequence[int],
    d_k: int = 64,
    *,
    device: str | torch.device = "cpu",
    repeats: int = 3,
    time_it: bool = True,
    memory: bool = True,
) -> dict[str, list]:
    """Run ``fn(q, k, v)`` at each n; return {"n", "seconds", "peak_bytes"} (lists, one entry per n).

    Timing is interleaved: each of the ``repeats`` rounds times every n once, so a burst of load
    from another program slows all sizes alike instead of bending the curve; the median round wins.
    """
    repeats = _positive_int(repeats, "repeats")
    inputs = [make_qkv(n, d_k, device=device) for n in ns]
    seconds = [math.nan] * len(inputs)
    if time_it:
        rounds: list[list[float]] = [[] for _ in inputs]
        numbers = [0] * len(inputs)
        for i, qkv in enumerate(inputs):  # warm-up, and how many calls make a repeat ≥ 5 ms
            numbers[i] = _calls_per_repeat(fn, qkv, 0.005)
        for _ in range(repeats):
            for i, qkv in enumerate(inputs):
                rounds[i].append(_time_calls(fn, qkv, numbers[i]))
        seconds = [statistics.median(r) for r in rounds]
    peaks = [peak_memory(fn, *qkv) if memory else 0 for qkv in inputs]
    return {"n": [int(n) for n in ns], "seconds": seconds, "peak_bytes": peaks}


def matmul_gflops(n: int = 1024, device: str | torch.device = "cpu", repeats: int = 5) -> float:
    """This machine's speed at its best-case job, an n×n by n×n float32 matmul (2·n³ FLOPs), in GFLOP/s."""
    n = _positive_int(n, "n")
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    return 2 * n**3 / time_call(torch.matmul, a, b, repeats=repeats) / 1e9
