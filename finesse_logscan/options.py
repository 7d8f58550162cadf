"""Everything a scan can be told, with the documented defaults."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

GiB = 1024**3
MiB = 1024**2


@dataclass(frozen=True)
class Limits:
    """Caps on what the reader decompresses. Raise them with --max-uncompressed / --max-ratio."""

    max_uncompressed_bytes: int = 20 * GiB
    max_ratio: int = 200
    ratio_grace_bytes: int = 8 * MiB
    max_nested_zip_bytes: int = 1 * GiB
    max_depth: int = 6


def available_cores() -> int:
    """The cores this process may run on (the CLI's default --jobs)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Thresholds:
    """Classification and client-health thresholds (all configurable from the CLI)."""

    storm_min_agents: int = 5
    """A server-wide incident needs at least this many agents dropping together..."""
    storm_min_fraction: float = 0.10
    """...and at least this fraction of the agents with a live session at that moment..."""
    storm_window_s: int = 120
    """...within this many seconds."""
    evidence_window_s: int = 120
    """Disconnects of 2+ agents within this many seconds of server evidence are server-wide."""
    evidence_min_agents: int = 2
    drift_threshold_ms: int = 2000
    """clock-drift: the agent's median absolute client-server drift is above this."""
    latency_threshold_ms: int = 1000
    """high-latency: the agent's largest measured round trip is above this."""


@dataclass(frozen=True)
class ScanOptions:
    server_tz: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    agents: tuple[str, ...] = ()
    thresholds: Thresholds = field(default_factory=Thresholds)
    limits: Limits = field(default_factory=Limits)
    signatures_file: str | None = None
    """A TOML file of extra known-issue signatures, used beside the built-in ones."""
    keep_events: bool = False
    """Also list every event of the timeline in Report.events (the `timeline --all` view)."""
    jobs: int = 1
    """Processes parsing at once (the CLI's default: every available core); the report is the
    same with any number (workers.py)."""
    progress: Callable[[int, int, str], None] | None = None
    """Called as reading goes on with (bytes read, bytes in all, file being read); bytes as the
    inputs lie on disk."""

    def __post_init__(self) -> None:
        if self.since is not None and self.until is not None and self.since > self.until:
            raise ValueError(
                f"since ({self.since.isoformat()}) is later than until ({self.until.isoformat()})"
            )
