"""Rebuild each agent's disconnect chain from the timeline.

Chain (any part may be missing when a log family is absent):
  last BOSH activity -> idle-session close -> session closed -> presence unavailable ->
  presence-driven logout -> message to CTI (reason code) -> CTI agent state (LOGOUT/NOT_READY).
A disconnect is a server-detected loss: an idle-session close, or a presence-driven /
reason-255 forced logout. A normal sign-out (terminate, agent-requested LOGOUT) is not one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from ..event import Event, Kind
from ..eventstore import ACTIVITY_KINDS, activity_instant
from ..options import ScanOptions
from ..report import Disconnect, Evidence
from ..timeline import Timeline
from .findings import Findings

NAME = "disconnects"
DESCRIPTION = "per-agent disconnect chains (idle close, presence, forced logout, CTI state)"

CHAIN_WINDOW = timedelta(seconds=240)
"""Longest idle-close -> forced-logout gap kept in one chain (UCCE allows up to 180 s)."""
SIGN_OUT_WINDOW = timedelta(seconds=300)
FORCED_REASON = 255


def is_forced(ev: Event) -> bool:
    if ev.kind == Kind.PRESENCE_DRIVEN_LOGOUT:
        return True
    return (
        ev.kind in (Kind.CTI_MESSAGE, Kind.CTI_AGENT_STATE) and ev.attrs.get("reason_code") == FORCED_REASON
    )


def _t(ev: Event) -> datetime:
    assert ev.time is not None
    return ev.time


def _first(evs: Iterable[Event], pred: Callable[[Event], bool], lo: datetime, hi: datetime) -> Event | None:
    for ev in evs:
        if lo <= _t(ev) <= hi and pred(ev):
            return ev
    return None


def _last(evs: list[Event], pred: Callable[[Event], bool], lo: datetime, hi: datetime) -> Event | None:
    found = None
    for ev in evs:
        if lo <= _t(ev) <= hi and pred(ev):
            found = ev
    return found


def _signed_out(evs: list[Event], t0: datetime, sid: object, last_activity: datetime | None) -> bool:
    """An agent-requested logout or a BOSH terminate just before the session went quiet: the
    idle close that follows is the tail of a normal sign-out, not a disconnect."""
    lo = t0 - SIGN_OUT_WINDOW
    if last_activity is not None:
        lo = max(lo, last_activity - timedelta(seconds=30))
    for ev in evs:
        if not lo <= _t(ev) <= t0:
            continue
        if ev.kind == Kind.AGENT_LOGOUT_REQUEST:
            return True
        if ev.kind == Kind.SESSION_TERMINATED and (sid is None or ev.attrs.get("sid") == sid):
            return True
        if (
            ev.kind == Kind.CTI_AGENT_STATE
            and ev.attrs.get("state") == "LOGOUT"
            and ev.attrs.get("reason_code") != FORCED_REASON
        ):
            return True
    return False


def chains_for_agent(agent: str, evs: list[Event]) -> list[Disconnect]:
    used: set[int] = set()
    out: list[Disconnect] = []
    for anchor in evs:
        if id(anchor) in used or not (anchor.kind == Kind.IDLE_CLOSE or is_forced(anchor)):
            continue
        d = _chain(agent, anchor, evs, used)
        if d is not None:
            out.append(d)
    return out


def _s(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


def _is(kind: Kind) -> Callable[[Event], bool]:
    return lambda e: e.kind == kind


def _last_activity(evs: list[Event], sid: object, ref: datetime) -> tuple[Event | None, datetime | None]:
    """The session's last real activity before `ref` (openfire activity-run edges)."""
    activity = [
        e
        for e in evs
        if e.kind in ACTIVITY_KINDS
        and (sid is None or e.attrs.get("sid") in (sid, None))
        and _t(e) <= ref + _s(1)
    ]
    last = max(activity, key=lambda e: activity_instant(e) or _t(e), default=None)
    instant = activity_instant(last) if last else None
    if instant is None or ref - instant > timedelta(hours=1):
        return None, None
    return last, instant


def _chain(agent: str, anchor: Event, evs: list[Event], used: set[int]) -> Disconnect | None:
    t0 = _t(anchor)
    free = [e for e in evs if id(e) not in used]
    sid = anchor.attrs.get("sid")
    idle = session_closed = presence = forced = None
    if anchor.kind == Kind.IDLE_CLOSE:
        idle = anchor
        last_act, last_activity = _last_activity(evs, sid, t0)
        if _signed_out(evs, t0, sid, last_activity):
            used.add(id(anchor))
            return None
        session_closed = _first(free, _is(Kind.SESSION_CLOSED), t0 - _s(2), t0 + _s(10))
        presence = _first(free, _is(Kind.PRESENCE_UNAVAILABLE), t0 - _s(10), t0 + _s(60))
        forced = _first(free, is_forced, t0, t0 + CHAIN_WINDOW)
    else:
        forced = anchor
        presence = _last(free, _is(Kind.PRESENCE_UNAVAILABLE), t0 - CHAIN_WINDOW, t0)
    logout = msg = state = None
    if forced is not None:
        f = _t(forced)
        logout = _first(free, _is(Kind.PRESENCE_DRIVEN_LOGOUT), f - _s(1), f + _s(5))
        msg = _first(free, _is(Kind.CTI_MESSAGE), f - _s(1), f + _s(10))
        state = _first(free, _ends_signed_in, f - _s(1), f + _s(30))
    start = min(_t(e) for e in (idle, presence, logout, msg, state, forced) if e is not None)
    if idle is None:
        last_act, last_activity = _last_activity(evs, sid, start)
    idle_check = None
    if last_act is not None:
        idle_check = _last(
            evs,
            lambda e: e.attrs.get("run") == "idle-check" and e.attrs.get("sid") == last_act.attrs.get("sid"),
            t0 - CHAIN_WINDOW,
            t0,
        )
    offline = _first(free, _is(Kind.STORE_OFFLINE), start, start + CHAIN_WINDOW)
    client = _first(free, _client_lost, start - CHAIN_WINDOW, start + CHAIN_WINDOW)
    recovered_by = None
    if forced is None:
        recovered_by = _first(
            evs, lambda e: _recovery(e, sid), start + timedelta(milliseconds=1), start + CHAIN_WINDOW
        )
    chain = (
        last_act,
        idle_check,
        idle,
        session_closed,
        presence,
        offline,
        logout,
        msg,
        state,
        forced,
        client,
        recovered_by,
    )
    parts: list[Event] = []
    for e in chain:
        if e is not None and e not in parts:
            parts.append(e)
            if e.kind not in ACTIVITY_KINDS:
                used.add(id(e))
    reason = next(
        (
            int(e.attrs["reason_code"])
            for e in (msg, state, forced)
            if e is not None and isinstance(e.attrs.get("reason_code"), int)
        ),
        None,
    )
    forced_at = next((_t(e) for e in (logout, msg, state, forced) if e is not None), None)
    parts.sort(key=lambda e: (_t(e), e.file, e.line))
    return Disconnect(
        agent=agent,
        time=_t(idle) if idle else start,
        node=(idle or anchor).node,
        session_id=str(sid) if sid else None,
        last_activity=last_activity,
        idle_close=_t(idle) if idle else None,
        presence_unavailable=_t(presence) if presence else None,
        forced_logout=forced_at,
        reason_code=reason,
        resulting_state=str(state.attrs["state"]) if state is not None else None,
        outcome="forced-logout" if forced is not None else ("recovered" if recovered_by else "unknown"),
        evidence=[evidence_of(e) for e in parts],
    )


def _ends_signed_in(ev: Event) -> bool:
    return ev.kind == Kind.CTI_AGENT_STATE and ev.attrs.get("state") in ("LOGOUT", "NOT_READY")


def _client_lost(ev: Event) -> bool:
    return ev.kind == Kind.CLIENT_CONNECTION and ev.attrs.get("status") in ("lost", "disconnected")


def _recovery(ev: Event, sid: object) -> bool:
    if ev.kind == Kind.PRESENCE_AVAILABLE:
        return True
    if ev.kind == Kind.CLIENT_CONNECTION and ev.attrs.get("status") == "connected":
        return True
    if ev.kind in (Kind.BOSH_REQUEST, Kind.SESSION_ACTIVITY, Kind.SESSION_BOUND):
        other = ev.attrs.get("sid")
        return other is not None and other != sid and ev.attrs.get("run") != "end"
    return False


def evidence_of(ev: Event) -> Evidence:
    label = str(ev.kind)
    run = ev.attrs.get("run")
    if ev.kind in (Kind.BOSH_REQUEST, Kind.SESSION_ACTIVITY):
        label = (
            "last-activity"
            if run == "end"
            else ("idle-check" if run == "idle-check" else "new-session-activity")
        )
    if ev.attrs.get("agent_inferred"):
        label += " (agent inferred)"
    return Evidence(ev.file, ev.line, label, ev.time, ev.time_text, ev.node, ev.agent)


INFER_KINDS = frozenset({Kind.PRESENCE_DRIVEN_LOGOUT, Kind.CTI_MESSAGE, Kind.CTI_AGENT_STATE})
INFER_WINDOW = timedelta(seconds=1)
"""A forced-logout line that names no agent (wrapped or truncated records) belongs to the agent
of the chain lines logged within this long of it on the same node, when there is exactly one."""


def infer_agents(events: list[Event]) -> tuple[list[Event], int]:
    """Fill in the agent of agentless forced-logout chain lines from their unambiguous neighbours."""
    named = [e for e in events if e.agent and e.kind in INFER_KINDS]
    out, inferred = [], 0
    for ev in events:
        if ev.agent is None and ev.kind in INFER_KINDS and ev.time is not None:
            t = ev.time
            near = {
                n.agent
                for n in named
                if n.node == ev.node and n.time is not None and abs(n.time - t) <= INFER_WINDOW
            }
            if len(near) == 1:
                agent = near.pop()
                ev = replace(ev, agent=agent, attrs={**ev.attrs, "agent_inferred": 1})
                inferred += 1
        out.append(ev)
    return out, inferred


def run(timeline: Timeline, options: ScanOptions, findings: Findings) -> None:
    events, inferred = infer_agents(timeline.events)
    if inferred:
        findings.warnings.append(
            f"{inferred} forced-logout line(s) named no agent; each was given the only agent with a "
            "forced-logout line within 1 s on the same node (marked 'agent inferred' in the evidence)"
        )
    timeline = Timeline(events, timeline.offsets_used)
    for agent, evs in sorted(timeline.by_agent().items()):
        findings.disconnects.extend(chains_for_agent(agent, evs))
    findings.disconnects.sort(key=lambda d: (d.time, d.agent))
