#!/usr/bin/env python3
"""Measure scan speed and peak memory on a bundle (speed is measured here, never asserted).

python scripts/make_sample_logs.py --scale 500 --hours 8 --out /tmp/big
python scripts/benchmark.py /tmp/big [--repeat 3]
"""

from __future__ import annotations

import argparse
import resource
import time

from finesse_logscan import scan


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    best = float("inf")
    report = None
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        report = scan(args.paths)
        best = min(best, time.perf_counter() - t0)
    assert report is not None
    lines = sum(f.lines for f in report.files)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"files: {len(report.files)}  lines: {lines}  disconnects: {len(report.disconnects)}  verdict: {report.verdict}"
    )
    print(f"best of {args.repeat}: {best:.2f} s  ({lines / best:,.0f} lines/s)  peak RSS: {peak_mb:.0f} MiB")


if __name__ == "__main__":
    main()
