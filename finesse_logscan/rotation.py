"""Rotated copies of one log: which belong together and in which (time) order to read them.

debug.log.2 (3.7-4.2), debug.log-2 (4.3+), debug_2.log (3.6), openfire.log-2 (4.7+), any of them
gzipped, and dated web services files (Desktop-webservices.<created>.log, .startup.log).
"""

from __future__ import annotations

import re

_COMPRESSED = re.compile(r"\.(gz|gzip|bz2|xz|zip)$", re.I)
_ROT = [
    re.compile(r"^(?P<base>.+\.log)[.-](?P<n>\d{1,3})$"),  # debug.log.1, debug.log-1
    re.compile(r"^(?P<base>.+)_(?P<n>\d{1,3})(?P<ext>\.log)$"),  # debug_1.log
    re.compile(
        r"^(?P<base>Desktop-webservices)\.(?P<stamp>\d{4}-\d{2}-\d{2}T[\d-]+(?:\.\d+)?)(?:\.startup)?\.log$",
        re.I,
    ),
]


def rotation_group(path: str) -> tuple[str, int]:
    """'logs/openfire/debug.log.2.gz' -> ('logs/openfire/debug.log', 2); the live log is 0."""
    folder, _, name = path.rpartition("/")
    name = _COMPRESSED.sub("", name)
    for pat in _ROT:
        m = pat.match(name)
        if m:
            groups = m.groupdict()
            base = m["base"] + (groups.get("ext") or "")
            n = int(groups["n"]) if groups.get("n") else 0
            return (f"{folder}/{base}" if folder else base), n
    return (f"{folder}/{name}" if folder else name), 0


def read_order(path: str) -> tuple[str, int, str]:
    """Sort key that reads each log's rotated copies oldest first (highest number first;
    dated files by their date), files of different logs by name."""
    group, n = rotation_group(path)
    return (group, -n, path)
