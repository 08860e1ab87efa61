"""Unit tests of course_utils.cost: counts, fits, naive and tiled attention, memory and time."""

from __future__ import annotations

import math
import time

import pytest
import torch
import torch.nn.functional as F
from notebook_code import definitions

from course_utils.attention import attention_torch
from course_utils.cost import (
    attention_flops,
    extrapolate,
    fit_exponent,
    layer_flops,
    make_qkv,
    matmul_gflops,
    max_context,
    measure,
    naive_attention,
    peak_memory,
    score_matrix_bytes,
    tiled_attention,
    time_call,
)


def test_counts():
    assert attention_flops(1024, 64) == 4 * 1024**2 * 64
    assert attention_flops(10, 8, heads=3) == 3 * 4 * 100 * 8
    assert score_matrix_bytes(4096, 2) == 32 * 2**20  # 32 MiB at fp16
    assert score_matrix_bytes(100, 4, heads=2, layers=3) == 100 * 100 * 4 * 6
    f = layer_flops(3072, 512)
    assert f["attention"] == f["projections"] + f["ffn"]  # the parts are equal at n = 6·d


def test_max_context_inverts_score_matrix_bytes():
    assert max_context(32 * 2**20, 2) == 4096  # fills the budget exactly: still fits
    for budget, bpv in [(2 * 10**9, 4), (80 * 2**30, 2), (1, 1), (7, 2)]:
        n = max_context(budget, bpv)
        assert n * n * bpv <= budget < (n + 1) ** 2 * bpv
    with pytest.raises(ValueError, match="budget_bytes"):
        max_context(0, 2)


@pytest.mark.parametrize("bad", [0, -3])
def test_counts_reject_bad_n(bad):
    with pytest.raises(ValueError, match="n must be a whole number ≥ 1"):
        attention_flops(bad, 64)


@pytest.mark.parametrize("bad", [2.5, True, "8", None])
def test_counts_reject_non_integers(bad):
    with pytest.raises(TypeError, match="n must be a whole number"):
        attention_flops(bad, 64)


def test_fit_exponent_recovers_power_law_and_validates():
    ns = [128, 256, 512, 1024, 2048]
    assert fit_exponent(ns, [3 * n**2 for n in ns]) == pytest.approx(2.0)
    # a linear overhead bends the small-n end; fitting the large-n points recovers 2
    vals = [n**2 + 500 * n for n in ns]
    assert fit_exponent(ns, vals) < fit_exponent(ns, vals, min_n=1024)
    with pytest.raises(ValueError, match="at least two points"):
        fit_exponent(ns, vals, min_n=4096)
    with pytest.raises(ValueError, match="positive"):
        fit_exponent([1, 2], [0, 1])
    with pytest.raises(ValueError, match="equal length"):
        fit_exponent([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="two different n"):
        fit_exponent([4, 4], [1, 2])
    with pytest.raises(TypeError, match="values"):
        fit_exponent([1, 2], "12")


def test_extrapolate_follows_the_fitted_power_law():
    ns = [512, 1024, 2048, 4096]
    assert extrapolate(ns, [3 * n**1.5 for n in ns], 8192) == pytest.approx(3 * 8192**1.5)
    assert extrapolate(ns, [n**2 for n in ns], 8192, min_n=1024) == pytest.approx(8192**2)
    with pytest.raises(ValueError, match="n_new"):
        extrapolate(ns, ns, -1)


def test_naive_attention_is_notebook_04s_attention_torch():
    q, k, v = torch.randn(2, 5, 4), torch.randn(2, 7, 4), torch.randn(2, 7, 3)
    assert torch.equal(naive_attention(q, k, v), attention_torch(q, k, v)[0])


@pytest.mark.parametrize("seed", [0, 7, 11])
def test_tiled_and_sdpa_equal_naive(seed):
    torch.manual_seed(seed)
    q, k, v = torch.randn(2, 3, 300, 16), torch.randn(2, 3, 300, 16), torch.randn(2, 3, 300, 8)
    expected = naive_attention(q, k, v)
    for block in (1, 7, 128, 300, 1000):
        assert (tiled_attention(q, k, v, block=block) - expected).abs().max() < 1e-5
    assert (F.scaled_dot_product_attention(q, k, v) - expected).abs().max() < 1e-5


def test_tiled_keeps_dtype_and_handles_fewer_queries_than_keys():
    q, k, v = (
        torch.randn(3, 8, dtype=torch.float64),
        torch.randn(50, 8, dtype=torch.float64),
        torch.randn(50, 2, dtype=torch.float64),
    )
    out = tiled_attention(q, k, v, block=16)
    assert out.dtype == torch.float64 and out.shape == (3, 2)
    assert (out - naive_attention(q, k, v)).abs().max() < 1e-12


def test_tiled_trace_records_the_running_maximum_and_sum_of_every_block():
    q, k, v = torch.randn(2, 3, 8), torch.randn(2, 10, 8), torch.randn(2, 10, 3)
    trace = []
    tiled_attention(q, k, v, block=4, trace=trace)
    scores = q @ k.transpose(-2, -1) / 8**0.5  # (2, 3, 10)
    assert [step["start"] for step in trace] == [0, 4, 8]
    assert (trace[0]["correction"] == 0).all()  # nothing to rescale before the first block
    for step in trace:
        seen = scores[..., : step["start"] + 4]
        assert torch.allclose(step["m"][..., 0], seen.amax(-1))
        assert torch.allclose(step["l"][..., 0], (seen - step["m"]).exp().sum(-1))
    with pytest.raises(ValueError, match="trace is not empty"):
        tiled_attention(q, k, v, block=4, trace=trace)


def test_tiled_survives_large_scores():
    q = torch.randn(50, 4) * 100  # softmax would overflow without the running maximum
    k, v = torch.randn(70, 4) * 100, torch.randn(70, 3)
    out = tiled_attention(q, k, v, block=16)
    assert torch.isfinite(out).all() and (out - naive_attention(q, k, v)).abs().max() < 1e-4


def test_tiled_rejects_bad_input():
    q = torch.randn(5, 4)
    with pytest.raises(ValueError, match="d_k=4 but k has d_k=3"):
        tiled_attention(q, torch.randn(5, 3), torch.randn(5, 2))
    with pytest.raises(ValueError, match="one value per key"):
        tiled_attention(q, torch.randn(5, 4), torch.randn(6, 2))
    with pytest.raises(TypeError, match="torch.as_tensor"):
        tiled_attention(q.numpy(), q, q)
    with pytest.raises(ValueError, match="block"):
        tiled_attention(q, q, q, block=0)
    with pytest.raises(TypeError, match="block"):
        tiled_attention(q, q, q, block=2.0)
    with pytest.raises(ValueError, match="float tensor"):
        tiled_attention(q.long(), q, q)
    with pytest.raises(TypeError, match="same dtype"):
        tiled_attention(q.double(), q, q)
    with pytest.raises(ValueError, match="at least one entry"):
        tiled_attention(q, torch.randn(0, 4), torch.randn(0, 2))
    with pytest.raises(ValueError, match="tokens, features"):
        tiled_attention(torch.randn(4), q, q)


def test_peak_memory_counts_the_score_matrix():
    q, k, v = make_qkv(1024, 32)
    naive = peak_memory(naive_attention, q, k, v)
    assert naive >= score_matrix_bytes(1024)  # at least one n×n fp32 matrix is alive at once
    assert peak_memory(tiled_attention, q, k, v) < naive / 3
    assert peak_memory(lambda: torch.empty(1000, 250)) == 1_000_000
    with pytest.raises(TypeError, match="function"):
        peak_memory(3)


def test_peak_memory_exponents():
    ns = [256, 512, 1024]
    naive = measure(naive_attention, ns, 32, time_it=False)
    tiled = measure(tiled_attention, ns, 32, time_it=False)
    assert 1.8 <= fit_exponent(ns, naive["peak_bytes"]) <= 2.2
    assert fit_exponent(ns, tiled["peak_bytes"]) <= 1.3


def test_time_call_returns_a_median_of_positive_times():
    calls = []
    t = time_call(lambda: calls.append(1), warmup=2, repeats=3, min_repeat_s=0.0)
    assert t >= 0 and len(calls) == 6  # 2 warm-up, 1 to size a repeat, 3 timed
    assert math.isfinite(matmul_gflops(64, repeats=2))
    with pytest.raises(TypeError, match="function"):
        time_call(3)
    with pytest.raises(ValueError, match="repeats"):
        time_call(lambda: None, repeats=0)
    with pytest.raises(ValueError, match="clock"):
        time_call(lambda: None, clock="gpu")


def test_cpu_clock_does_not_count_waiting():
    """Time spent off the CPU (here sleeping; on a shared machine, another program's turn) is not
    counted by the CPU clock, which is what makes the notebook's timings robust under load."""
    nap = lambda: time.sleep(0.02)  # noqa: E731
    assert time_call(nap, warmup=0, repeats=1, min_repeat_s=0.0, clock="wall") >= 0.02
    assert time_call(nap, warmup=0, repeats=1, min_repeat_s=0.0, clock="cpu") < 0.01


def test_measure_interleaves_and_validates():
    r = measure(tiled_attention, [64, 128], 16, repeats=2, memory=False)
    assert r["n"] == [64, 128] and all(s > 0 for s in r["seconds"]) and r["peak_bytes"] == [0, 0]
    with pytest.raises(TypeError, match="ns"):
        measure(tiled_attention, 128)
    with pytest.raises(ValueError, match=r"ns\[1\]"):
        measure(tiled_attention, [128, 0])


def test_notebook_definitions_equal_the_package():
    """The drift test: notebook 07's own naive and tiled attention give the package's outputs."""
    nb = definitions("07")
    torch.manual_seed(0)
    for shape_q, shape_k, d_v, block in [
        ((1, 1, 300, 16), (1, 1, 300, 16), 16, 64),
        ((2, 3, 50, 8), (2, 3, 70, 8), 5, 7),
        ((40, 4), (33, 4), 3, 128),
    ]:
        q, k, v = torch.randn(shape_q), torch.randn(shape_k), torch.randn(shape_k[:-1] + (d_v,))
        assert torch.allclose(nb["naive_attention"](q, k, v), naive_attention(q, k, v), atol=1e-6)
        assert torch.allclose(
            nb["tiled_attention"](q, k, v, block), tiled_attention(q, k, v, block), atol=1e-6
        )


# --- fuzz: every public function, each argument given the standard bad values -----------------

HUGE = [
    (arg, label)
    for arg in ("n", "d_k", "heads", "d_model", "bytes_per_value", "layers", "budget_bytes")
    for label in ("10**400", "huge")
]
NAN_AND_BROADCAST = [
    (arg, label)
    for arg in "qkv"
    for label in ("with a NaN", "with an inf", "one axis fewer", "one axis more")
]
VALID_NUMBERS = (
    [("min_n", lab) for lab in ("0", "0.0", "2.5", "as float")]
    + [("n_new", lab) for lab in ("2.5", "1e308", "as float")]
    + [("warmup", "0"), ("min_repeat_s", "0"), ("min_repeat_s", "0.0"), ("min_repeat_s", "2.5")]
)
# print is a valid function to time; a module called without its input raises its own error,
# which is the caller's function failing, not the helper: it is left out of the bad values
OWN_FUNCTION = [
    ("trace", "None"),
    ("trace", "empty list"),
    ("fn", "function"),
    ("block", "10**400"),
    ("block", "huge"),
    ("n_new", "huge"),
]
_q, _k, _v = torch.randn(1, 1, 16, 8), torch.randn(1, 1, 16, 8), torch.randn(1, 1, 16, 4)
FUZZ_TARGETS = {
    "attention_flops": (attention_flops, dict(n=64, d_k=8, heads=2)),
    "score_matrix_bytes": (score_matrix_bytes, dict(n=64, bytes_per_value=2, heads=2, layers=3)),
    "max_context": (max_context, dict(budget_bytes=2**20, bytes_per_value=2)),
    "layer_flops": (layer_flops, dict(n=64, d_model=32)),
    "make_qkv": (make_qkv, dict(n=16, d_k=8)),
    "naive_attention": (naive_attention, dict(q=_q, k=_k, v=_v)),
    "tiled_attention": (tiled_attention, dict(q=_q, k=_k, v=_v, block=4, trace=[])),
    "fit_exponent": (fit_exponent, dict(ns=[512, 1024, 2048], values=[1.0, 4.0, 16.0], min_n=0)),
    "extrapolate": (extrapolate, dict(ns=[512, 1024], values=[1.0, 4.0], n_new=4096)),
    "time_call": (time_call, dict(fn=lambda: None, warmup=1, repeats=2, min_repeat_s=0.0)),
    "peak_memory": (peak_memory, dict(fn=lambda: torch.empty(10))),
    "measure": (measure, dict(fn=tiled_attention, ns=[16, 32], d_k=8, repeats=1)),
    "matmul_gflops": (matmul_gflops, dict(n=16, repeats=1)),
}


@pytest.mark.parametrize("name", FUZZ_TARGETS)
def test_fuzz_public_functions(name):
    from fuzz import BAD_VALUES, assert_all_kind, fuzz

    fn, kwargs = FUZZ_TARGETS[name]
    mention = {"q": "Q", "k": "K", "v": "V"} if name == "naive_attention" else None  # 04's names
    bad = {k: v for k, v in BAD_VALUES.items() if not ("fn" in kwargs and k == "nn.Linear")}
    allowed = HUGE + NAN_AND_BROADCAST + VALID_NUMBERS + OWN_FUNCTION
    report = fuzz(fn, kwargs, allowed=allowed, mention=mention, bad_values=bad)
    assert_all_kind(report)
