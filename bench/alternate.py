#!/usr/bin/env python3
"""Times two commands run alternately (A B A B …) in one process, so a drift in the machine's
load touches both alike; prints each one's median and spread, and the ratio A/B per pair.

usage: alternate.py RUNS NAME_A NAME_B -- COMMAND_A... -- COMMAND_B...
Output goes to /dev/null; a non-zero exit is fine (lint exits 1 on findings).
"""

import statistics
import subprocess
import sys
import time


def timed(command):
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main():
    runs, name_a, name_b = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    rest = sys.argv[4:]
    split = [i for i, arg in enumerate(rest) if arg == "--"]
    a, b = rest[split[0] + 1 : split[1]], rest[split[1] + 1 :]
    for _ in range(2):  # warm the page cache and the binaries
        timed(a), timed(b)
    times_a, times_b = [], []
    for _ in range(runs):
        times_a.append(timed(a))
        times_b.append(timed(b))
    ratios = [x / y for x, y in zip(times_a, times_b)]
    ms = lambda xs: f"median {statistics.median(xs) * 1000:.1f} ms (min {min(xs) * 1000:.1f}, max {max(xs) * 1000:.1f})"
    print(f"  {name_a}: {ms(times_a)}")
    print(f"  {name_b}: {ms(times_b)}")
    print(
        f"  ratio {name_a}/{name_b}: median {statistics.median(ratios):.2f}x"
        f" (min {min(ratios):.2f}x, max {max(ratios):.2f}x) over {runs} alternating pairs"
    )


main()
