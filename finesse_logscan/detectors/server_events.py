"""Server-side evidence on the timeline: Notification Service and web services lifecycle,
crashes and dumps, service failures, XMPP connection errors, store-offline bursts and
known-defect signatures. Severity "critical" makes an event count as outage evidence."""

from __future__ import annotations

from datetime import datetime, timedelta

from ..event import Event, Kind
from ..options import ScanOptions
from ..report import Evidence, ServerEvent, Severity
from ..timeline import Timeline
from .findings import Findings

NAME = "server-events"
DESCRIPTION = "service stops/starts, restarts, dumps, service failures, known defects, store-offline bursts"

# event kind -> (server_events kind, severity)
KINDS: dict[Kind, tuple[str, Severity]] = {
    Kind.OPENFIRE_STOPPING: ("notification-service-stopped", Severity.CRITICAL),
    Kind.OPENFIRE_STOPPED: ("notification-service-stopped", Severity.CRITICAL),
    Kind.HTTPBIND_STOPPED: ("notification-service-stopped", Severity.CRITICAL),
    Kind.OPENFIRE_STARTED: ("notification-service-started", Severity.CRITICAL),
    Kind.HTTPBIND_STARTED: ("notification-service-started", Severity.CRITICAL),
    Kind.WEBSERVICES_RESTARTED: ("webservices-restarted", Severity.CRITICAL),
    Kind.HEAP_DUMP: ("heap-dump", Severity.CRITICAL),
    Kind.CORE_DUMP: ("core-dump", Severity.CRITICAL),
    Kind.SERVICE_FAILURE: ("service-failure", Severity.CRITICAL),
    Kind.SERVICE_STOPPED: ("service-stopped", Severity.CRITICAL),
    Kind.SERVICE_STARTED: ("service-started", Severity.INFO),
    Kind.SYSLOG_ALERT: ("syslog-alert", Severity.WARNING),
    Kind.KNOWN_DEFECT: ("known-defect", Severity.CRITICAL),
    Kind.XMPP_CONNECTION_ERROR: ("xmpp-connection-error", Severity.WARNING),
}
SAME_EVENT_S = 5
"""One stop is often logged as several lines (Initiating shutdown, HTTP bind stopped, Openfire
stopped): lines of one kind on one node this close together are one server event."""
BURST_WINDOW = timedelta(seconds=60)
BURST_MIN_EVENTS = 10
BURST_MIN_AGENTS = 5
"""'Unable to route packet ... store offline' for this many agents within a minute."""


def _kind_and_severity(ev: Event) -> tuple[str, Severity] | None:
    spec = KINDS.get(ev.kind)
    if spec is None:
        return None
    kind, severity = spec
    service = str(ev.attrs.get("service", ""))
    if "Notification" in service and ev.kind in (
        Kind.SERVICE_STOPPED,
        Kind.SERVICE_FAILURE,
        Kind.SERVICE_STARTED,
    ):
        started = ev.kind == Kind.SERVICE_STARTED
        kind = "notification-service-started" if started else "notification-service-stopped"
        severity = Severity.CRITICAL
    return kind, Severity(str(ev.attrs.get("severity", severity)))  # a signature's, checked when loaded


def describe(ev: Event) -> str:
    return str(ev.attrs.get("detail") or ev.attrs.get("title") or ev.kind)


def _evidence(ev: Event, kind: str) -> Evidence:
    return Evidence(ev.file, ev.line or None, kind, ev.time, ev.time_text, ev.node)


def run(timeline: Timeline, options: ScanOptions) -> Findings:
    found: list[ServerEvent] = []
    last_seen: dict[tuple[str | None, str, str], datetime] = {}
    offline: list[Event] = []
    for ev in timeline.events:
        if ev.time is None:
            continue
        if ev.kind == Kind.STORE_OFFLINE:
            offline.append(ev)
            continue
        spec = _kind_and_severity(ev)
        if spec is None:
            continue
        kind, severity = spec
        key = (ev.node, kind, str(ev.attrs.get("signature", "")))
        prev = last_seen.get(key)
        last_seen[key] = ev.time
        if prev is not None and (ev.time - prev).total_seconds() <= SAME_EVENT_S:
            continue
        se = ServerEvent(
            ev.time,
            ev.node,
            kind,
            describe(ev),
            _evidence(ev, kind),
            severity,
            str(ev.attrs.get("signature", "")),
        )
        found.append(se)
    found.extend(_offline_bursts(offline))
    found.sort(key=lambda s: (s.time, s.kind, s.evidence.file, s.evidence.line or 0))
    return Findings(server_events=tuple(found))


def _offline_bursts(events: list[Event]) -> list[ServerEvent]:
    out: list[ServerEvent] = []
    i = 0
    while i < len(events):
        start = events[i]
        assert start.time is not None
        j = i
        while j < len(events) and events[j].time is not None and events[j].time - start.time <= BURST_WINDOW:  # type: ignore[operator]
            j += 1
        window = events[i:j]
        agents = {e.agent for e in window if e.agent}
        if len(window) >= BURST_MIN_EVENTS and len(agents) >= BURST_MIN_AGENTS:
            detail = (
                f"{len(window)} undeliverable updates stored offline for {len(agents)} agents within 60 s"
            )
            out.append(
                ServerEvent(
                    start.time,
                    start.node,
                    "store-offline-burst",
                    detail,
                    _evidence(start, "store-offline-burst"),
                    Severity.WARNING,
                )
            )
            i = j
        else:
            i += 1
    return out
