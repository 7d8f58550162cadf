"""What the detectors produce together; each detector fills its own part."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..report import ClientStats, Disconnect, ServerEvent


@dataclass(frozen=True)
class Findings:
    """What one detector found (each returns only its own part), or all of them together."""

    disconnects: tuple[Disconnect, ...] = ()
    clients: tuple[ClientStats, ...] = ()
    server_events: tuple[ServerEvent, ...] = ()
    warnings: tuple[str, ...] = ()

    @staticmethod
    def combine(parts: Iterable[Findings]) -> Findings:
        """The parts together, each list in the order its detector gave."""
        done = list(parts)
        return Findings(
            tuple(d for f in done for d in f.disconnects),
            tuple(c for f in done for c in f.clients),
            tuple(s for f in done for s in f.server_events),
            tuple(w for f in done for w in f.warnings),
        )
