"""The default human report: inputs, verdict, incidents, incident timeline, agents, clients, warnings."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from tabulate import tabulate

from ..guidance import CLIENT_SIDE, SERVER_WIDE
from ..report import Report
from ..timestamps import iso_z
from .paths import common_dir, location

MAX_WARNINGS = 40
MAX_EVIDENCE = 12


def _t(dt: datetime | None) -> str:
    z = iso_z(dt)
    return z.replace("T", " ").replace("Z", "") if z else "-"


def _short(dt: datetime | None) -> str:
    return dt.strftime("%H:%M:%S") if dt else "-"


_BROWSERS = (
    ("Edg/", "Edge"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Trident/", "IE"),
    ("Safari/", "Safari"),
)


def browser(user_agent: str | None) -> str:
    """'Mozilla/5.0 ... Chrome/120.0.0.0 Safari/537.36' -> 'Chrome 120' (check it against the
    compatibility matrix); '-' when the client log has no User-Agent line."""
    if not user_agent:
        return "-"
    for token, name in _BROWSERS:
        at = user_agent.find(token)
        if at >= 0:
            version = user_agent[at + len(token) :].split(".", 1)[0].split(" ", 1)[0]
            return f"{name} {version}".strip()
    return user_agent[:30]


def render(report: Report) -> str:
    out: list[str] = []
    w = out.append
    base = common_dir([f.path for f in report.files if f.skipped is None])

    w(f"finesse-logscan {report.tool_version}")
    w("")
    w("== Inputs ==")
    used = [f for f in report.files if f.skipped is None]
    skipped = [f for f in report.files if f.skipped is not None]
    lines = sum(f.lines for f in used)
    parsed = sum(f.parsed for f in used)
    w(f"{len(used)} log file(s) read, {len(skipped) + len(report.skipped)} skipped; "
      f"{lines} lines: {parsed} parsed, {lines - parsed} unparsed")  # fmt: skip
    if report.window_start:
        w(f"time window: {_t(report.window_start)} .. {_t(report.window_end)} UTC")
    if base:
        w(f"files below: {base}")
    by_family: dict[str, int] = defaultdict(int)
    for f in used:
        by_family[f.family] += 1
    if by_family:
        w("families: " + ", ".join(f"{k} ({v})" for k, v in sorted(by_family.items())))
    if report.nodes:
        rows: list[list[object]] = [
            [n.name, ", ".join(n.utc_offsets), n.utc_offset_source] for n in report.nodes
        ]
        w(tabulate(rows, headers=["node", "UTC offset", "offset from"], tablefmt="simple"))
    w("")
    w("== Verdict ==")
    w(f"{report.verdict.upper()}: {report.verdict_reason}")
    tot = report.totals
    n_disc = tot.get("disconnects", len(report.disconnects))
    n_agents = tot.get("agents_with_disconnects", len({d.agent for d in report.disconnects}))
    n_inc = tot.get("incidents", len(report.incidents))
    n_srv = tot.get("server_events", len(report.server_events))
    w(f"{n_disc} disconnect(s) of {n_agents} agent(s) among {report.agents_seen} agent(s) seen; "
      f"{n_inc} incident(s); {n_srv} server event(s)")  # fmt: skip
    if report.filter:
        w(f"shown: {report.filter.describe()}: {len(report.disconnects)} of {n_disc} disconnect(s), "
          f"{len(report.incidents)} of {n_inc} incident(s); verdict and incidents cover the whole bundle")  # fmt: skip
    for inc in report.incidents:
        w("")
        w(f"== {inc.id} {inc.classification} {_t(inc.start)} .. {_short(inc.end)} UTC ==")
        w(inc.summary)
        w("agents: " + ", ".join(inc.agents))
        ds = [d for d in report.disconnects if d.incident == inc.id]
        w("evidence:")
        shown = 0
        for ev in inc.evidence:
            w(f"  {location(ev.file, ev.line, base)}  {ev.event}")
            shown += 1
        for d in ds:
            for ev in d.evidence:
                if shown >= MAX_EVIDENCE:
                    break
                w(f"  {location(ev.file, ev.line, base)}  {ev.event} ({d.agent})")
                shown += 1
        total = len(inc.evidence) + sum(len(d.evidence) for d in ds)
        if total > shown:
            w(f"  ... {total - shown} more (see --format json)")
        w("recommended actions:")
        generic = CLIENT_SIDE if inc.classification == "client-side" else SERVER_WIDE
        specific = [a for a in inc.recommended_actions if a not in generic]
        for a in specific:
            w(f"  - {a}")
        w(f"  - and the technote's {inc.classification} checklist (below)")
    if report.timeline:
        w("")
        w("== Incident timeline ==")
        rows = [[_t(e.time), e.server_local or "-", e.time_text or "-", e.node or "-", e.agent or "-", e.event,
                 location(e.file, e.line, base)] for e in report.timeline]  # fmt: skip
        headers = ["UTC", "server local", "as logged", "node", "agent", "event", "evidence"]
        w(tabulate(rows, headers=headers, tablefmt="simple"))
    if report.disconnects:
        w("")
        w("== Disconnects ==")
        rows = [
            [d.agent, _t(d.time), _short(d.last_activity), _short(d.idle_close), _short(d.presence_unavailable),
             _short(d.forced_logout), d.reason_code if d.reason_code is not None else "-", d.resulting_state or "-",
             d.outcome, d.classification, d.incident, ", ".join(d.hints) or "-"]
            for d in report.disconnects
        ]  # fmt: skip
        w(tabulate(rows, headers=["agent", "time (UTC)", "last poll", "idle close", "presence off",
                                  "forced logout", "reason", "state", "outcome", "class", "incident", "hints"],
                   tablefmt="simple"))  # fmt: skip
    if report.disconnects:
        w("")
        w("== Agents ==")
        per: dict[str, list[str]] = defaultdict(list)
        for d in report.disconnects:
            per[d.agent].append(d.outcome)
        flags = {c.agent: c.flags for c in report.clients}
        rows = [[a, len(o), o.count("forced-logout"), o.count("recovered"), o.count("unknown"),
                 ", ".join(sorted({d.incident for d in report.disconnects if d.agent == a})),
                 ", ".join(flags.get(a, [])) or ("no client log" if a not in flags else "-")]
                for a, o in sorted(per.items())]  # fmt: skip
        w(tabulate(rows, headers=["agent", "disconnects", "forced logout", "recovered", "unknown", "incidents",
                                  "client flags"], tablefmt="simple"))  # fmt: skip
    if report.clients:
        w("")
        w("== Client drift and latency ==")
        rows = [[c.agent, c.samples, c.median_drift_ms, c.max_abs_drift_ms, c.median_rtt_ms, c.max_rtt_ms,
                 ", ".join(c.flags) or "-", browser(c.user_agent)] for c in report.clients]  # fmt: skip
        w(tabulate(rows, headers=["agent", "samples", "median drift ms", "max |drift| ms", "median rtt ms",
                                  "max rtt ms", "flags", "browser"], tablefmt="simple"))  # fmt: skip
    if report.server_events:
        w("")
        w("== Server events ==")
        rows = [[_t(s.time), s.node or "-", s.kind, s.detail[:70], location(s.evidence.file, s.evidence.line, base)]
                for s in report.server_events]  # fmt: skip
        w(tabulate(rows, headers=["UTC", "node", "kind", "detail", "evidence"], tablefmt="simple"))
    classes = sorted({i.classification for i in report.incidents})
    for cls in classes:
        w("")
        w(f"== The technote's {cls} checklist ==")
        for i, a in enumerate(CLIENT_SIDE if cls == "client-side" else SERVER_WIDE, 1):
            w(f"  {i}. {a}")
    if report.warnings:
        w("")
        w(f"== Warnings ({len(report.warnings)}) ==")
        for msg in report.warnings[:MAX_WARNINGS]:
            w(f"- {msg}")
        if len(report.warnings) > MAX_WARNINGS:
            w(f"- ... {len(report.warnings) - MAX_WARNINGS} more (see --format json)")
    return "\n".join(out) + "\n"
