"""`finesse-logscan timeline`: the incident timeline on its own, one compact row per event."""

from __future__ import annotations

from datetime import datetime, timedelta

import click

from ..report import Evidence, Report
from .text import fit_table, short_node


def select(
    report: Report, incident: str | None, around: datetime | None, window: timedelta, every: bool
) -> list[Evidence]:
    """The rows to show: the chain and server events (or every event with --all), narrowed to
    an incident, a time window and the --agent/--since/--until view."""
    rows = list(report.events if every else report.timeline)
    view = report.filter
    rows = [e for e in rows if view.shows(e.agent, e.time)]
    if incident is not None:
        inc = next(i for i in report.incidents if i.id == incident)
        keep = {(e.file, e.line, e.event) for e in inc.evidence}
        for d in report.disconnects:
            if d.incident == incident:
                keep |= {(e.file, e.line, e.event) for e in d.evidence}
        rows = [e for e in rows if (e.file, e.line, e.event) in keep]
    if around is not None:
        rows = [e for e in rows if e.time is not None and abs(e.time - around) <= window]
    return rows


def render(report: Report, rows: list[Evidence], width: int, local: bool, color: bool) -> str:
    nodes = len(report.nodes)
    if not rows:
        return "no event in this view\n"
    if local:
        head = "server local"
        times = [e.server_local or "-" for e in rows]
    else:
        head = "UTC"
        times = [
            f"{e.time:%Y-%m-%d %H:%M:%S}.{e.time.microsecond // 1000:03d}" if e.time else "-" for e in rows
        ]
    table = [
        [t, e.agent or "-", e.event, (f"{short_node(e.node)}:" if nodes > 1 and e.node else "") + e.short]
        for t, e in zip(times, rows, strict=True)
    ]
    text = fit_table(table, [head, "agent", "event", "evidence"], width)
    if color:
        lines = text.splitlines()
        text = "\n".join([click.style(lines[0], bold=True), *lines[1:]])
    return text + f"\n{len(rows)} event(s)\n"
