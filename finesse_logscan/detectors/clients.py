"""Client clock drift and network latency per agent, from the desktop's once-a-minute sample."""

from __future__ import annotations

from ..event import Kind
from ..options import ScanOptions
from ..report import ClientStats
from ..timeline import Timeline
from .findings import Findings

NAME = "clients"
DESCRIPTION = "client clock drift and round-trip latency per agent (client logs)"


def run(timeline: Timeline, options: ScanOptions) -> Findings:
    df = timeline.frame([Kind.CLIENT_DRIFT])
    if df.empty or "drift_ms" not in df:
        return Findings()
    df = df[df["agent"].notna()].copy()
    if df.empty:
        return Findings()
    if "rtt_ms" not in df:
        df["rtt_ms"] = None
    df["abs_drift"] = df["drift_ms"].abs()
    stats = df.groupby("agent").agg(
        samples=("drift_ms", "size"),
        median_drift=("drift_ms", "median"),
        median_abs_drift=("abs_drift", "median"),
        max_abs_drift=("abs_drift", "max"),
        median_rtt=("rtt_ms", "median"),
        max_rtt=("rtt_ms", "max"),
    )
    th = options.thresholds
    found = []
    for agent, row in stats.sort_index().iterrows():
        flags = []
        if row["median_abs_drift"] > th.drift_threshold_ms:
            flags.append("clock-drift")
        if _int(row["max_rtt"]) > th.latency_threshold_ms:
            flags.append("high-latency")
        found.append(
            ClientStats(
                agent=str(agent),
                samples=int(row["samples"]),
                median_drift_ms=_int(row["median_drift"]),
                max_abs_drift_ms=_int(row["max_abs_drift"]),
                median_rtt_ms=_int(row["median_rtt"]),
                max_rtt_ms=_int(row["max_rtt"]),
                flags=flags,
            )
        )
    return Findings(clients=tuple(found))


def _int(value: object) -> int:
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0
    return 0 if f != f else round(f)
