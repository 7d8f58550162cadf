"""Give server-local wall times (openfire) a UTC offset, and say where it came from.

Sources, in order: the --server-tz option (IANA zone or fixed +-HH:MM); the same node's web
services lines (or CiscoSyslog) nearest in time, so a DST change inside the bundle is followed;
otherwise UTC is assumed and a warning says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .timestamps import format_offset, parse_offset, tz_from_minutes

if TYPE_CHECKING:  # a type only: the CLI checks a zone without loading the parsing layer
    from .parsing import OffsetRun


class ZoneError(ValueError):
    pass


def parse_zone(text: str) -> tzinfo:
    """'America/Chicago', '+05:30', '-0600', 'UTC' -> tzinfo."""
    off = parse_offset(text)
    if off is not None:
        return tz_from_minutes(off)
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ZoneError(f"unknown time zone {text!r} (use an IANA name or +-HH:MM)") from exc


@dataclass(frozen=True)
class Placement:
    utc: datetime
    offset_minutes: int


@dataclass
class _UtcRun:
    offset: int
    first_utc: datetime
    last_utc: datetime
    source: str


@dataclass
class NodeOffsets:
    runs: list[_UtcRun] = field(default_factory=list)

    @property
    def offsets(self) -> list[int]:
        return sorted({r.offset for r in self.runs})

    @property
    def source(self) -> str | None:
        sources = {r.source for r in self.runs}
        if "webservices" in sources:
            return "webservices"
        return next(iter(sorted(sources)), None)


class OffsetResolver:
    def __init__(self, zone: tzinfo | None = None) -> None:
        self.zone = zone
        self.nodes: dict[str | None, NodeOffsets] = {}
        self.ambiguous: dict[str | None, set[datetime]] = {}
        """Wall times that fit two offsets equally well with nothing earlier in the file to
        choose by (first line of a file inside a DST fall-back hour): placed at the first."""

    def add_runs(self, node: str | None, runs: list[OffsetRun]) -> None:
        n = self.nodes.setdefault(node, NodeOffsets())
        for r in runs:
            d = timedelta(minutes=r.offset_minutes)
            n.runs.append(
                _UtcRun(
                    r.offset_minutes,
                    (r.first_local - d).replace(tzinfo=UTC),
                    (r.last_local - d).replace(tzinfo=UTC),
                    r.source,
                )
            )
        n.runs.sort(key=lambda r: (r.first_utc, r.offset))

    def source_for(self, node: str | None) -> str:
        if self.zone is not None:
            return "option"
        n = self.nodes.get(node)
        return (n.source if n else None) or "assumed-utc"

    def offsets_for(self, node: str | None, used: set[int] | None = None) -> list[str]:
        if self.zone is None:
            n = self.nodes.get(node)
            values = set(n.offsets) if n else set()
            if not values:
                values = {0}
        else:
            values = set(used or ())
        return [format_offset(v) for v in sorted(values)]

    def place(self, node: str | None, local: datetime, after: datetime | None = None) -> Placement:
        """UTC for a naive local time on `node`; `after` (the previous line's UTC in the same
        file) picks the right hour when a DST fall-back makes a wall time ambiguous."""
        if self.zone is not None:
            return self._place_zone(local, after)
        n = self.nodes.get(node)
        if not n or not n.runs:
            return Placement(local.replace(tzinfo=UTC), 0)
        best: list[tuple[float, int, datetime]] = []
        for off in n.offsets:
            utc = (local - timedelta(minutes=off)).replace(tzinfo=UTC)
            dist = min(_distance(utc, r) for r in n.runs if r.offset == off)
            best.append((dist, off, utc))
        best.sort(key=lambda b: (b[0], b[2]))
        tied = [b for b in best if b[0] <= best[0][0] + 1e-6]
        if len(tied) > 1 and (after is None or all(b[2] >= after - timedelta(seconds=1) for b in tied)):
            self.ambiguous.setdefault(node, set()).add(local)  # each wall time counted once
        if len(best) > 1 and after is not None:
            # lines of one file run forward: of the plausible offsets, take the one that puts
            # this line soonest after the previous one (DST fall-back repeats an hour)
            later = [b for b in best if b[0] <= 3600 and b[2] >= after - timedelta(seconds=1)]
            if later:
                pick = min(later, key=lambda b: b[2])
                return Placement(pick[2], pick[1])
        return Placement(best[0][2], best[0][1])

    def offset_at(self, node: str | None, utc: datetime) -> int | None:
        """The node's UTC offset (minutes) at a UTC instant: the option's zone, else the offset
        of the nearest stretch seen in its logs; None when nothing tells."""
        if self.zone is not None:
            off = utc.astimezone(self.zone).utcoffset()
            return int(off.total_seconds() // 60) if off is not None else None
        n = self.nodes.get(node)
        if not n or not n.runs:
            return None
        return min(n.runs, key=lambda r: _distance(utc, r)).offset

    def disagreements(self) -> list[tuple[str | None, str, str, str]]:
        """With a zone given, each node whose own logs carry another offset: (node, the zone's
        offset there, the logs' offset, their source). The zone wins; this says so."""
        if self.zone is None:
            return []
        out = []
        for node, n in sorted(self.nodes.items(), key=lambda kv: str(kv[0])):
            for r in n.runs:
                off = r.first_utc.astimezone(self.zone).utcoffset()
                mine = int(off.total_seconds() // 60) if off is not None else None
                if mine is not None and mine != r.offset:
                    out.append((node, format_offset(mine), format_offset(r.offset), r.source))
                    break
        return out

    def server_local(self, node: str | None, utc: datetime | None) -> str:
        """'2026-03-04 14:06:01.200 -06:00', or '' when the node's offset is unknown."""
        if utc is None:
            return ""
        off = self.offset_at(node, utc)
        if off is None:
            return ""
        local = utc + timedelta(minutes=off)
        return f"{local:%Y-%m-%d %H:%M:%S}.{local.microsecond // 1000:03d} {format_offset(off)}"

    def _place_zone(self, local: datetime, after: datetime | None) -> Placement:
        assert self.zone is not None
        cands = []
        for fold in (0, 1):
            aware = local.replace(tzinfo=self.zone, fold=fold)
            off = aware.utcoffset() or timedelta(0)
            cands.append((aware.astimezone(UTC), int(off.total_seconds() // 60)))
        if cands[0][0] != cands[1][0] and after is not None:
            later = [c for c in cands if c[0] >= after - timedelta(seconds=1)]
            if later:
                pick = min(later)
                return Placement(pick[0], pick[1])
        return Placement(cands[0][0], cands[0][1])


def _distance(utc: datetime, run: _UtcRun) -> float:
    if run.first_utc <= utc <= run.last_utc:
        return 0.0
    if utc < run.first_utc:
        return (run.first_utc - utc).total_seconds()
    return (utc - run.last_utc).total_seconds()
