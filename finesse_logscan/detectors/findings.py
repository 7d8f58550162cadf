"""What the detectors produce together; each detector fills its own part."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..report import ClientStats, Disconnect, ServerEvent


@dataclass
class Findings:
    disconnects: list[Disconnect] = field(default_factory=list)
    clients: list[ClientStats] = field(default_factory=list)
    server_events: list[ServerEvent] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
