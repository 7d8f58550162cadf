#!/usr/bin/env python3
"""Measure speed and peak memory on bundles shaped like a busy node's (speed is measured here,
never asserted in a test).

    .venv/bin/python scripts/benchmark.py            # 125 and 500 agents, 4 hours each
    .venv/bin/python scripts/benchmark.py --agents 125 --hours 1 --out /tmp/bench

For each size it writes the bundle (scripts/make_sample_logs.py --scale: per BOSH poll a dozen
openfire lines of Jetty noise, web services with long XML payloads in 25 MB rotated files,
client logs), packs it as .tgz, then times in the same run:
  - `tar -xzOf bundle.tgz` (the decompression floor),
  - `finesse-logscan analyze bundle.tgz --format json` (every core, then `--jobs 1`) and the
    same on the unpacked folder,
and prints MB/s (uncompressed bytes), the ratio to tar, and each run's peak RSS. With
`--redact` it also times `finesse-logscan redact` of the folder (every core) and prints its
ratio to `analyze` of the same folder.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(cmd: list[str], stdout: int | None = subprocess.DEVNULL) -> tuple[float, int]:
    """Wall seconds and peak RSS (MiB) of one command, measured on the child alone."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return elapsed, usage.ru_maxrss // 1024


def bundle(out: Path, agents: int, hours: float) -> tuple[Path, Path, int]:
    folder = out / f"agents{agents}-{hours:g}h"
    tgz = folder.with_suffix(".tgz")
    if not folder.exists():  # in a child: the generator holds the whole bundle in memory
        make = [sys.executable, str(ROOT / "scripts" / "make_sample_logs.py"), "--scale", str(agents)]
        subprocess.run([*make, "--hours", str(hours), "--out", str(folder)], check=True)
    if not tgz.exists():
        with tarfile.open(tgz, "w:gz") as tf:
            tf.add(folder, arcname=folder.name)
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return folder, tgz, size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--agents", type=int, nargs="+", default=[125, 500], help="bundle sizes, in agents")
    ap.add_argument("--hours", type=float, default=4.0)
    ap.add_argument("--out", type=Path, default=Path("/tmp/finesse-logscan-bench"))
    ap.add_argument("--tool", default=str(Path(sys.executable).parent / "finesse-logscan"))
    ap.add_argument("--redact", action="store_true", help="also time `redact` of the folder")
    args = ap.parse_args()
    if not os.access(args.tool, os.X_OK):  # (run with the project's venv python, or give --tool)
        raise SystemExit(
            f"{args.tool}: not found; run this with the Python finesse-logscan is installed for "
            "(e.g. .venv/bin/python scripts/benchmark.py) or give --tool PATH"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    redacted = []
    for agents in args.agents:
        folder, tgz, size = bundle(args.out, agents, args.hours)
        tar_s, _ = run(["tar", "-xzOf", str(tgz)])
        tool = [args.tool, "analyze", "--format", "json", "-o", os.devnull, "--quiet"]
        tgz_s, tgz_rss = run([*tool, str(tgz)])  # --jobs: every available core
        one_s, _ = run([*tool, "--jobs", "1", str(tgz)])
        dir_s, dir_rss = run([*tool, str(folder)])
        mb = size / 1e6
        rows.append((agents, mb, tgz.stat().st_size / 1e6, tar_s, tgz_s, one_s, dir_s, tgz_rss, dir_rss))
        if args.redact:
            with tempfile.TemporaryDirectory() as tmp:  # (the copy, its key and its mapping)
                red_s, red_rss = run([args.tool, "redact", str(folder), "-o", f"{tmp}/copy.zip", "--quiet"])
            redacted.append((agents, mb, red_s, dir_s, red_rss))
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"{'agents':>6} {'MB':>7} {'tgz MB':>7} {'tar -xzOf':>9} {'analyze tgz':>11} {'MB/s':>6} "
          f"{'x tar':>6} {'-j 1':>7} {'folder':>7} {'MB/s':>6} {'RSS tgz':>8} {'RSS dir':>8}")  # fmt: skip
    for agents, mb, tmb, tar_s, tgz_s, one_s, dir_s, tgz_rss, dir_rss in rows:
        print(f"{agents:>6} {mb:>7.0f} {tmb:>7.1f} {tar_s:>8.2f}s {tgz_s:>10.2f}s {mb / tgz_s:>6.1f} "
              f"{tgz_s / tar_s:>6.1f} {one_s:>6.2f}s {dir_s:>6.2f}s {mb / dir_s:>6.1f} {tgz_rss:>5} MiB {dir_rss:>4} MiB")  # fmt: skip
    if redacted:
        print(f"{'agents':>6} {'MB':>7} {'redact':>8} {'MB/s':>6} {'analyze':>8} {'x analyze':>9} {'RSS':>8}")
        for agents, mb, red_s, dir_s, red_rss in redacted:
            print(
                f"{agents:>6} {mb:>7.0f} {red_s:>7.2f}s {mb / red_s:>6.1f} {dir_s:>7.2f}s {red_s / dir_s:>9.1f} {red_rss:>4} MiB"
            )


if __name__ == "__main__":
    main()
