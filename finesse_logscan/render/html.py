"""`analyze --html FILE`: one self-contained page to attach to a case.

Charts by Plotly (plotly.js inlined once: the page makes no network request), fed from pandas
frames of the report's events: an agents-by-time swimlane (each disconnect chain's events, the
drops coloured by outcome, server events as vertical markers; zoom with the mouse), drops per
minute by classification, and each agent's clock drift and round trip against the thresholds.
Then the verdict, the incidents with their actions and evidence, the timeline (filterable by
agent and event), the inputs and the warnings. Every text taken from the logs is escaped, also
inside the charts' data, so a log line holding `<script>` stays text.
"""

from __future__ import annotations

import html
from typing import Any

from ..options import Thresholds
from ..report import Evidence, Report
from .text import browser

OUTCOME_COLOURS = {"forced-logout": "#c0392b", "recovered": "#27ae60", "unknown": "#7f8c8d",
                   "failed-over": "#2980b9", "failover-race": "#8e44ad"}  # fmt: skip
CLASS_COLOURS = {"server-wide": "#c0392b", "client-side": "#e67e22"}


class HtmlUnavailable(RuntimeError):
    """Plotly is not installed (the optional 'html' extra)."""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def evidence_of(report: Report) -> list[Evidence]:
    """Every evidence row the page shows (their original lines are read again for it)."""
    out = [e for inc in report.incidents for e in inc.evidence]
    return out + [e for d in report.disconnects for e in d.evidence]


def render(
    report: Report, thresholds: Thresholds | None = None, originals: dict[tuple[str, int], str] | None = None
) -> str:
    try:
        import pandas as pd
        import plotly.io as pio
    except ImportError as exc:
        raise HtmlUnavailable("the HTML report needs Plotly: pip install 'finesse-logscan[html]'") from exc
    th = thresholds or Thresholds()
    figures: list[str] = []
    drops = pd.DataFrame([{"time": d.time, "agent": _e(d.agent), "outcome": d.outcome, "incident": d.incident,
                           "class": d.classification} for d in report.disconnects])  # fmt: skip
    for fig in (_swimlane(report, drops), _per_minute(drops), _drift(report, th)):
        if fig is not None:
            fig.update_layout(margin={"l": 60, "r": 20, "t": 40, "b": 40}, template="plotly_white")
            figures.append(
                pio.to_html(fig, full_html=False, include_plotlyjs=not figures, config={"displaylogo": False})
            )
    return _page(report, figures, originals or {})


def _swimlane(report: Report, drops: Any) -> Any:
    """Agents by time: each BOSH session's stretch, chain events, drops, server events."""
    import pandas as pd
    import plotly.graph_objects as go

    rows = [{"time": e.time, "agent": _e(e.agent), "event": _e(e.event), "where": _e(e.short)}
            for e in report.timeline if e.time is not None and e.agent]  # fmt: skip
    ev = pd.DataFrame(rows)
    dropped = list(dict.fromkeys(drops["agent"])) if len(drops) else []
    others = sorted(set(ev["agent"]) - set(dropped)) if len(ev) else []
    order = dropped + others
    lane = go.Figure()
    for i, (agent, first, last) in enumerate(_sessions(report)):
        lane.add_trace(go.Scatter(x=[first, last], y=[agent, agent], mode="lines", line={"color": "#aed6f1", "width": 6},
                                  name="BOSH session", legendgroup="session", showlegend=i == 0, hoverinfo="skip"))  # fmt: skip
    if len(ev):
        lane.add_trace(go.Scatter(x=ev["time"], y=ev["agent"], mode="markers", name="chain events",
                                  marker={"size": 6, "color": "#95a5a6"}, text=ev["event"] + " " + ev["where"],
                                  hoverinfo="x+y+text"))  # fmt: skip
    if len(drops):
        for outcome, part in drops.groupby("outcome"):
            lane.add_trace(go.Scatter(x=part["time"], y=part["agent"], mode="markers", name=f"drop: {outcome}",
                                      marker={"size": 12, "symbol": "x", "color": OUTCOME_COLOURS.get(str(outcome))},
                                      text=part["incident"] + " " + part["class"], hoverinfo="x+y+text"))  # fmt: skip
    for s in report.server_events:
        lane.add_vline(
            x=s.time, line={"color": "#c0392b" if s.severity == "critical" else "#bdc3c7", "dash": "dot"}
        )
    lane.update_layout(title="Agents by time (UTC): disconnect chains, drops, server events", height=max(300, 22 * len(order) + 120),
                       yaxis={"categoryorder": "array", "categoryarray": list(reversed(order)), "type": "category"})  # fmt: skip
    return lane


def _per_minute(drops: Any) -> Any:
    """Disconnects per minute, stacked by classification (None without drops)."""
    import plotly.graph_objects as go

    if not len(drops):
        return None
    per = (
        drops.assign(minute=drops["time"].dt.floor("min"))
        .groupby(["minute", "class"])
        .size()
        .reset_index(name="drops")
    )
    bars = go.Figure()
    for cls, part in per.groupby("class"):
        bars.add_trace(go.Bar(x=part["minute"], y=part["drops"], name=str(cls), marker_color=CLASS_COLOURS.get(str(cls)),
                              width=55_000, offset=0))  # one minute wide (ms), from the minute on  # fmt: skip
    bars.update_layout(title="Disconnects per minute (UTC)", barmode="stack", height=300)
    return bars


def _drift(report: Report, th: Thresholds) -> Any:
    """Median clock drift and largest round trip per agent, against the thresholds."""
    import pandas as pd
    import plotly.graph_objects as go

    if not report.clients:
        return None
    cl = pd.DataFrame(
        [{"agent": _e(c.agent), "drift": c.median_drift_ms, "rtt": c.max_rtt_ms} for c in report.clients]
    )
    dl = go.Figure()
    dl.add_trace(go.Bar(x=cl["agent"], y=cl["drift"], name="median drift (ms)"))
    dl.add_trace(go.Bar(x=cl["agent"], y=cl["rtt"], name="max round trip (ms)"))
    for y, label in ((th.drift_threshold_ms, "drift threshold"), (-th.drift_threshold_ms, None),
                     (th.latency_threshold_ms, "latency threshold")):  # fmt: skip
        dl.add_hline(y=y, line={"dash": "dash", "color": "#7f8c8d"}, annotation_text=label or "")
    dl.update_layout(title="Client clock drift and network round trip per agent", barmode="group", height=320)
    return dl


def _sessions(report: Report) -> list[tuple[str, Any, Any]]:
    """Each BOSH session's stretch of activity (its first and last activity lines) per agent."""
    from datetime import datetime

    edges: dict[tuple[str, str, str], list[datetime]] = {}
    for row in report.event_table:
        if (
            row["agent"]
            and row["session"]
            and row["kind"] in ("bosh-request", "session-activity", "session-bound")
        ):
            t = datetime.fromisoformat(str(row["time_utc"]).replace("Z", "+00:00"))
            edges.setdefault((row["agent"], row["node"] or "", row["session"]), []).append(t)
    return [(_e(a), min(ts), max(ts)) for (a, _, _), ts in sorted(edges.items()) if len(ts) > 1]


def _page(report: Report, figures: list[str], originals: dict[tuple[str, int], str]) -> str:
    """The page's sections top to bottom (kept in one function: it reads as the page does)."""
    parts = [f"<h1>{_e(report.verdict.upper())}</h1><p class='reason'>{_e(report.verdict_reason)}</p>"]
    n_agents = len({d.agent for d in report.disconnects})
    parts.append(f"<p>{len(report.disconnects)} disconnect(s) of {n_agents} agent(s) among {report.agents_seen} seen; "
                 f"{len(report.incidents)} incident(s); {len(report.server_events)} server event(s). Times in UTC, "
                 "with the server-local time beside them in the timeline.</p>")  # fmt: skip
    parts.extend(f"<div class='chart'>{f}</div>" for f in figures)
    for inc in report.incidents:
        ds = [d for d in report.disconnects if d.incident == inc.id]
        ev_rows = "".join(
            f"<tr><td>{_e(e.event)}</td><td>{_e(d.agent if d else '')}</td><td>{_e(e.time_text)}</td><td><code>{_e(e.where)}</code></td>"
            f"<td><code class='line'>{_e(originals.get((e.file, e.line or 0), ''))}</code></td></tr>"
            for d, e in [(None, e) for e in inc.evidence] + [(d, e) for d in ds for e in d.evidence]
        )  # fmt: skip
        actions = "".join(f"<li>{_e(a)}</li>" for a in inc.recommended_actions)
        parts.append(
            f"<section class='incident {_e(inc.classification)}'><h2>{_e(inc.id)} {_e(inc.classification)}</h2>"
            f"<p>{_e(inc.summary)}</p><p>agents: {_e(', '.join(inc.agents))}</p><h3>Recommended actions</h3><ol>{actions}</ol>"
            f"<details><summary>Evidence ({len(ds)} disconnect(s))</summary><table><tr><th>event</th><th>agent</th>"
            f"<th>as logged</th><th>file:line</th><th>the line</th></tr>{ev_rows}</table></details></section>"
        )  # fmt: skip
    tl = "".join(
        f"<tr><td>{_e(e.time.isoformat() if e.time else '')}</td><td>{_e(e.server_local)}</td><td>{_e(e.agent or '')}</td>"
        f"<td>{_e(e.event)}</td><td><code>{_e(e.where)}</code></td></tr>"
        for e in report.timeline
    )  # fmt: skip
    parts.append(
        "<h2>Timeline</h2><input id='filter' placeholder='filter by agent or event' oninput='filterRows()'>"
        f"<table id='timeline'><tr><th>UTC</th><th>server local</th><th>agent</th><th>event</th><th>evidence</th></tr>{tl}</table>"
    )  # fmt: skip
    clients = "".join(
        f"<tr><td>{_e(c.agent)}</td><td>{c.median_drift_ms}</td><td>{c.max_rtt_ms}</td><td>{_e(', '.join(c.flags) or '-')}</td>"
        f"<td>{_e(browser(c.user_agent))}</td></tr>" for c in report.clients
    )  # fmt: skip
    if clients:
        parts.append("<h2>Clients</h2><table><tr><th>agent</th><th>median drift ms</th><th>max rtt ms</th><th>flags</th>"
                     f"<th>browser</th></tr>{clients}</table>")  # fmt: skip
    files = "".join(
        f"<tr><td><code>{_e(f.path)}</code></td><td>{_e(f.family)}</td><td>{_e(f.node or '')}</td><td>{f.lines}</td>"
        f"<td>{f.parsed}</td><td>{f.unparsed}</td><td>{_e(f.skipped or '')}</td></tr>" for f in report.files
    )  # fmt: skip
    parts.append("<h2>Inputs</h2><table><tr><th>file</th><th>family</th><th>node</th><th>lines</th><th>parsed</th>"
                 f"<th>unparsed</th><th>skipped</th></tr>{files}</table>")  # fmt: skip
    if report.warnings:
        parts.append(
            "<h2>Warnings</h2><ul>" + "".join(f"<li>{_e(w)}</li>" for w in report.warnings) + "</ul>"
        )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>finesse-logscan: {_e(report.verdict)}</title><style>{_CSS}</style></head><body>"
        + "".join(parts)
        + f"<script>{_JS}</script></body></html>\n"
    )


_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
h1{margin-bottom:0}.reason{font-size:1.1em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}
section.incident{border-left:4px solid #e67e22;padding-left:1em;margin:1em 0}
section.server-wide{border-color:#c0392b}code{font-size:.95em}#filter{margin:.3em 0;padding:3px;width:20em}
code.line{white-space:pre-wrap;word-break:break-all;font-size:.8em;color:#555}
"""
_JS = """
function filterRows(){const q=document.getElementById('filter').value.toLowerCase();
document.querySelectorAll('#timeline tr').forEach((r,i)=>{if(i===0)return;
r.style.display=r.textContent.toLowerCase().includes(q)?'':'none';});}
"""
