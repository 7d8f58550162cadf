"""Group disconnects into incidents and decide the verdict.

server-wide: at least `storm_min_agents` agents AND at least `storm_min_fraction` of the agents
with a live session at that moment drop within `storm_window_s`; or `evidence_min_agents`+
agents drop within `evidence_window_s` of critical server evidence (a service stop, restart,
crash, dump or known defect). Everything else is client-side.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import NamedTuple

from .guidance import client_side_actions, failover_notes, lcd_note, server_wide_actions
from .options import Thresholds
from .report import Classification, ClientStats, Disconnect, Incident, ServerEvent
from .timestamps import iso_z


@dataclass(frozen=True)
class Verdict:
    verdict: str
    reason: str


class Classified(NamedTuple):
    incidents: list[Incident]
    verdict: Verdict
    disconnects: list[Disconnect]
    """The disconnects given, sorted by time and agent, each with its classification and
    incident (new records: the ones given are not changed)."""


def live_agents(spans: dict[str, tuple[datetime, datetime]], t: datetime) -> int:
    return sum(1 for first, last in spans.values() if first <= t <= last)


def classify(
    disconnects: list[Disconnect],
    server_events: list[ServerEvent],
    spans: dict[str, tuple[datetime, datetime]],
    clients: list[ClientStats],
    th: Thresholds,
    nodes: Sequence[str] = (),
) -> Classified:
    """Incidents, the verdict and the classified disconnects. (The incident records are built in
    one loop so each one's summary, actions and nodes read together.)

    `nodes`: every node of the bundle; with two or more, incidents say which node(s) their
    drops happened on, and the verdict whether one node or the cluster went down."""
    ds = sorted(disconnects, key=lambda d: (d.time, d.agent))
    window = timedelta(seconds=th.storm_window_s)
    merged = _merge(_storms(ds, spans, th) + _near_evidence(ds, server_events, spans, th))
    in_storm = set().union(*(m for m, _, _ in merged)) if merged else set()
    client_groups: list[list[int]] = []
    for k in range(len(ds)):
        if k in in_storm:
            continue
        if client_groups and ds[k].time - ds[client_groups[-1][-1]].time <= window:
            client_groups[-1].append(k)
        else:
            client_groups.append([k])

    by_agent = {c.agent: c for c in clients}
    raw: list[tuple[datetime, Classification, list[int], list[ServerEvent], int]] = []
    for members, cited, live in merged:
        cited = decisive_first(cited)
        idx = sorted(members)
        raw.append((ds[idx[0]].time, Classification.SERVER_WIDE, idx, cited, live))
    for idx in client_groups:
        raw.append((ds[idx[0]].time, Classification.CLIENT_SIDE, idx, [], 0))
    raw.sort(key=lambda r: (r[0], r[1]))

    incidents: list[Incident] = []
    cited_by_incident: dict[str, list[ServerEvent]] = {}
    for n, (start, cls, idx, cited, live) in enumerate(raw, 1):
        inc_id = f"INC-{n:03d}"
        for k in idx:
            ds[k] = replace(ds[k], classification=cls, incident=inc_id)
        members_d = [ds[k] for k in idx]
        inc_agents = sorted({d.agent for d in members_d})
        end = max(d.time for d in members_d)
        cited_by_incident[inc_id] = cited
        if cls == "server-wide":
            summary = _storm_summary(inc_agents, start, end, live, cited)
            actions = server_wide_actions(cited, members_d)
        else:
            summary = _client_summary(inc_agents, members_d, by_agent)
            actions = [*client_side_actions(members_d, by_agent), lcd_note(members_d)]
        inc_nodes = sorted({d.node for d in members_d if d.node})
        if len(nodes) > 1 and inc_nodes:
            summary += f" (on {', '.join(inc_nodes)})"
        actions = [*failover_notes(members_d), *actions]
        incidents.append(Incident(inc_id, cls, start, end, inc_agents, len(members_d), summary, actions,
                                  [c.evidence for c in cited], inc_nodes))  # fmt: skip
    return Classified(incidents, _verdict(incidents, ds, server_events, cited_by_incident, nodes), ds)


_Group = tuple[set[int], list[ServerEvent], int]
"""Disconnects (indexes into the sorted list), the server evidence cited, live agents then."""


def _storms(
    ds: list[Disconnect], spans: dict[str, tuple[datetime, datetime]], th: Thresholds
) -> list[_Group]:
    """Storm windows starting at each disconnect: enough agents, and enough of those live."""
    times = [d.time for d in ds]
    window = timedelta(seconds=th.storm_window_s)
    groups: list[_Group] = []
    for i, d in enumerate(ds):
        members = set(range(i, bisect.bisect_right(times, d.time + window)))
        agents = {ds[k].agent for k in members}
        live = max(live_agents(spans, d.time), len(agents))
        if len(agents) >= th.storm_min_agents and len(agents) >= math.ceil(
            th.storm_min_fraction * live - 1e-9
        ):
            groups.append((members, [], live))
    return groups


def _near_evidence(
    ds: list[Disconnect], server_events: list[ServerEvent], spans: dict[str, tuple[datetime, datetime]],
    th: Thresholds,
) -> list[_Group]:  # fmt: skip
    """Drops of enough agents around each piece of critical server evidence."""
    times = [d.time for d in ds]
    ev_window = timedelta(seconds=th.evidence_window_s)
    groups: list[_Group] = []
    for se in server_events:
        if se.severity != "critical":
            continue
        members = set(
            range(
                bisect.bisect_left(times, se.time - ev_window),
                bisect.bisect_right(times, se.time + ev_window),
            )
        )
        if len({ds[k].agent for k in members}) >= th.evidence_min_agents:
            groups.append((members, [se], live_agents(spans, se.time)))
    return groups


def _merge(
    groups: list[tuple[set[int], list[ServerEvent], int]],
) -> list[tuple[set[int], list[ServerEvent], int]]:
    merged: list[tuple[set[int], list[ServerEvent], int]] = []
    for members, cited, live in sorted(groups, key=lambda g: min(g[0])):
        for k, (m2, c2, l2) in enumerate(merged):
            if m2 & members:
                merged[k] = (m2 | members, c2 + [c for c in cited if c not in c2], max(l2, live))
                break
        else:
            merged.append((set(members), list(cited), live))
    return merged


EVIDENCE_PRIORITY = (
    "known-defect", "heap-dump", "core-dump", "notification-service-stopped", "service-failure",
    "service-stopped", "webservices-restarted", "notification-service-started",
)  # fmt: skip
"""Which cited server event is named as the decisive one, first match wins."""


def decisive_first(cited: list[ServerEvent]) -> list[ServerEvent]:
    def rank(s: ServerEvent) -> tuple[int, object]:
        pos = EVIDENCE_PRIORITY.index(s.kind) if s.kind in EVIDENCE_PRIORITY else len(EVIDENCE_PRIORITY)
        return (pos, s.time)

    return sorted(cited, key=rank)


def _storm_summary(
    agents: list[str], start: datetime, end: datetime, live: int, cited: list[ServerEvent]
) -> str:
    secs = int((end - start).total_seconds())
    text = f"{len(agents)} agents lost their desktop connection within {secs} s"
    if live:
        text += f" ({len(agents)} of {live} agents with a live session)"
    if cited:
        text += "; server evidence: " + _cite(cited, f"on {cited[0].node} at {iso_z(cited[0].time)}", "")
    return text


def _cite(cited: list[ServerEvent], where: str, more: str) -> str:
    c = cited[0]
    text = f"{c.kind} ({c.detail}) {where}"
    return text + (f"{more} and {len(cited) - 1} more" if len(cited) > 1 else "")


def _decisive(inc: Incident, cited: list[ServerEvent], nodes: Sequence[str] = ()) -> str:
    """The verdict's reason for a server-wide incident, in one short sentence."""
    text = f"{inc.id}: {len(inc.agents)} agents dropped together"
    if len(nodes) > 1 and len(inc.nodes) == 1:
        others = [n for n in nodes if n not in inc.nodes]
        text += f" on {inc.nodes[0]} (server-wide for that node; no drops on {', '.join(others)})"
    elif len(nodes) > 1 and len(inc.nodes) > 1:
        text += f" on {' and '.join(inc.nodes)} (cluster-wide: network, CTI or both nodes' services)"
    if cited:
        text += "; decisive evidence: " + _cite(cited, f"at {cited[0].time:%H:%M:%S} UTC", ",")
        text += " server event(s)" if len(cited) > 1 else ""
    else:
        text += (
            "; no critical server evidence within the evidence window of these drops (network outage, "
            "or CTI/Notification Service trouble not logged here)"
        )
    return text


def _client_summary(agents: list[str], ds: list[Disconnect], clients: dict[str, ClientStats]) -> str:
    if len(ds) == 1:
        d = ds[0]
        text = f"agent {d.agent} lost its desktop connection ({d.outcome})"
    else:
        text = (
            f"{len(agents)} agent(s) lost their desktop connection at different times ({len(ds)} disconnects)"
        )
    flagged = sorted(
        {f"{a}: {', '.join(clients[a].flags)}" for a in agents if a in clients and clients[a].flags}
    )
    if flagged:
        text += "; client measurements: " + "; ".join(flagged)
    return text


def _verdict(
    incidents: list[Incident],
    ds: list[Disconnect],
    server_events: list[ServerEvent],
    cited_by_incident: dict[str, list[ServerEvent]],
    nodes: Sequence[str] = (),
) -> Verdict:
    crit = [s for s in server_events if s.severity == "critical"]
    if not incidents:
        extra = f"; {len(crit)} server event(s) without any disconnect" if crit else ""
        return Verdict("no-disconnects", "no server-detected session loss in the bundle" + extra)
    classes = {i.classification for i in incidents}
    sw = [i for i in incidents if i.classification == "server-wide"]
    cs = [i for i in incidents if i.classification == "client-side"]
    if classes == {"client-side"}:
        agents = {d.agent for d in ds}
        return Verdict(
            "client-side",
            f"{len(ds)} disconnect(s) of {len(agents)} agent(s) at different times; no group large enough to be server-wide and no server evidence nearby",
        )
    first = sw[0]
    reason = _decisive(first, cited_by_incident.get(first.id, []), nodes)
    if classes == {"server-wide"}:
        return Verdict("server-wide", reason)
    return Verdict("mixed", f"{len(sw)} server-wide and {len(cs)} client-side incident(s); {reason}")
