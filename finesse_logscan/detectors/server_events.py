"""Server-side evidence on the timeline: Notification Service and web services lifecycle,
crashes and dumps, service failures, XMPP connection errors and known-defect signatures."""

from __future__ import annotations

from ..event import Event, Kind
from ..options import ScanOptions
from ..report import Evidence, ServerEvent
from ..timeline import Timeline
from .findings import Findings

NAME = "server-events"
DESCRIPTION = "service stops/starts, restarts, dumps, service failures, known defects"

# event kind -> (server_events kind, severity); severity "critical" counts as outage evidence
KINDS: dict[Kind, tuple[str, str]] = {
    Kind.OPENFIRE_STOPPING: ("notification-service-stopped", "critical"),
    Kind.OPENFIRE_STOPPED: ("notification-service-stopped", "critical"),
    Kind.HTTPBIND_STOPPED: ("notification-service-stopped", "critical"),
    Kind.OPENFIRE_STARTED: ("notification-service-started", "critical"),
    Kind.HTTPBIND_STARTED: ("notification-service-started", "critical"),
    Kind.WEBSERVICES_RESTARTED: ("webservices-restarted", "critical"),
    Kind.HEAP_DUMP: ("heap-dump", "critical"),
    Kind.CORE_DUMP: ("core-dump", "critical"),
    Kind.SERVICE_FAILURE: ("service-failure", "critical"),
    Kind.SERVICE_STOPPED: ("service-failure", "critical"),
    Kind.KNOWN_DEFECT: ("known-defect", "critical"),
    Kind.XMPP_CONNECTION_ERROR: ("xmpp-connection-error", "warning"),
}
_DEDUP_S = 5


def describe(ev: Event) -> str:
    detail = ev.attrs.get("detail") or ev.attrs.get("title") or str(ev.kind)
    return str(detail)


def run(timeline: Timeline, options: ScanOptions, findings: Findings) -> None:
    last: dict[tuple[str | None, str], ServerEvent] = {}
    for ev in timeline.events:
        spec = KINDS.get(ev.kind)
        if spec is None or ev.time is None:
            continue
        kind, severity = spec
        sev = str(ev.attrs.get("severity", severity))
        key = (ev.node, kind)
        prev = last.get(key)
        # one stop is often logged as several lines (Initiating shutdown, HTTP bind stopped,
        # Openfire stopped): keep the first of a burst
        if prev is not None and (ev.time - prev.time).total_seconds() <= _DEDUP_S:
            continue
        se = ServerEvent(ev.time, ev.node, kind, describe(ev),
                         Evidence(ev.file, ev.line or None, str(ev.kind), ev.time, ev.time_text, ev.node), sev)  # fmt: skip
        last[key] = se
        findings.server_events.append(se)
