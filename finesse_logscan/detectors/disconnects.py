"""Rebuild each agent's disconnect chain from the timeline.

Chain (any part may be missing when a log family is absent):
  last BOSH activity -> idle-session close -> session closed -> presence unavailable ->
  presence-driven logout -> message to CTI (reason code) -> CTI agent state (LOGOUT/NOT_READY).
A disconnect is a server-detected loss: an idle-session close, or a presence-driven /
reason-255 forced logout. A normal sign-out (terminate, agent-requested LOGOUT) is not one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from ..event import Event, Kind
from ..eventstore import activity_instant
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


def _normal_sign_out(evs: list[Event], t0: datetime, sid: object) -> bool:
    lo = t0 - SIGN_OUT_WINDOW
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
            and ev.attrs.get("reason_code") not in (FORCED_REASON,)
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


def _chain(agent: str, anchor: Event, evs: list[Event], used: set[int]) -> Disconnect | None:
    t0 = _t(anchor)
    free = [e for e in evs if id(e) not in used]
    sid = anchor.attrs.get("sid")
    parts: list[Event] = []
    idle = session_closed = presence = None
    if anchor.kind == Kind.IDLE_CLOSE:
        idle = anchor
        if _normal_sign_out(evs, t0, sid):
            used.add(id(anchor))
            return None
        session_closed = _first(
            free,
            lambda e: e.kind == Kind.SESSION_CLOSED,
            t0 - timedelta(seconds=2),
            t0 + timedelta(seconds=10),
        )
        presence = _first(
            free,
            lambda e: e.kind == Kind.PRESENCE_UNAVAILABLE,
            t0 - timedelta(seconds=10),
            t0 + timedelta(seconds=60),
        )
        forced = _first(free, is_forced, t0, t0 + CHAIN_WINDOW)
    else:
        forced = anchor
        presence = _last(free, lambda e: e.kind == Kind.PRESENCE_UNAVAILABLE, t0 - CHAIN_WINDOW, t0)
    logout = msg = state = None
    if forced is not None:
        f = _t(forced)
        logout = _first(
            free,
            lambda e: e.kind == Kind.PRESENCE_DRIVEN_LOGOUT,
            f - timedelta(seconds=1),
            f + timedelta(seconds=5),
        )
        msg = _first(
            free, lambda e: e.kind == Kind.CTI_MESSAGE, f - timedelta(seconds=1), f + timedelta(seconds=10)
        )
        state = _first(
            free,
            lambda e: e.kind == Kind.CTI_AGENT_STATE and e.attrs.get("state") in ("LOGOUT", "NOT_READY"),
            f - timedelta(seconds=1),
            f + timedelta(seconds=30),
        )
    start = min(_t(e) for e in (idle, presence, logout, msg, state, forced) if e is not None)
    ref = _t(idle) if idle else start
    # last real activity of this session before the loss (activity-run edges, openfire)
    activity = [
        e for e in evs
        if e.kind in (Kind.BOSH_REQUEST, Kind.SESSION_ACTIVITY)
        and (sid is None or e.attrs.get("sid") in (sid, None))
        and _t(e) <= ref + timedelta(seconds=1)
    ]  # fmt: skip
    last_act_ev = max(activity, key=lambda e: activity_instant(e) or _t(e), default=None)
    last_activity = activity_instant(last_act_ev) if last_act_ev else None
    if last_activity is not None and ref - last_activity > timedelta(hours=1):
        last_activity, last_act_ev = None, None
    idle_check = None
    if last_act_ev is not None:
        idle_check = _last(activity, lambda e: e.attrs.get("run") == "idle-check", ref - CHAIN_WINDOW, ref)
    offline = _first(free, lambda e: e.kind == Kind.STORE_OFFLINE, start, start + CHAIN_WINDOW)
    client = _first(
        free,
        lambda e: e.kind == Kind.CLIENT_CONNECTION and e.attrs.get("status") in ("lost", "disconnected"),
        start - CHAIN_WINDOW,
        start + CHAIN_WINDOW,
    )
    recovered_by = None
    end_logout = _t(forced) if forced is not None else start + CHAIN_WINDOW
    if forced is None:
        recovered_by = _first(evs, lambda e: _recovery(e, sid), start + timedelta(milliseconds=1), end_logout)
    for e in (
        last_act_ev,
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
    ):
        if e is not None and e not in parts:
            parts.append(e)
    for e in parts:
        if e.kind not in (Kind.BOSH_REQUEST, Kind.SESSION_ACTIVITY):
            used.add(id(e))
    reason = None
    for e in (msg, state, forced):
        if e is not None and isinstance(e.attrs.get("reason_code"), int):
            reason = int(e.attrs["reason_code"])
            break
    forced_time = None
    for e in (logout, msg, state, forced):
        if e is not None:
            forced_time = _t(e)
            break
    outcome = "forced-logout" if forced is not None else ("recovered" if recovered_by else "unknown")
    parts.sort(key=lambda e: (_t(e), e.file, e.line))
    return Disconnect(
        agent=agent,
        time=_t(idle) if idle else start,
        node=(idle or anchor).node,
        session_id=str(sid) if sid else None,
        last_activity=last_activity,
        idle_close=_t(idle) if idle else None,
        presence_unavailable=_t(presence) if presence else None,
        forced_logout=forced_time,
        reason_code=reason,
        resulting_state=str(state.attrs["state"]) if state is not None else None,
        outcome=outcome,
        evidence=[evidence_of(e) for e in parts],
    )


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
    return Evidence(ev.file, ev.line, label, ev.time, ev.time_text, ev.node, ev.agent)


def run(timeline: Timeline, options: ScanOptions, findings: Findings) -> None:
    for agent, evs in sorted(timeline.by_agent().items()):
        findings.disconnects.extend(chains_for_agent(agent, evs))
    findings.disconnects.sort(key=lambda d: (d.time, d.agent))
