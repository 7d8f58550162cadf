"""finesse-logscan: turn a Cisco Finesse diagnostics log bundle into a diagnosis."""

from __future__ import annotations

__version__ = "0.1.0"

from .event import Event, Kind  # noqa: E402
from .options import ScanOptions, Thresholds  # noqa: E402
from .report import Report  # noqa: E402
from .scan import scan  # noqa: E402

__all__ = ["Event", "Kind", "Report", "ScanOptions", "Thresholds", "__version__", "scan"]
