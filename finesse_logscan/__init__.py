"""finesse-logscan: turn a Cisco Finesse diagnostics log bundle into a diagnosis."""

from __future__ import annotations

__version__ = "0.1.0"

from .event import Event, Kind
from .options import ScanOptions, Thresholds
from .report import Report
from .scan import scan

__all__ = ["Event", "Kind", "Report", "ScanOptions", "Thresholds", "__version__", "scan"]
