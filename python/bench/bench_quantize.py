#!/usr/bin/python3
"""mxlab.quantize throughput against the C++ path (mxlab::fake_quantize) on the same array, in one run.

For each format: the C++ call from x into the reused array y, timed inside C++ (GIL released), mxlab.quantize(x, fmt)
(allocates its float32 result), and mxlab.quantize(x, fmt, out=y) (writes into a reused array); np.copy(x) is the
floor of any call that returns a fresh 64 MB array. Best of N interleaved calls each, 1 and 2 OpenMP threads.
Prints one line per format and thread count, with the ratios Python / C++ throughput.

Usage: PYTHONPATH=build/python python/bench/bench_quantize.py [--count 16777216] [--repeats 7] [--formats mxfp4_e2m1,...]
"""
import argparse
import time

import numpy as np

import mxlab
from mxlab import _core


def best_of(repeats, call):
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=16 << 20, help="float32 values (default 16M, as bench/formats_bench)")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--formats", default="mxfp4_e2m1,mxfp8_e4m3,mxint8,nvfp4,int4,fp4_e2m1")
    ap.add_argument("--threads", default="1,2")
    a = ap.parse_args()
    x = np.random.default_rng(1).standard_normal(a.count, dtype=np.float32)
    y = np.empty_like(x)
    mb = x.nbytes / 1e6
    copy = best_of(a.repeats, lambda: np.copy(x))
    print(f"{a.count} float32 values ({mb:.0f} MB), best of {a.repeats}; MB/s of input; np.copy {mb / copy:.0f} MB/s")
    print(f"{'format':<11} {'thr':>3} {'C++ MB/s':>9} {'quantize':>9} {'ratio':>6} {'out=y':>9} {'ratio':>6}")
    before = mxlab.num_threads()
    try:
        for threads in (int(t) for t in a.threads.split(",")):
            mxlab.set_num_threads(threads)
            for fmt in a.formats.split(","):
                cpp = alloc = into = float("inf")
                for _ in range(a.repeats):  # interleaved, so a busy machine slows all three alike
                    cpp = min(cpp, _core.time_fake_quantize(x, y, fmt))
                    alloc = min(alloc, best_of(1, lambda: mxlab.quantize(x, fmt)))
                    into = min(into, best_of(1, lambda: mxlab.quantize(x, fmt, out=y)))
                print(f"{fmt:<11} {threads:>3} {mb / cpp:9.0f} {mb / alloc:9.0f} {cpp / alloc:6.2f} "
                      f"{mb / into:9.0f} {cpp / into:6.2f}")
    finally:
        mxlab.set_num_threads(before)


if __name__ == "__main__":
    main()
