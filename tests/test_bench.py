"""Unit tests of course_utils.bench and course_utils.flash: counts, fits, memory and time measurement."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from course_utils.bench import (
    attention_flops,
    fit_exponent,
    layer_flops,
    make_qkv,
    matmul_gflops,
    measure,
    peak_memory,
    score_matrix_bytes,
    time_call,
)
from course_utils.flash import naive_attention, tiled_attention


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread, as in the notebooks: on a busy 2-core machine more threads only contend."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_counts():
    assert attention_flops(1024, 64) == 4 * 1024**2 * 64
    assert attention_flops(10, 8, heads=3) == 3 * 4 * 100 * 8
    assert score_matrix_bytes(4096, 2) == 32 * 2**20  # 32 MiB at fp16
    assert score_matrix_bytes(100, 4, heads=2, layers=3) == 100 * 100 * 4 * 6
    f = layer_flops(3072, 512)
    assert f["attention"] == f["projections"] + f["ffn"]  # the parts are equal at n = 6·d


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "8"])
def test_counts_reject_bad_n(bad):
    with pytest.raises(ValueError, match="positive whole number"):
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


@pytest.mark.parametrize("seed", [0, 7, 11])
def test_tiled_and_sdpa_equal_naive(seed):
    torch.manual_seed(seed)
    q, k, v = torch.randn(2, 3, 300, 16), torch.randn(2, 3, 300, 16), torch.randn(2, 3, 300, 8)
    expected = naive_attention(q, k, v)
    for block in (1, 7, 128, 1000):
        assert (tiled_attention(q, k, v, block=block) - expected).abs().max() < 1e-5
    assert (F.scaled_dot_product_attention(q, k, v) - expected).abs().max() < 1e-5


def test_tiled_survives_large_scores():
    q = torch.randn(50, 4) * 100  # softmax would overflow without the running maximum
    k, v = torch.randn(70, 4) * 100, torch.randn(70, 3)
    out = tiled_attention(q, k, v, block=16)
    assert torch.isfinite(out).all() and (out - naive_attention(q, k, v)).abs().max() < 1e-4


def test_attention_functions_reject_bad_input():
    q = torch.randn(5, 4)
    with pytest.raises(ValueError, match="d_k=4 but k has d_k=3"):
        naive_attention(q, torch.randn(5, 3), torch.randn(5, 2))
    with pytest.raises(ValueError, match="one value per key"):
        tiled_attention(q, torch.randn(5, 4), torch.randn(6, 2))
    with pytest.raises(TypeError, match="torch.Tensor"):
        tiled_attention(q.numpy(), q, q)
    with pytest.raises(ValueError, match="block"):
        tiled_attention(q, q, q, block=0)


def test_peak_memory_counts_the_score_matrix():
    q, k, v = make_qkv(1024, 32)
    naive = peak_memory(naive_attention, q, k, v)
    assert naive >= score_matrix_bytes(1024)  # at least one n×n fp32 matrix is alive at once
    assert peak_memory(tiled_attention, q, k, v) < naive / 3
    assert peak_memory(lambda: torch.empty(1000, 250)) == 1_000_000


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
