"""The result of a scan: plain records, and their JSON form (schema_version 1)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from .timestamps import iso_z

SCHEMA_VERSION = 1


class Note(str):
    """A warning as a record: its `code` (what kind), `message`, and the `file` and `line` it
    is about when it is about one. It is also its text (`str`), as every output shows it:
    'skipped FILE: why', 'FILE: message', or the message."""

    code: str
    message: str
    file: str | None
    line: int | None

    def __new__(cls, code: str, message: str, file: str | None = None, line: int | None = None) -> Note:
        if code == "skipped" and file:
            text = f"skipped {file}: {message}"
        else:
            text = f"{file}: {message}" if file else message
        note = super().__new__(cls, text)
        note.code, note.message, note.file, note.line = code, message, file, line
        return note

    @classmethod
    def in_file(cls, file: str, message: str) -> Note:
        """A file's own warning; 'line N' in it ('line N: ...', '... after line N') gives the line."""
        m = _LINE.search(message)
        return cls("file", message, file, int(m[1]) if m else None)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "file": self.file, "line": self.line}


_LINE = re.compile(r"\bline (\d+)\b")


class Severity(StrEnum):
    """How much a server event weighs: critical evidence can make drops server-wide."""

    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"


class Outcome(StrEnum):
    """What became of an agent after a lost session (see detectors/disconnects.py)."""

    FORCED_LOGOUT = "forced-logout"
    RECOVERED = "recovered"
    FAILED_OVER = "failed-over"
    FAILOVER_RACE = "failover-race"
    UNKNOWN = "unknown"


class Classification(StrEnum):
    CLIENT_SIDE = "client-side"
    SERVER_WIDE = "server-wide"


def in_bundle(path: str) -> str:
    """A file as support engineers name it: the path inside the bundle from the component
    folder on ('openfire/debug.log', 'syslog/CiscoSyslog'), not where the bundle lies."""
    inner = path.rsplit("!", 1)[-1]
    for marker in ("/logs/", "activelog/", "/syslog/", "/core/"):
        at = inner.rfind(marker)
        if at >= 0:
            start = at + len(marker) if marker in ("/logs/", "activelog/") else at + 1
            return inner[start:]
    return inner.rsplit("/", 1)[-1] if inner.startswith("/") else inner


@dataclass(frozen=True)
class Evidence:
    file: str
    line: int | None
    event: str
    time: datetime | None = None
    time_text: str = ""
    node: str | None = None
    agent: str | None = None
    server_local: str = ""  # the UTC time on the node's wall clock, with its offset

    @property
    def where(self) -> str:
        """'file:line', or just the file for evidence without a line (a dump file)."""
        return f"{self.file}:{self.line}" if self.line else self.file

    @property
    def short(self) -> str:
        """'openfire/debug.log:422': the file inside the bundle, and the line."""
        name = in_bundle(self.file)
        return f"{name}:{self.line}" if self.line else name

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "event": self.event, "time": iso_z(self.time)}


@dataclass(frozen=True)
class FileInfo:
    path: str
    family: str
    node: str | None
    lines: int = 0
    parsed: int = 0
    unparsed: int = 0
    first: datetime | None = None
    last: datetime | None = None
    duplicates: int = 0
    warnings: list[str] = field(default_factory=list)
    skipped: str | None = None  # why the file was not parsed
    node_source: str = "path"  # where the node's name came from: path, content, input name

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "family": self.family, "node": self.node, "lines": self.lines,
                "parsed": self.parsed, "unparsed": self.unparsed,
                "first": iso_z(self.first), "last": iso_z(self.last)}  # fmt: skip


@dataclass(frozen=True)
class NodeInfo:
    name: str
    utc_offset_source: str
    utc_offsets: list[str]
    name_source: str = "path"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "name_source": self.name_source, "utc_offset_source": self.utc_offset_source,
                "utc_offsets": self.utc_offsets}  # fmt: skip


@dataclass(frozen=True)
class Disconnect:
    agent: str
    time: datetime
    node: str | None
    session_id: str | None
    last_activity: datetime | None
    idle_close: datetime | None
    presence_unavailable: datetime | None
    forced_logout: datetime | None
    reason_code: int | None
    resulting_state: str | None
    outcome: Outcome
    evidence: list[Evidence]
    classification: Classification = Classification.CLIENT_SIDE
    incident: str = ""
    hints: list[str] = field(default_factory=list)
    failover_node: str | None = None  # the node the agent moved to (failed-over, failover-race)

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent": self.agent, "time": iso_z(self.time), "node": self.node,
            "session_id": self.session_id, "last_activity": iso_z(self.last_activity),
            "idle_close": iso_z(self.idle_close), "presence_unavailable": iso_z(self.presence_unavailable),
            "forced_logout": iso_z(self.forced_logout), "reason_code": self.reason_code,
            "resulting_state": self.resulting_state, "outcome": self.outcome,
            "classification": self.classification, "incident": self.incident,
            "hints": list(self.hints), "evidence": [e.to_dict() for e in self.evidence],
            **({"failover_node": self.failover_node} if self.failover_node else {}),
        }  # fmt: skip


@dataclass(frozen=True)
class Incident:
    id: str
    classification: Classification
    start: datetime
    end: datetime
    agents: list[str]
    disconnects: int
    summary: str
    recommended_actions: list[str]
    evidence: list[Evidence] = field(default_factory=list)  # server evidence cited
    nodes: list[str] = field(default_factory=list)  # the nodes its drops happened on

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "classification": self.classification, "start": iso_z(self.start),
                "end": iso_z(self.end), "agents": list(self.agents), "disconnects": self.disconnects,
                "summary": self.summary, "recommended_actions": list(self.recommended_actions),
                "nodes": list(self.nodes), "evidence": [e.to_dict() for e in self.evidence]}  # fmt: skip


@dataclass(frozen=True)
class ClientStats:
    agent: str
    samples: int
    median_drift_ms: int
    max_abs_drift_ms: int
    median_rtt_ms: int
    max_rtt_ms: int
    flags: list[str]
    user_agent: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"agent": self.agent, "samples": self.samples, "median_drift_ms": self.median_drift_ms,
                "max_abs_drift_ms": self.max_abs_drift_ms, "median_rtt_ms": self.median_rtt_ms,
                "max_rtt_ms": self.max_rtt_ms, "flags": list(self.flags)}  # fmt: skip


@dataclass(frozen=True)
class ServerEvent:
    time: datetime
    node: str | None
    kind: str
    detail: str
    evidence: Evidence
    severity: Severity = Severity.INFO
    signature: str = ""  # known-defect signature id, when one matched

    def to_dict(self) -> dict[str, Any]:
        return {"time": iso_z(self.time), "node": self.node, "kind": self.kind, "detail": self.detail,
                "severity": self.severity, **({"signature": self.signature} if self.signature else {}),
                "evidence": {"file": self.evidence.file, "line": self.evidence.line}}  # fmt: skip


@dataclass(frozen=True)
class Filter:
    """What --agent/--since/--until asked to show. The analysis itself (incidents,
    classification, verdict, check) always covers the whole bundle."""

    agents: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None

    def __bool__(self) -> bool:
        return bool(self.agents) or self.since is not None or self.until is not None

    def in_window(self, t: datetime | None) -> bool:
        if t is None:
            return True
        return (self.since is None or t >= self.since) and (self.until is None or t <= self.until)

    def shows(self, agent: str | None, t: datetime | None) -> bool:
        """Agentless rows (server events) are shown whenever their time is."""
        return (not self.agents or agent is None or agent in self.agents) and self.in_window(t)

    def describe(self) -> str:
        parts = [f"--agent {a}" for a in self.agents]
        if self.since is not None:
            parts.append(f"--since {iso_z(self.since)}")
        if self.until is not None:
            parts.append(f"--until {iso_z(self.until)}")
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {"agents": list(self.agents), "since": iso_z(self.since), "until": iso_z(self.until)}


@dataclass(frozen=True)
class Report:
    tool_version: str
    verdict: str
    verdict_reason: str
    window_start: datetime | None
    window_end: datetime | None
    nodes: list[NodeInfo]
    files: list[FileInfo]
    disconnects: list[Disconnect]
    incidents: list[Incident]
    clients: list[ClientStats]
    server_events: list[ServerEvent]
    warnings: list[Note]
    timeline: list[Evidence] = field(default_factory=list)  # chain events, for the text report
    skipped: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    agents_seen: int = 0
    events: list[Evidence] = field(default_factory=list)  # every event, when asked (timeline --all)
    event_table: list[dict[str, Any]] = field(default_factory=list)  # the same, for export (--events)
    filter: Filter = field(default_factory=Filter)
    totals: dict[str, int] = field(default_factory=dict)
    """Whole-bundle counts when `filter` narrowed the lists (disconnects, incidents, ...)."""

    def shown(self) -> Report:
        """The report narrowed to what --agent/--since/--until asked to see. Verdict, incidents'
        classification and the counts in `totals` stay those of the whole bundle."""
        f = self.filter
        if not f:
            return self
        ds = [d for d in self.disconnects if f.shows(d.agent, d.time)]
        shown_incidents = {d.incident for d in ds}
        return replace(
            self,
            disconnects=ds,
            incidents=[i for i in self.incidents if i.id in shown_incidents],
            clients=[c for c in self.clients if not f.agents or c.agent in f.agents],
            server_events=[s for s in self.server_events if f.in_window(s.time)],
            timeline=[e for e in self.timeline if f.shows(e.agent, e.time)],
            totals={
                "disconnects": len(self.disconnects),
                "incidents": len(self.incidents),
                "server_events": len(self.server_events),
                "agents_with_disconnects": len({d.agent for d in self.disconnects}),
            },
        )

    @property
    def usable(self) -> bool:
        """False when nothing in the inputs could be read as a Finesse log."""
        return any(f.skipped is None and (f.parsed > 0 or f.first is not None) for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "finesse-logscan", "version": self.tool_version},
            "verdict": self.verdict,
            "verdict_reason": self.verdict_reason,
            "window": {"start": iso_z(self.window_start), "end": iso_z(self.window_end)},
            "nodes": [n.to_dict() for n in self.nodes],
            "files": [f.to_dict() for f in self.files if f.skipped is None],
            "disconnects": [d.to_dict() for d in self.disconnects],
            "incidents": [i.to_dict() for i in self.incidents],
            "clients": [c.to_dict() for c in self.clients],
            "server_events": [s.to_dict() for s in self.server_events],
            "warnings": [str(w) for w in self.warnings],
            "notes": [w.to_dict() for w in self.warnings],
            **({"filter": {**self.filter.to_dict(), "totals": dict(self.totals)}} if self.filter else {}),
        }
