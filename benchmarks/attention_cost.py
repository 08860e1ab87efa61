"""Benchmark: naive attention vs torch's fused scaled_dot_product_attention, time and peak memory vs n.

Prints one row per sequence length n (one sequence, one head, d_k = 64, float32): the median
time of each, their ratio, the peak extra memory of each, their ratio, and the achieved
GFLOP/s of attention (4·n²·d_k FLOPs per call) next to this machine's own matmul GFLOP/s.
Then the exponents p of time ∝ n^p and memory ∝ n^p fitted on the large-n points.

    python benchmarks/attention_cost.py                   # CPU, 1 thread, n = 128 … 8192
    python benchmarks/attention_cost.py --device cuda     # GPU, n = 512 … 16384

A script, not a test: timings depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import platform

import torch
import torch.nn.functional as F

from course_utils.bench import attention_flops, fit_exponent, matmul_gflops, measure
from course_utils.flash import naive_attention

MIB = 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--ns", type=int, nargs="+", help="sequence lengths (default depends on device)")
    parser.add_argument("--d-k", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (the course uses 1)")
    parser.add_argument("--fit-from", type=int, default=512, help="fit exponents on n ≥ this")
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: torch sees no CUDA GPU here")
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    ns = args.ns or ([2**k for k in range(7, 14)] if args.device == "cpu" else [2**k for k in range(9, 15)])

    naive = measure(naive_attention, ns, args.d_k, device=args.device, repeats=args.repeats)
    fused = measure(F.scaled_dot_product_attention, ns, args.d_k, device=args.device, repeats=args.repeats)
    peak_gflops = matmul_gflops(2048 if args.device == "cuda" else 1024, device=args.device)

    name = torch.cuda.get_device_name() if args.device == "cuda" else (platform.processor() or platform.machine())
    print(f"torch {torch.__version__}, {args.device} ({name}), {torch.get_num_threads()} thread(s), "
          f"d_k = {args.d_k}, float32, one sequence, one head, median of {args.repeats} repeats")
    print(f"this machine's float32 matmul: {peak_gflops:.1f} GFLOP/s")
    print()
    print("|      n | naive ms | fused ms | time naive/fused | naive MiB | fused MiB "
          "| memory naive/fused | naive GFLOP/s | fused GFLOP/s |")
    print("|-------:|---------:|---------:|-----------------:|----------:|----------:"
          "|-------------------:|--------------:|--------------:|")
    for i, n in enumerate(ns):
        tn, tf = naive["seconds"][i], fused["seconds"][i]
        mn, mf = naive["peak_bytes"][i], fused["peak_bytes"][i]
        flops = attention_flops(n, args.d_k)
        print(f"| {n:>6} | {tn * 1e3:>8.2f} | {tf * 1e3:>8.2f} | {tn / tf:>16.1f} | {mn / MIB:>9.2f} "
              f"| {mf / MIB:>9.2f} | {mn / max(mf, 1):>18.1f} | {flops / tn / 1e9:>13.1f} "
              f"| {flops / tf / 1e9:>13.1f} |")
    print()
    for label, r in (("naive", naive), ("fused", fused)):
        print(f"{label}: time ∝ n^{fit_exponent(r['n'], r['seconds'], args.fit_from):.2f}, "
              f"peak memory ∝ n^{fit_exponent(r['n'], r['peak_bytes'], args.fit_from):.2f} "
              f"(fitted on n ≥ {args.fit_from})")


if __name__ == "__main__":
    main()
