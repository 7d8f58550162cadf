"""Where parsed events are kept while the bundle is read.

Memory grows with what matters, not with the raw logs:
- high-volume activity (BOSH requests, 'was last active' checks) is reduced per session to the
  events at the edges of each stretch of activity (a run ends where the session went quiet);
- CTI and presence events are kept; everything else was never turned into an event;
- an event seen again in an overlapping rotated copy of the same log is dropped (counted).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from .event import AttrValue, Event, Kind

ACTIVITY_KINDS = frozenset({Kind.BOSH_REQUEST, Kind.SESSION_ACTIVITY})
ACTIVITY_GAP = timedelta(seconds=40)
"""Longer than the 30 s BOSH poll: a quieter stretch ends an activity run."""


def activity_instant(ev: Event) -> datetime | None:
    """When the session was last really active, per this event (line time minus 'ms ago')."""
    t = ev.time if ev.time is not None else ev.local_time
    if t is None:
        return None
    ms = ev.attrs.get("ms_ago")
    return t - timedelta(milliseconds=int(ms)) if isinstance(ms, int) else t


@dataclass
class _Run:
    last_instant: datetime
    last_event: Event  # the event that showed the latest real activity
    latest_check: Event  # the latest line about this session (may show it idle)


@dataclass
class EventStore:
    events: list[Event] = field(default_factory=list)
    duplicates: int = 0
    _seen: dict[tuple[object, ...], int] = field(default_factory=dict)
    _runs: dict[tuple[str | None, str], _Run] = field(default_factory=dict)
    sid_agents: dict[tuple[str | None, str], str] = field(default_factory=dict)

    def add(self, ev: Event, group: str, file_id: int) -> bool:
        """Keep `ev` unless an overlapping rotated copy already gave it; True if kept."""
        if ev.kind not in ACTIVITY_KINDS:  # activity runs tolerate repeats by construction
            key = (ev.node, group, ev.kind, ev.time_text, ev.agent, _frozen(ev.attrs))
            first_file = self._seen.setdefault(key, file_id)
            if first_file != file_id:
                self.duplicates += 1
                return False
        sid = ev.attrs.get("sid")
        if isinstance(sid, str) and ev.agent:
            self.sid_agents[(ev.node, sid)] = ev.agent
        if ev.kind in ACTIVITY_KINDS:
            self._activity(ev)
        else:
            self.events.append(ev)
        return True

    def _activity(self, ev: Event) -> None:
        sid = ev.attrs.get("sid")
        ident = str(sid) if sid else (f"agent:{ev.agent}" if ev.agent else None)
        instant = activity_instant(ev)
        if ident is None or instant is None:
            return
        key = (ev.node, ident)
        run = self._runs.get(key)
        if run is None:
            self.events.append(_mark(ev, "start"))
            self._runs[key] = _Run(instant, ev, ev)
            return
        if instant - run.last_instant > ACTIVITY_GAP or run.last_instant - instant > ACTIVITY_GAP:
            self._close(run)
            self.events.append(_mark(ev, "start"))
            self._runs[key] = _Run(instant, ev, ev)
            return
        if instant > run.last_instant:
            run.last_instant = instant
            run.last_event = ev
        run.latest_check = ev

    def _close(self, run: _Run) -> None:
        self.events.append(_mark(run.last_event, "end"))
        if run.latest_check is not run.last_event:
            self.events.append(_mark(run.latest_check, "idle-check"))

    def finish(self) -> None:
        """Close every open activity run and give sid-only events their agent."""
        for run in self._runs.values():
            self._close(run)
        self._runs.clear()
        self._seen.clear()
        if self.sid_agents:
            for i, ev in enumerate(self.events):
                sid = ev.attrs.get("sid")
                if ev.agent is None and isinstance(sid, str):
                    agent = self.sid_agents.get((ev.node, sid))
                    if agent:
                        self.events[i] = _with_agent(ev, agent)


def _frozen(attrs: object) -> tuple[tuple[str, AttrValue], ...]:
    return tuple(sorted(attrs.items())) if isinstance(attrs, dict) else ()


def _mark(ev: Event, edge: str) -> Event:
    return replace(ev, attrs={**ev.attrs, "run": edge})


def _with_agent(ev: Event, agent: str) -> Event:
    return replace(ev, agent=agent)
