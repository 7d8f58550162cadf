"""finesse-logscan: turn a Cisco Finesse diagnostics log bundle into a diagnosis.

The names below are imported on first use (PEP 562), so `finesse-logscan --help` starts fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "Event": ".event",
    "Kind": ".event",
    "ScanOptions": ".options",
    "Thresholds": ".options",
    "Report": ".report",
    "scan": ".pipeline",
}

if TYPE_CHECKING:
    from .event import Event, Kind
    from .options import ScanOptions, Thresholds
    from .pipeline import scan
    from .report import Report


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Event", "Kind", "Report", "ScanOptions", "Thresholds", "__version__", "scan"]
