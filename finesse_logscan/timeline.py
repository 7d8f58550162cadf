"""One UTC timeline: place every event (offsets for openfire), filter, sort, and expose views.

This is the one place that materialises events in bulk, as a sorted list and (for the
detectors that want it) a pandas DataFrame built from the extracted events, never raw lines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from .event import Event
from .timezones import OffsetResolver

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Timeline:
    events: list[Event]
    offsets_used: dict[str | None, set[int]] = field(default_factory=dict)

    def by_agent(self) -> dict[str, list[Event]]:
        out: dict[str, list[Event]] = defaultdict(list)
        for ev in self.events:
            if ev.agent:
                out[ev.agent].append(ev)
        return dict(out)

    def agent_spans(self) -> dict[str, tuple[datetime, datetime]]:
        """First and last time each agent appears (any family)."""
        spans: dict[str, tuple[datetime, datetime]] = {}
        for ev in self.events:
            if ev.agent and ev.time is not None:
                first, last = spans.get(ev.agent, (ev.time, ev.time))
                spans[ev.agent] = (min(first, ev.time), max(last, ev.time))
        return spans

    def frame(self, kinds: Iterable[str] | None = None) -> pd.DataFrame:
        import pandas as pd  # heavy: imported only when a detector asks for a frame

        wanted = set(kinds) if kinds is not None else None
        rows = [
            {
                "time": ev.time,
                "agent": ev.agent,
                "kind": str(ev.kind),
                "node": ev.node,
                "file": ev.file,
                "line": ev.line,
                **ev.attrs,
            }
            for ev in self.events
            if wanted is None or ev.kind in wanted
        ]
        return pd.DataFrame(rows)

    @property
    def start(self) -> datetime | None:
        return self.events[0].time if self.events else None

    @property
    def end(self) -> datetime | None:
        return self.events[-1].time if self.events else None


def place_events(
    events: list[Event], resolver: OffsetResolver
) -> tuple[list[Event], dict[str | None, set[int]]]:
    """Give every event with only a local time its UTC time, file by file in line order."""
    used: dict[str | None, set[int]] = defaultdict(set)
    prev_by_file: dict[str, datetime] = {}
    order = sorted(range(len(events)), key=lambda i: (events[i].file, events[i].line))
    placed = list(events)
    for i in order:
        ev = events[i]
        if ev.time is None and ev.local_time is not None:
            p = resolver.place(ev.node, ev.local_time, prev_by_file.get(ev.file))
            used[ev.node].add(p.offset_minutes)
            placed[i] = replace(ev, time=p.utc)
            prev_by_file[ev.file] = p.utc
        elif ev.time is not None:
            prev_by_file[ev.file] = ev.time
    return placed, dict(used)


def build(events: list[Event], resolver: OffsetResolver) -> Timeline:
    """Place and sort every event of the bundle. Nothing is filtered here: --agent/--since/
    --until narrow the report (Report.shown), never the analysis."""
    placed, used = place_events(events, resolver)
    kept = [ev for ev in placed if ev.time is not None]
    kept.sort(key=lambda e: (e.time, e.file, e.line, str(e.kind)))
    return Timeline(kept, used)
