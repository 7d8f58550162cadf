"""CI check mode: turn a Report into findings with locations, and decide the exit status.

A pure layer over the analysis (like httpie's status mapping): `findings()` lists what a
pipeline should see, `exit_status()` maps it to 0/1 by --fail-on and --max-disconnects.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from .classification import EVIDENCE_PRIORITY
from .report import Evidence, Incident, Report
from .status import ExitStatus


@dataclass(frozen=True)
class Location:
    path: str  # a real path on disk (an archive member points at its archive)
    line: int | None
    note: str = ""  # the archive member and line, when the path is an archive
    short: str = ""  # the evidence inside the bundle ('openfire/debug.log:422'), for people

    @property
    def where(self) -> str:
        """'path:line', or 'archive (member:line)', or just the path."""
        if self.line:
            return f"{self.path}:{self.line}"
        return f"{self.path} ({self.note})" if self.note else self.path


@dataclass
class Finding:
    rule_id: str
    title: str
    message: str
    location: Location
    failing: bool
    severity: str  # "critical" | "major" | "minor" | "info"
    related: list[tuple[Location, str]] = field(default_factory=list)
    fingerprint_key: str = ""

    @property
    def level(self) -> str:
        """The one level every output gives this finding (see LEVELS): `error` when it meets
        --fail-on, else `warning` for critical or major findings, else `note`."""
        if self.failing:
            return "error"
        return "warning" if self.severity in ("critical", "major") else "note"

    @property
    def fingerprint(self) -> str:
        """Stable when only line numbers move: built from the rule, the file and what was found."""
        key = f"{self.rule_id}|{self.location.path}|{self.fingerprint_key}"
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


LEVELS: dict[str, dict[str, str]] = {
    "error": {"console": "FAIL", "junit": "failure", "sarif": "error", "github": "error", "gitlab": "blocker"},
    "warning": {"console": "warning", "junit": "passed (system-out)", "sarif": "warning", "github": "warning",
                "gitlab": "major"},
    "note": {"console": "note", "junit": "passed (system-out)", "sarif": "note", "github": "notice",
             "gitlab": "minor"},
}  # fmt: skip
"""How each output names a finding's level: one level per finding, the same in all of them."""

RULES: dict[str, tuple[str, str]] = {
    "server-wide-incident": (
        "Server-wide disconnect incident",
        "Many agents lost their Finesse desktop connection at once (outage, service crash, CTI failure).",
    ),
    "client-side-incident": (
        "Client-side disconnect",
        "An agent's desktop stopped polling the Notification Service (network, browser, sleep, NTP).",
    ),
    "known-issue": ("Known issue signature matched", "A known-defect signature matched a log line."),
    "max-disconnects": ("Too many disconnects", "More disconnects than --max-disconnects allows."),
}


def locate(ev: Evidence) -> Location:
    if "!" in ev.file:
        outer, _, member = ev.file.partition("!")
        return Location(outer, None, f"{member}:{ev.line}" if ev.line else member, ev.short)
    return Location(ev.file, ev.line, "", ev.short)


def incident_fails(inc: Incident, fail_on: str) -> bool:
    return fail_on == "any" or fail_on == inc.classification


def findings(
    report: Report, fail_on: str = "server-wide", max_disconnects: int | None = None
) -> list[Finding]:
    """One finding per incident, per known-issue match, and one for --max-disconnects. (Kept
    as one list of three blocks: each block is one finding's fields, read side by side.)"""
    out: list[Finding] = []
    for inc in report.incidents:
        evidence = list(inc.evidence)
        for d in report.disconnects:
            if d.incident == inc.id:
                evidence.extend(d.evidence)
        primary = _primary(evidence)
        if primary is None:
            continue
        rule = f"{inc.classification}-incident"
        message = f"{inc.id}: {inc.summary}"
        if inc.recommended_actions:
            message += f". First action: {inc.recommended_actions[0]}"
        out.append(
            Finding(
                rule_id=rule,
                title=f"{inc.classification} incident {inc.id} ({len(inc.agents)} agent(s))",
                message=message,
                location=locate(primary),
                failing=incident_fails(inc, fail_on),
                severity="critical" if inc.classification == "server-wide" else "major",
                related=[
                    (locate(e), f"{e.event} ({e.agent or e.node or '-'})")
                    for e in evidence
                    if e is not primary
                ],
                fingerprint_key=f"{inc.classification}|{','.join(inc.agents)}|{primary.event}",
            )
        )
    for se in report.server_events:
        if se.kind != "known-defect":
            continue
        out.append(
            Finding(
                rule_id=f"known-issue/{se.signature or 'unknown'}",
                title=se.detail,
                message=f"{se.detail} on {se.node} at {se.evidence.time_text or se.time}",
                location=locate(se.evidence),
                failing=False,
                severity="critical" if se.severity == "critical" else "minor",
                fingerprint_key=f"{se.signature}|{se.node}|{se.evidence.time_text}",
            )
        )
    if max_disconnects is not None and len(report.disconnects) > max_disconnects:
        first = report.disconnects[0].evidence[0] if report.disconnects[0].evidence else None
        path = report.files[0].path if report.files else "."
        loc = locate(first) if first else Location(path, None, "", path)
        out.append(
            Finding(
                rule_id="max-disconnects",
                title=f"{len(report.disconnects)} disconnects (more than {max_disconnects})",
                message=f"{len(report.disconnects)} disconnects of "
                f"{len({d.agent for d in report.disconnects})} agent(s); --max-disconnects is {max_disconnects}",
                location=loc,
                failing=True,
                severity="major",
                fingerprint_key=str(max_disconnects),
            )
        )
    return out


def _primary(evidence: list[Evidence]) -> Evidence | None:
    """The most telling line: the decisive server evidence (in the order the verdict names
    it), else an idle close, else the first."""
    for wanted in EVIDENCE_PRIORITY:
        for e in evidence:
            if e.event == wanted:
                return e
    for e in evidence:
        if e.event == "idle-close":
            return e
    with_line = [e for e in evidence if e.line]
    return with_line[0] if with_line else (evidence[0] if evidence else None)


def exit_status(found: list[Finding]) -> ExitStatus:
    return ExitStatus.FINDINGS if any(f.failing for f in found) else ExitStatus.OK
