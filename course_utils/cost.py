"""What attention costs (notebook 07): counting it, measuring it, and computing it in tiles.

Counting
    ``attention_flops`` (about 4·n²·d_k FLOPs per head), ``layer_flops`` (a whole layer's n²·d
    and n·d² parts), ``score_matrix_bytes`` (n² numbers per head and layer) and its inverse
    ``max_context`` (the longest context whose score matrix fits a memory budget).
Measuring
    ``time_call`` and ``measure`` (medians of interleaved repeats, CPU time on one CPU thread),
    ``peak_memory`` (the most extra bytes held during one call), ``fit_exponent`` and
    ``extrapolate`` (the power law n^p on log–log axes), ``matmul_gflops`` (the machine's
    best case) and ``make_qkv`` (random inputs).
Computing
    ``naive_attention``: notebook 04's ``attention_torch``, which holds the n×n matrices;
    ``tiled_attention``: the same result over blocks of keys with an online softmax (the idea
    of FlashAttention), never holding n×n.

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

from course_utils import _validate as val
from course_utils.attention import attention_torch

__all__ = [
    "attention_flops",
    "extrapolate",
    "fit_exponent",
    "layer_flops",
    "make_qkv",
    "matmul_gflops",
    "max_context",
    "measure",
    "naive_attention",
    "peak_memory",
    "score_matrix_bytes",
    "tiled_attention",
    "time_call",
]

MAX_REPEATS = 1000  # timing repeats; more would run for minutes
MAX_ENTRIES = 2**31  # numbers in one tensor that make_qkv makes (8 GiB in float32)

# ---------------------------------------------------------------------------------------------
# Counting


def attention_flops(n: int, d_k: int, heads: int = 1) -> int:
    """FLOPs of Q·Kᵀ plus weights·V for n tokens: 2·n²·d_k each, so 4·n²·d_k per head."""
    n, d_k, heads = (
        val.positive_int(n, "n"),
        val.positive_int(d_k, "d_k"),
        val.positive_int(heads, "heads"),
    )
    return 4 * n * n * d_k * heads


def score_matrix_bytes(n: int, bytes_per_value: int = 4, heads: int = 1, layers: int = 1) -> int:
    """Bytes of the n×n score matrix (fp32: 4 bytes a value, fp16: 2), per head and layer given."""
    n, bpv = val.positive_int(n, "n"), val.positive_int(bytes_per_value, "bytes_per_value")
    return n * n * bpv * val.positive_int(heads, "heads") * val.positive_int(layers, "layers")


def max_context(budget_bytes: int, bytes_per_value: int = 4) -> int:
    """The longest context whose one n×n score matrix fits: the largest n with n²·bytes ≤ budget."""
    budget = val.positive_int(budget_bytes, "budget_bytes")
    return math.isqrt(budget // val.positive_int(bytes_per_value, "bytes_per_value"))


def layer_flops(n: int, d_model: int, d_ff: int | None = None) -> dict[str, int]:
    """FLOPs of one Transformer layer on n tokens, split into its n²·d and n·d² parts.

    ``attention``: Q·Kᵀ and weights·V over all heads (4·n²·d_model); ``projections``: the four
    d×d matrices W_Q, W_K, W_V, W_O (8·n·d²); ``ffn``: two dense layers (4·n·d·d_ff, d_ff = 4d
    unless given).
    """
    n, d_model = val.positive_int(n, "n"), val.positive_int(d_model, "d_model")
    d_ff = 4 * d_model if d_ff is None else val.positive_int(d_ff, "d_ff")
    return {
        "attention": 4 * n * n * d_model,
        "projections": 8 * n * d_model * d_model,
        "ffn": 4 * n * d_model * d_ff,
    }


# ---------------------------------------------------------------------------------------------
# Computing: naive and tiled attention. q: (..., n, d_k), k: (..., n_k, d_k), v: (..., n_k, d_v)


def naive_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """softmax(q·kᵀ/√d_k)·v the textbook way, holding the full (n_q, n_k) score matrix.

    This is notebook 04's ``course_utils.attention.attention_torch``, its output only.
    """
    return attention_torch(q, k, v)[0]


def tiled_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, block: int = 128, trace: list | None = None
) -> torch.Tensor:
    """Exact attention over blocks of ``block`` keys with an online softmax; never holds n×n.

    Per query it keeps a running maximum ``m``, a running sum ``l`` of exp(score − m) and a
    running weighted sum ``acc`` of the values, and rescales both sums by exp(m − m_new)
    whenever a block raises the maximum (Milakov & Gimelshein 2018; Rabe & Staats 2021; Dao et
    al. 2022). The largest temporary is (n_q, block). Notebook 07 writes the same lines. For
    inference only (in-place updates, no gradients); a NaN in the input gives NaN in the output.
    A list passed as ``trace`` gets one dict per block (``start``, ``block_max``, ``m``,
    ``correction``, ``l``, each (..., n, 1)): 07's tiling figure is drawn from it.
    """
    block = val.tiled_qkv(q, k, v, block, trace)
    q = q / math.sqrt(q.shape[-1])  # (..., n, d_k) scaled once, not every block
    m = q.new_full(q.shape[:-1] + (1,), -math.inf)  # (..., n, 1) running maximum
    l = q.new_zeros(q.shape[:-1] + (1,))  # noqa: E741 - (..., n, 1) running sum of exp(score − m)
    acc = q.new_zeros(q.shape[:-1] + v.shape[-1:])  # (..., n, d_v) running weighted sum of values
    for start in range(0, k.shape[-2], block):
        s = q @ k[..., start : start + block, :].transpose(-2, -1)  # (..., n, block)
        block_max = s.amax(dim=-1, keepdim=True)  # (..., n, 1)
        m_new = torch.maximum(m, block_max)  # (..., n, 1)
        p = s.sub_(m_new).exp_()  # exp(s − m_new), in place: no second (n, block) matrix
        correction = torch.exp(m - m_new)  # (..., n, 1) re-expresses the old sums
        l = l.mul_(correction).add_(p.sum(dim=-1, keepdim=True))  # noqa: E741
        acc = acc.mul_(correction).add_(p @ v[..., start : start + block, :])  # (..., n, d_v)
        m = m_new
        if trace is not None:
            trace.append(
                dict(start=start, block_max=block_max, m=m, correction=correction, l=l.clone())
            )
    return acc / l  # (..., n, d_v)


# ---------------------------------------------------------------------------------------------
# Measuring


def make_qkv(
    n: int, d_k: int = 64, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random q, k, v of shape (1, 1, n, d_k): one sequence, one head (seeded by the caller)."""
    n, d_k = val.positive_int(n, "n"), val.positive_int(d_k, "d_k")
    val.require(
        n * d_k <= MAX_ENTRIES,
        f"n = {n} tokens × d_k = {d_k} is {n * d_k:,} numbers per tensor, more than this helper "
        f"makes ({MAX_ENTRIES:,}); choose a smaller n or d_k",
    )
    return tuple(torch.randn(1, 1, n, d_k, device=device, dtype=dtype) for _ in range(3))


def _function(fn: Any) -> None:
    """A TypeError unless ``fn`` can be called."""
    val.require(
        callable(fn),
        f"fn must be a function to call, e.g. fn=torch.matmul; got {val.describe(fn)}",
        TypeError,
    )


def _repeats(repeats: Any) -> int:
    """``repeats`` as an int from 1 to 1000 (more would run for minutes)."""
    repeats = val.positive_int(repeats, "repeats")
    val.require(repeats <= MAX_REPEATS, f"repeats must be at most {MAX_REPEATS}; got {repeats}")
    return repeats


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


def _clock(clock: str, device: torch.device) -> Callable[[], float]:
    """The timer: this process's CPU time ("cpu") or the wall clock ("wall"); "auto" picks.

    CPU time does not count the moments another program holds the core, so on a shared
    machine it is the steadier measure; it suits one torch thread on the CPU. "auto" takes it
    there and the wall clock otherwise (several threads add up their CPU times; a GPU works
    while the CPU waits).
    """
    clock = val.one_of(clock, "clock", ("auto", "cpu", "wall"))
    if clock == "auto":
        clock = "cpu" if device.type == "cpu" and torch.get_num_threads() == 1 else "wall"
    return time.process_time if clock == "cpu" else time.perf_counter


def _time_calls(fn: Callable, args: Sequence[Any], number: int, clock: str = "auto") -> float:
    """Seconds per call of ``fn(*args)``, averaged over ``number`` back-to-back calls."""
    device = _device_of(args)
    now = _clock(clock, device)
    _sync(device)
    start = now()
    for _ in range(number):
        fn(*args)
    _sync(device)
    return (now() - start) / number


def _calls_per_repeat(
    fn: Callable, args: Sequence[Any], min_repeat_s: float, warmup: int = 1, clock: str = "auto"
) -> int:
    """Warm up with ``warmup`` calls, time one more; how many calls last ≥ ``min_repeat_s``."""
    for _ in range(warmup):
        fn(*args)
    one = _time_calls(fn, args, 1, clock)
    return max(1, math.ceil(min_repeat_s / max(one, 1e-9)))


def time_call(
    fn: Callable,
    *args: Any,
    warmup: int = 1,
    repeats: int = 5,
    min_repeat_s: float = 0.005,
    clock: str = "auto",
) -> float:
    """Median seconds of one ``fn(*args)``: ``warmup`` untimed calls, then ``repeats`` timed ones.

    A repeat calls ``fn`` as often as needed to last about ``min_repeat_s`` (like ``timeit``),
    so short calls are not lost in the timer's resolution. ``clock``: see ``measure``.
    """
    _function(fn)
    warmup, repeats = val.non_negative_int(warmup, "warmup"), _repeats(repeats)
    val.require(warmup <= MAX_REPEATS, f"warmup must be at most {MAX_REPEATS}; got {warmup}")
    min_repeat_s = val.positive_float(min_repeat_s, "min_repeat_s", allow_zero=True)
    val.require(
        min_repeat_s <= 60, f"min_repeat_s must be at most 60 seconds; got {min_repeat_s:g}"
    )
    number = _calls_per_repeat(fn, args, min_repeat_s, warmup, clock)
    return statistics.median(_time_calls(fn, args, number, clock) for _ in range(repeats))


def _cpu_peak_bytes(fn: Callable, args: Sequence[Any]) -> int:
    """Peak of (bytes allocated − bytes freed) during ``fn(*args)``, from the profiler's events."""
    from torch.profiler import ProfilerActivity, profile

    os.environ.setdefault(
        "KINETO_LOG_LEVEL", "10"
    )  # keep the profiler's start/stop lines off stderr
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

    CUDA: ``torch.cuda.max_memory_allocated`` minus what was allocated before. CPU, which has
    no peak counter: ``torch.profiler`` records every allocation and free during the call, and
    we add them up in order, keeping the largest total. Inputs that exist before the call are
    not counted.
    """
    _function(fn)
    device = _device_of(args)
    if device.type == "cuda":
        _sync(device)
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
        fn(*args)
        _sync(device)
        return int(torch.cuda.max_memory_allocated(device) - before)
    return _cpu_peak_bytes(fn, args)


def _log_log_fit(ns: Sequence[float], values: Sequence[float], min_n: float) -> tuple[float, float]:
    """(p, c) of the least-squares line log(value) = p·log(n) + c over the points with n ≥ min_n."""
    ns_arr, vals = val.float_array(ns, "ns", ndim=1), val.float_array(values, "values", ndim=1)
    val.require(
        ns_arr.shape == vals.shape,
        f"ns and values must be two lists of equal length, got {ns_arr.shape} and {vals.shape}",
    )
    keep = ns_arr >= val.positive_float(min_n, "min_n", allow_zero=True)
    val.require(
        keep.sum() >= 2,
        f"need at least two points with n ≥ min_n = {min_n:g} to fit a line, got {int(keep.sum())}",
    )
    val.require(
        (ns_arr[keep] > 0).all() and (vals[keep] > 0).all(),
        "every n and every value must be positive to take logarithms",
    )
    val.require(len(set(ns_arr[keep])) >= 2, "need at least two different n to fit a line")
    p, c = np.polyfit(np.log(ns_arr[keep]), np.log(vals[keep]), 1)
    return float(p), float(c)


def fit_exponent(ns: Sequence[float], values: Sequence[float], min_n: float = 0) -> float:
    """Slope p of the least-squares line log(value) = p·log(n) + c through the points n ≥ min_n."""
    return _log_log_fit(ns, values, min_n)[0]


def extrapolate(
    ns: Sequence[float], values: Sequence[float], n_new: float, min_n: float = 0
) -> float:
    """The fitted power law c'·n^p (see ``fit_exponent``) evaluated at ``n_new``."""
    p, c = _log_log_fit(ns, values, min_n)
    return float(np.exp(p * np.log(val.positive_float(n_new, "n_new")) + c))


def measure(
    fn: Callable,
    ns: Sequence[int],
    d_k: int = 64,
    *,
    device: str | torch.device = "cpu",
    repeats: int = 3,
    time_it: bool = True,
    memory: bool = True,
    clock: str = "auto",
) -> dict[str, list]:
    """Run ``fn(q, k, v)`` at each n; return {"n", "seconds", "peak_bytes"}, lists with one per n.

    Timing is interleaved: each of the ``repeats`` rounds times every n once, so a burst of load
    from another program slows all sizes alike instead of bending the curve; the median round
    wins. ``clock="auto"`` times with this process's CPU time on one CPU thread (a core taken by
    another program does not count) and with the wall clock otherwise; "cpu" or "wall" force one.
    """
    _function(fn)
    repeats = _repeats(repeats)
    ns = val.instance_of(ns, "ns", (list, tuple, range, np.ndarray))
    flat = np.ndim(ns) == 1 if isinstance(ns, np.ndarray) else True
    val.require(
        flat, f"ns must be a flat list of lengths, e.g. [512, 1024]; got {val.describe(ns)}"
    )
    val.require(len(ns) > 0, "ns is empty; give at least one sequence length, e.g. ns=[512, 1024]")
    ns = [val.positive_int(n, f"ns[{i}]") for i, n in enumerate(ns)]
    inputs = [make_qkv(n, d_k, device=device) for n in ns]
    seconds = [math.nan] * len(inputs)
    if time_it:
        numbers = [_calls_per_repeat(fn, qkv, 0.005, clock=clock) for qkv in inputs]  # warm-up too
        rounds: list[list[float]] = [[] for _ in inputs]
        for _ in range(repeats):
            for i, qkv in enumerate(inputs):
                rounds[i].append(_time_calls(fn, qkv, numbers[i], clock))
        seconds = [statistics.median(r) for r in rounds]
    peaks = [peak_memory(fn, *qkv) if memory else 0 for qkv in inputs]
    return {"n": ns, "seconds": seconds, "peak_bytes": peaks}


def matmul_gflops(n: int = 1024, device: str | torch.device = "cpu", repeats: int = 5) -> float:
    """This machine's best case in GFLOP/s: an n×n by n×n float32 matmul (2·n³ FLOPs)."""
    n, repeats = val.positive_int(n, "n"), _repeats(repeats)
    val.require(n <= 16384, f"n must be at most 16384 (two n×n matrices); got {n}")
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    return 2 * n**3 / time_call(torch.matmul, a, b, repeats=repeats) / 1e9
