"""Benchmark: naive vs tiled (online softmax) vs fused attention, time and peak memory vs n.

Prints one row per sequence length n (one sequence, one head, d_k = 64, float32) for three
ways to compute the same softmax(q·kᵀ/√d_k)·v:

- naive: ``course_utils.cost.naive_attention`` (notebook 04's ``attention_torch``), which
  holds the n×n scores and weights;
- tiled: ``course_utils.cost.tiled_attention``, the course's few-line online softmax over
  blocks of 128 keys (notebook 07, section 5), never holding n×n;
- fused: torch's ``scaled_dot_product_attention``, one compiled kernel.

For each: the median time, the achieved GFLOP/s of attention (4·n²·d_k FLOPs per call), the
speed as a fraction of the fused kernel's (fused time / its time), and the peak extra memory.
Then the exponents p of time ∝ n^p and memory ∝ n^p fitted on the large-n points.

    python benchmarks/attention_cost.py                   # CPU, 1 thread, n = 128 … 8192
    python benchmarks/attention_cost.py --device cuda     # GPU, n = 512 … 16384

On one CPU thread the times are this process's CPU time (``course_utils.cost.measure``,
``clock="auto"``), so a core lent to another program for a moment does not count; rounds
are interleaved over the sizes and the three functions. A script, not a test: timings depend
on the machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics

import torch
import torch.nn.functional as F

from course_utils.cost import (
    attention_flops,
    fit_exponent,
    matmul_gflops,
    measure,
    naive_attention,
    tiled_attention,
)

MIB = 2**20
METHODS = {
    "naive": naive_attention,
    "tiled": tiled_attention,
    "fused": F.scaled_dot_product_attention,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--ns", type=int, nargs="+", help="sequence lengths (default by device)")
    parser.add_argument("--d-k", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (course: 1)")
    parser.add_argument("--fit-from", type=int, default=512, help="fit exponents on n ≥ this")
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: torch sees no CUDA GPU here")
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    default = range(7, 14) if args.device == "cpu" else range(9, 15)
    ns = args.ns or [2**k for k in default]

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    results = {name: {"seconds": [], "peak_bytes": []} for name in METHODS}
    for _ in range(args.repeats):  # interleave the three functions as well as the sizes
        for name, fn in METHODS.items():
            r = measure(fn, ns, args.d_k, device=args.device, repeats=1, memory=False)
            results[name]["seconds"].append(r["seconds"])
    for name, fn in METHODS.items():
        rounds = results[name]["seconds"]
        results[name]["seconds"] = [statistics.median(col) for col in zip(*rounds, strict=True)]
        results[name]["peak_bytes"] = measure(fn, ns, args.d_k, device=args.device, time_it=False)[
            "peak_bytes"
        ]
    peak_gflops = matmul_gflops(2048 if args.device == "cuda" else 1024, device=args.device)
    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")

    if args.device == "cuda":
        name, clock = torch.cuda.get_device_name(), "wall-clock"
    else:
        name = platform.processor() or platform.machine()
        clock = "CPU-time" if torch.get_num_threads() == 1 else "wall-clock"
    print(
        f"torch {torch.__version__}, {args.device} ({name}), {torch.get_num_threads()} "
        f"thread(s), d_k = {args.d_k}, float32, one sequence, one head"
    )
    print(
        f"median of {args.repeats} interleaved {clock} repeats; "
        f"1-min load average {load:.2f} before, {load_after:.2f} after "
        f"({os.cpu_count()} CPUs)"
    )
    print(f"this machine's float32 matmul: {peak_gflops:.1f} GFLOP/s")
    print()
    cols = " | ".join(f"{m} ms | {m} GFLOP/s | {m} × fused" for m in ("naive", "tiled"))
    print(f"|      n | {cols} | fused ms | fused GFLOP/s | naive MiB | tiled MiB | fused MiB |")
    print("|-------:|" + "---------:|" * 6 + "---------:|" * 2 + "----------:|" * 3)
    for i, n in enumerate(ns):
        flops = attention_flops(n, args.d_k)
        t = {m: results[m]["seconds"][i] for m in METHODS}
        mem = {m: results[m]["peak_bytes"][i] / MIB for m in METHODS}
        cells = [f"{n:>6}"]
        for m in ("naive", "tiled"):
            cells += [
                f"{t[m] * 1e3:8.2f}",
                f"{flops / t[m] / 1e9:8.1f}",
                f"{t['fused'] / t[m]:8.2f}",
            ]
        cells += [f"{t['fused'] * 1e3:8.2f}", f"{flops / t['fused'] / 1e9:8.1f}"]
        cells += [f"{mem[m]:9.2f}" for m in METHODS]
        print("| " + " | ".join(cells) + " |")
    print()
    for m in METHODS:
        r = results[m]
        print(
            f"{m}: time ∝ n^{fit_exponent(ns, r['seconds'], args.fit_from):.2f}, "
            f"peak memory ∝ n^{fit_exponent(ns, r['peak_bytes'], args.fit_from):.2f} "
            f"(fitted on n ≥ {args.fit_from})"
        )


if __name__ == "__main__":
    main()
