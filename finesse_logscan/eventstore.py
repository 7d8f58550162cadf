"""Where parsed events are kept while the bundle is read.

Memory grows with what matters, not with the raw logs:
- high-volume activity (BOSH requests, 'was last active' checks) is reduced per session to the
  events at the edges of each stretch of activity (a run ends where the session went quiet);
- CTI and presence events are kept; everything else was never turned into an event;
- an event seen again in another file of the same node and family (an overlapping rotated copy,
  the same log reached through a folder and an archive, two overlapping bundles) is dropped and
  counted against the file that gave it first; activity lines inside a stretch already seen are
  ignored the same way.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from .event import AttrValue, Event, Kind, present

ActivityItem = tuple[int, str, datetime, Kind, str | None, str | None, int | None, str | None, str | None]
"""One activity line: (line, time as written, naive local time, kind, agent, sid, ms_ago, rid,
jid): a flat tuple, as millions are made; the attribute dict only for the few kept as Events."""


@dataclass(frozen=True, slots=True)
class ActivitySource:
    """Where a batch of activity lines comes from: what their Events share."""

    file: str
    family: str
    node: str | None

    def event(self, item: ActivityItem, run: str | None = None) -> Event:
        line, time_text, local, kind, agent, sid, ms, rid, jid = item
        clean = present({"sid": sid, "ms_ago": ms, "rid": rid, "jid": jid})
        if run is not None:
            clean["run"] = run
        return Event(None, time_text, self.file, line, self.family, kind, agent, self.node, local, clean)


@dataclass(frozen=True, slots=True)
class ActivityBatch:
    """Consecutive activity lines of one file that are not (yet) Events: a busy debug log has
    millions, and the store keeps only the few at the edges of each run of activity. A parser
    may yield one in place of the activity Events it would give; `events()` gives those."""

    source: ActivitySource
    items: list[ActivityItem]

    def events(self) -> list[Event]:
        return [self.source.event(item) for item in self.items]


_Shown = Event | tuple[ActivitySource, ActivityItem]
"""An activity line as the store holds it: an Event, or a batch item not made an Event yet."""

ACTIVITY_KINDS = frozenset({Kind.BOSH_REQUEST, Kind.SESSION_ACTIVITY, Kind.SESSION_BOUND})
ACTIVITY_GAP = timedelta(seconds=40)
"""Longer than the 30 s BOSH poll: a quieter stretch ends an activity run."""


def activity_instant(ev: Event) -> datetime | None:
    """When the session was last really active, per this event (line time minus 'ms ago')."""
    t = ev.time if ev.time is not None else ev.local_time
    if t is None:
        return None
    ms = ev.attrs.get("ms_ago")
    return t - timedelta(milliseconds=int(ms)) if isinstance(ms, int) else t


@dataclass(slots=True)
class _Run:
    first_instant: datetime
    last_instant: datetime
    last_event: _Shown  # the line that showed the latest real activity
    latest_check: _Shown  # the latest line about this session (may show it idle)
    latest_check_time: datetime

    def extend(self, instant: datetime, line_time: datetime, ev: _Shown) -> None:
        """A line inside this run (no gap on either side)."""
        if instant > self.last_instant:
            self.last_instant = instant
            self.last_event = ev
        elif instant < self.first_instant:
            self.first_instant = instant
        if line_time >= self.latest_check_time:
            self.latest_check = ev
            self.latest_check_time = line_time


@dataclass
class EventStore:
    events: list[Event] = field(default_factory=list)
    duplicates: int = 0
    repeats: Counter[tuple[int, int]] = field(default_factory=Counter)
    """(file id, id of the file that gave the event first) -> events dropped as repeats."""
    _seen: dict[tuple[object, ...], int] = field(default_factory=dict)
    _runs: dict[tuple[str | None, str], _Run] = field(default_factory=dict)
    _spans: dict[tuple[str | None, str], list[tuple[datetime, datetime]]] = field(default_factory=dict)
    sid_agents: dict[tuple[str | None, str], str] = field(default_factory=dict)

    def add(self, ev: Event, file_id: int) -> bool:
        """Keep `ev` unless another file of the same node and family already gave it."""
        if ev.kind not in ACTIVITY_KINDS:  # activity runs drop repeats themselves
            key = (ev.node, ev.family, ev.kind, ev.time_text, ev.agent, _frozen(ev.attrs))
            first_file = self._seen.setdefault(key, file_id)
            if first_file != file_id:
                self.duplicates += 1
                self.repeats[(file_id, first_file)] += 1
                return False
        sid = ev.attrs.get("sid")
        if isinstance(sid, str) and ev.agent:
            self.sid_agents[(ev.node, sid)] = ev.agent
        if ev.kind in ACTIVITY_KINDS:
            ident = str(sid) if sid else (f"agent:{ev.agent}" if ev.agent else None)
            instant = activity_instant(ev)
            if ident is not None and instant is not None:
                self._activity((ev.node, ident), instant, _line_time(ev), ev)
        else:
            self.events.append(ev)
        return True

    def add_batch(self, batch: ActivityBatch) -> None:
        """The activity lines of `batch`, exactly as `add` takes each one's Event (the common
        case, a line inside the open run of its session, is decided here: millions of lines).
        The sessions' agents are given to `sid_agents` once per batch (the last one each:
        nothing reads them in between)."""
        source, activity = batch.source, self._activity
        runs, spans, gap, ago = self._runs, self._spans, ACTIVITY_GAP, _ago
        node = source.node
        named: dict[str, str] = {}  # sid -> its latest agent in the batch
        for item in batch.items:
            _, _, local, _, agent, sid, ms, _, _ = item
            if agent:
                if sid is not None:
                    named[sid] = agent
                ident = sid or f"agent:{agent}"
            elif sid:
                ident = sid
            else:
                continue
            instant = (
                local - (ago[ms] if ms in ago else ago.setdefault(ms, timedelta(milliseconds=ms)))
                if ms
                else local
            )
            key = (node, ident)
            run = runs.get(key)
            if (
                run is None
                or key in spans
                or instant - run.last_instant > gap
                or run.first_instant - instant > gap
            ):
                activity(key, instant, local, (source, item))
                continue
            run.extend(instant, local, (source, item))
        sid_agents = self.sid_agents
        for sid, agent in named.items():
            sid_agents[(node, sid)] = agent
        if len(ago) > 100_000:
            ago.clear()

    def _activity(
        self, key: tuple[str | None, str], instant: datetime, line_time: datetime, ev: _Shown
    ) -> None:
        spans = self._spans.get(key)
        if spans and any(lo <= instant <= hi for lo, hi in spans):
            return  # a stretch already read from another copy of the log
        run = self._runs.get(key)
        if run is None:
            self.events.append(_mark(ev, "start"))
            self._runs[key] = _Run(instant, instant, ev, ev, line_time)
            return
        if instant - run.last_instant > ACTIVITY_GAP or run.first_instant - instant > ACTIVITY_GAP:
            self._close(key, run)
            self.events.append(_mark(ev, "start"))
            self._runs[key] = _Run(instant, instant, ev, ev, line_time)
            return
        run.extend(instant, line_time, ev)

    def _close(self, key: tuple[str | None, str], run: _Run) -> None:
        self._spans.setdefault(key, []).append((run.first_instant, run.last_instant))
        self.events.append(_mark(run.last_event, "end"))
        if run.latest_check is not run.last_event:
            self.events.append(_mark(run.latest_check, "idle-check"))

    def finish(self) -> None:
        """Close every open activity run and give sid-only events their agent."""
        for key, run in self._runs.items():
            self._close(key, run)
        self._runs.clear()
        self._spans.clear()
        self._seen.clear()
        if self.sid_agents:
            for i, ev in enumerate(self.events):
                sid = ev.attrs.get("sid")
                if ev.agent is None and isinstance(sid, str):
                    agent = self.sid_agents.get((ev.node, sid))
                    if agent:
                        self.events[i] = _with_agent(ev, agent)


_ago: dict[int, timedelta] = {}
"""'ms ago' values as timedeltas, made once each (a busy log repeats them)."""


def _line_time(ev: Event) -> datetime:
    t = ev.time if ev.time is not None else ev.local_time
    assert t is not None  # activity without a time never reaches a run
    return t


def _frozen(attrs: object) -> tuple[tuple[str, AttrValue], ...]:
    return tuple(sorted(attrs.items())) if isinstance(attrs, dict) else ()


def _mark(ev: _Shown, edge: str) -> Event:
    if isinstance(ev, Event):
        return replace(ev, attrs={**ev.attrs, "run": edge})
    source, item = ev
    return source.event(item, edge)


def _with_agent(ev: Event, agent: str) -> Event:
    return replace(ev, agent=agent)
