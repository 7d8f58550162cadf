"""The explicit detector registry, run in this order over the timeline.

A detector module provides NAME, DESCRIPTION and run(timeline, options) -> Findings (what it
found; nothing else is changed).
tests/test_registry.py checks every module here is listed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from ..options import ScanOptions
from ..timeline import Timeline
from . import clients, disconnects, server_events
from .findings import Findings


class Detector(Protocol):
    NAME: str
    DESCRIPTION: str
    run: Callable[[Timeline, ScanOptions], Findings]


DETECTORS: tuple[Detector, ...] = (disconnects, clients, server_events)  # type: ignore[assignment]

__all__ = ["DETECTORS", "Detector", "Findings"]
