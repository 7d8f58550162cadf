"""Rebuild each agent's disconnect chain from the timeline.

One disconnect per lost session. A drop starts with the loss of one agent's BOSH session: the
idle-session close, or (when no openfire line tells) presence going unavailable. Everything the
servers log about that loss is evidence on the same disconnect:
  last BOSH activity -> idle check -> idle close -> session closed -> presence unavailable ->
  unsubscribe -> logout scheduled -> logout pending -> presence-driven logout ->
  message to CTI (reason 255) -> CTI agent state (LOGOUT/NOT_READY)
Lines that schedule, monitor or repeat a pending logout never start a disconnect. A
presence-driven logout or reason-255 CTI line with no drop before it starts one (partial chain).
Outcome: `forced-logout` when the logout was sent; `recovered` when the agent came back first
(presence available, a new session, a sign-in); `unknown` when the logs end first. A normal
sign-out (agent-requested LOGOUT, BOSH terminate) is not a disconnect.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from ..event import Event, Kind
from ..eventstore import ACTIVITY_KINDS, activity_instant
from ..options import ScanOptions
from ..report import Disconnect, Evidence, Outcome
from ..timeline import Timeline
from .findings import Findings

NAME = "disconnects"
DESCRIPTION = "per-agent disconnect chains (idle close, presence, forced logout, CTI state)"

CHAIN_WINDOW = timedelta(seconds=240)
"""Longest drop -> forced-logout gap kept in one chain (UCCX 60 s; UCCE up to 180 s in all)."""
SIGN_OUT_WINDOW = timedelta(seconds=300)
PRESENCE_LEAD = timedelta(seconds=10)
"""Presence may be logged this long before the idle close of the same loss (clock skew)."""
SESSION_CLOSED_BEFORE = timedelta(seconds=2)
SESSION_CLOSED_AFTER = timedelta(seconds=10)
"""'A session is closed' follows the idle close within this window."""
DEAD_SESSION_SLACK = timedelta(seconds=5)
"""An idle close joins an earlier presence drop when its session was already quiet then."""
FORCED_SPREAD = timedelta(seconds=30)
"""Presence-driven logout, message to CTI and the CTI state of one logout lie this close."""
ACTIVITY_HORIZON = timedelta(hours=1)
FORCED_REASON = 255

_EVIDENCE_KINDS = (Kind.UNSUBSCRIBE, Kind.LOGOUT_SCHEDULED, Kind.LOGOUT_PENDING)


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


def _signed_out(
    evs: list[Event], t0: datetime, sid: object, last_activity: datetime | None, terminate: bool = True
) -> bool:
    """An agent-requested logout (or, for an idle close, a BOSH terminate of that session) just
    before the session went quiet: what follows is the tail of a normal sign-out. A terminate
    alone does not excuse unavailable presence: a closed browser sends one too, and Finesse
    then logs the agent out 60 s later."""
    lo = t0 - SIGN_OUT_WINDOW
    if last_activity is not None:
        lo = max(lo, last_activity - timedelta(seconds=30))
    for ev in evs:
        if not lo <= _t(ev) <= t0:
            continue
        if ev.kind == Kind.AGENT_LOGOUT_REQUEST:
            return True
        if terminate and ev.kind == Kind.SESSION_TERMINATED and (sid is None or ev.attrs.get("sid") == sid):
            return True
        if (
            ev.kind == Kind.CTI_AGENT_STATE
            and ev.attrs.get("state") == "LOGOUT"
            and ev.attrs.get("reason_code") != FORCED_REASON
        ):
            return True
    return False


def _is(kind: Kind) -> Callable[[Event], bool]:
    return lambda e: e.kind == kind


def _last_activity(evs: list[Event], sid: object, ref: datetime) -> tuple[Event | None, datetime | None]:
    """The session's last real activity before `ref` (openfire activity-run edges)."""
    activity = [
        e
        for e in evs
        if e.kind in ACTIVITY_KINDS
        and (sid is None or e.attrs.get("sid") in (sid, None))
        and _t(e) <= ref + timedelta(seconds=1)
    ]
    last = max(activity, key=lambda e: activity_instant(e) or _t(e), default=None)
    instant = activity_instant(last) if last else None
    if instant is None or ref - instant > ACTIVITY_HORIZON:
        return None, None
    return last, instant


@dataclass
class _Drop:
    """One lost session while its chain is being gathered."""

    first: Event  # the line that opened it
    idle: Event | None = None
    presence: Event | None = None
    forced: list[Event] = field(default_factory=list)

    @property
    def start(self) -> datetime:
        return _t(self.first)

    @property
    def sid(self) -> object:
        return self.idle.attrs.get("sid") if self.idle is not None else None


def _recovery(ev: Event, sid: object) -> bool:
    """The agent is back: presence available, a sign-in, the client reconnected, or a session
    other than the lost one starting."""
    if ev.kind in (Kind.PRESENCE_AVAILABLE, Kind.AGENT_LOGIN_REQUEST):
        return True
    if ev.kind == Kind.CTI_AGENT_STATE and ev.attrs.get("state") == "LOGIN":
        return True
    if ev.kind == Kind.CLIENT_CONNECTION and ev.attrs.get("status") == "connected":
        return True
    if ev.kind in ACTIVITY_KINDS:
        other = ev.attrs.get("sid")
        return other is not None and other != sid and ev.attrs.get("run") == "start"
    return False


def _recovered_between(evs: list[Event], sid: object, lo: datetime, hi: datetime) -> Event | None:
    return _first(evs, lambda e: _recovery(e, sid), lo + timedelta(microseconds=1), hi)


def _group(agent: str, evs: list[Event]) -> list[_Drop]:
    """Walk one agent's events in time order and open a drop only for a new lost session."""
    drops: list[_Drop] = []
    for ev in evs:
        t = _t(ev)
        cur = drops[-1] if drops else None
        live = cur is not None and t - cur.start <= CHAIN_WINDOW
        if ev.kind == Kind.IDLE_CLOSE:
            sid = ev.attrs.get("sid")
            _, last = _last_activity(evs, sid, t)
            if cur is not None and live and _same_loss(evs, cur, ev, last):
                if cur.idle is None:
                    cur.idle = ev
                continue
            if _signed_out(evs, t, sid, last):
                continue
            drops.append(_Drop(ev, idle=ev))
        elif ev.kind == Kind.PRESENCE_UNAVAILABLE:
            if cur is not None and live and _recovered_between(evs, cur.sid, cur.start, t) is None:
                if cur.presence is None:
                    cur.presence = ev
                continue
            _, last = _last_activity(evs, None, t)
            if _signed_out(evs, t, None, last, terminate=False):
                continue
            drops.append(_Drop(ev, presence=ev))
        elif is_forced(ev):
            if cur is not None and live and (not cur.forced or t - _t(cur.forced[0]) <= FORCED_SPREAD):
                cur.forced.append(ev)
                continue
            drops.append(_Drop(ev, forced=[ev]))
        elif ev.kind in (Kind.LOGOUT_SCHEDULED, Kind.LOGOUT_PENDING) and not live:
            # a logout is pending, so presence went: the drop whose presence line is missing
            # or unreadable (the technote's `-6-PRESENCE` has no text to tell its direction)
            drops.append(_Drop(ev))
    return drops


def _same_loss(evs: list[Event], cur: _Drop, idle: Event, last: datetime | None) -> bool:
    """Does this idle close belong to the drop already open?"""
    sid = idle.attrs.get("sid")
    if cur.idle is not None:  # the same session closed again (a repeated line)
        return sid is None or cur.sid is None or sid == cur.sid
    if _t(idle) < cur.start - PRESENCE_LEAD:
        return False
    # presence went first: the close is of the session that was already quiet then
    return last is None or last <= cur.start + DEAD_SESSION_SLACK


def chains_for_agent(agent: str, evs: list[Event]) -> list[Disconnect]:
    drops = _group(agent, evs)
    out: list[Disconnect] = []
    seen: set[tuple[object, ...]] = set()
    for i, drop in enumerate(drops):
        prev_end = _t(drops[i - 1].first) + CHAIN_WINDOW if i else None
        next_start = drops[i + 1].start if i + 1 < len(drops) else None
        d = _chain(agent, drop, evs, prev_end, next_start)
        key = (d.agent, d.session_id, d.time)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def _chain(
    agent: str, drop: _Drop, evs: list[Event], prev_end: datetime | None, next_start: datetime | None
) -> Disconnect:
    """The disconnect of one lost session: every line of its chain, gathered in the technote's
    order (kept together so that order reads as one list), its outcome and its evidence."""
    idle, presence = drop.idle, drop.presence
    sid = drop.sid
    start, lo, hi = _window(drop, prev_end, next_start)
    last_act, last_activity = _last_activity(evs, sid, _t(idle) if idle else start)

    def kind_in(kind: Kind, a: datetime, b: datetime) -> Event | None:
        return _first(evs, _is(kind), max(a, lo), min(b, hi))

    session_closed = None
    if idle is not None:
        session_closed = kind_in(
            Kind.SESSION_CLOSED, _t(idle) - SESSION_CLOSED_BEFORE, _t(idle) + SESSION_CLOSED_AFTER
        )
    if presence is None and idle is not None:
        presence = kind_in(Kind.PRESENCE_UNAVAILABLE, _t(idle) - PRESENCE_LEAD, hi)
    steps = [kind_in(k, lo, hi) for k in _EVIDENCE_KINDS]
    forced = drop.forced
    logout, msg, state = _logout_steps(evs, forced)
    idle_check = _idle_check(evs, last_act, start, _t(idle) if idle else start)
    offline = kind_in(Kind.STORE_OFFLINE, start, hi)
    client = _first(evs, _client_lost, max(start - CHAIN_WINDOW, lo), hi)
    node = (idle or drop.first).node
    # the servers say which node the agent came back on; its client log only that it came back
    since = last_activity or start
    back = _recovered_between([e for e in evs if e.family != "clientlog"], sid, since, hi)
    back = back or _recovered_between(evs, sid, since, hi)
    forced_at = min((_t(e) for e in forced), default=None)
    moved_to = back.node if back is not None and back.family != "clientlog" and back.node != node else None
    outcome, recovered_by = _outcome(back, moved_to, forced_at)
    confirmed = None  # the agent's own client log saying it reached the other node
    if moved_to is not None and outcome in (Outcome.FAILED_OVER, Outcome.FAILOVER_RACE):
        confirmed = _client_reached(evs, moved_to, start - CHAIN_WINDOW, hi)
    chain = (last_act, idle_check, idle, session_closed, presence, *steps, offline, logout, msg, state,
             *forced, client, recovered_by, confirmed)  # fmt: skip
    parts: list[Event] = []
    for e in chain:
        if e is not None and e not in parts:
            parts.append(e)
    reason = next((int(e.attrs["reason_code"]) for e in (msg, state, *forced)
                   if e is not None and isinstance(e.attrs.get("reason_code"), int)), None)  # fmt: skip
    parts.sort(key=lambda e: (_t(e), e.file, e.line))
    return Disconnect(
        agent=agent,
        time=_t(idle) if idle else start,
        node=node,
        session_id=str(sid) if sid else None,
        last_activity=last_activity,
        idle_close=_t(idle) if idle else None,
        presence_unavailable=_t(presence) if presence else None,
        forced_logout=forced_at,
        reason_code=reason,
        resulting_state=str(state.attrs["state"]) if state is not None else None,
        outcome=outcome,
        evidence=[evidence_of(e) for e in parts],
        failover_node=moved_to if outcome in (Outcome.FAILED_OVER, Outcome.FAILOVER_RACE) else None,
    )


def _window(
    drop: _Drop, prev_end: datetime | None, next_start: datetime | None
) -> tuple[datetime, datetime, datetime]:
    """(start, lo, hi): when the drop began, and the span its chain's lines are looked for in,
    kept clear of the agent's previous and next drops."""
    anchors = [e for e in (drop.first, drop.idle, drop.presence, *drop.forced) if e is not None]
    start = min(_t(e) for e in anchors)
    hi = start + CHAIN_WINDOW
    if next_start is not None:
        hi = min(hi, next_start - timedelta(microseconds=1))
    partial = drop.idle is None and drop.presence is None and drop.first in drop.forced
    lo = start - (CHAIN_WINDOW if partial else PRESENCE_LEAD)
    if prev_end is not None:
        lo = max(lo, min(prev_end, start))
    return start, lo, hi


def _logout_steps(evs: list[Event], forced: list[Event]) -> tuple[Event | None, Event | None, Event | None]:
    """(presence-driven logout, message to CTI, resulting agent state) of a forced logout."""
    logout = next((e for e in forced if e.kind == Kind.PRESENCE_DRIVEN_LOGOUT), None)
    msg = next((e for e in forced if e.kind == Kind.CTI_MESSAGE), None)
    state = next((e for e in forced if e.kind == Kind.CTI_AGENT_STATE), None)
    if forced and state is None:  # a LOGOUT/NOT_READY state right after the logout request
        f = _t(forced[0])
        state = _first(evs, _ends_signed_in, f - timedelta(seconds=1), f + FORCED_SPREAD)
    return logout, msg, state


def _idle_check(evs: list[Event], last_act: Event | None, start: datetime, until: datetime) -> Event | None:
    """The last activity check of the session that shows it idle, before the close."""
    if last_act is None:
        return None
    sid = last_act.attrs.get("sid")
    return _last(evs, lambda e: e.attrs.get("run") == "idle-check" and e.attrs.get("sid") == sid,
                 start - CHAIN_WINDOW, until)  # fmt: skip


def _client_reached(evs: list[Event], node: str, lo: datetime, hi: datetime) -> Event | None:
    """The agent's own client log saying it connected to `node` (a failover it confirms)."""
    host = node.split(".", 1)[0].lower()
    return _first(
        evs,
        lambda e: (
            e.kind == Kind.CLIENT_CONNECTION
            and e.attrs.get("status") in ("connected", "connecting")
            and str(e.attrs.get("server", "")).lower().split(".", 1)[0] == host
        ),
        lo,
        hi,
    )


def _outcome(
    back: Event | None, moved_to: str | None, forced_at: datetime | None
) -> tuple[Outcome, Event | None]:
    """What became of the agent, and the line that shows it came back (if that matters).

    forced-logout: the logout was sent (and the agent was not already on the other node);
    failover-race: the agent was already signed in on the other node when the first node's late
    logout fired (a crashed browser can take that node 120 s to notice); failed-over: back on
    the other node, no logout; recovered: back on the same node first; unknown: logs end first."""
    if forced_at is not None:
        if back is not None and moved_to is not None and _t(back) < forced_at:
            return Outcome.FAILOVER_RACE, back
        return Outcome.FORCED_LOGOUT, None
    if back is None:
        return Outcome.UNKNOWN, None
    return (Outcome.FAILED_OVER if moved_to is not None else Outcome.RECOVERED), back


def _ends_signed_in(ev: Event) -> bool:
    return ev.kind == Kind.CTI_AGENT_STATE and ev.attrs.get("state") in ("LOGOUT", "NOT_READY")


def _client_lost(ev: Event) -> bool:
    return ev.kind == Kind.CLIENT_CONNECTION and ev.attrs.get("status") in ("lost", "disconnected")


def evidence_of(ev: Event) -> Evidence:
    label = str(ev.kind)
    run = ev.attrs.get("run")
    time = ev.time
    if ev.kind in ACTIVITY_KINDS:
        if run == "end":
            label = "last-activity"
            time = activity_instant(ev) or ev.time  # the instant the chain calls last activity
        else:
            label = "idle-check" if run == "idle-check" else "new-session-activity"
    if ev.attrs.get("agent_inferred"):
        label += " (agent inferred)"
    return Evidence(ev.file, ev.line, label, time, ev.time_text, ev.node, ev.agent)


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


def run(timeline: Timeline, options: ScanOptions) -> Findings:
    events, inferred = infer_agents(timeline.events)
    warnings = []
    if inferred:
        warnings.append(
            f"{inferred} forced-logout line(s) named no agent; each was given the only agent with a "
            "forced-logout line within 1 s on the same node (marked 'agent inferred' in the evidence)"
        )
    timeline = Timeline(events, timeline.offsets_used)
    found = [d for agent, evs in sorted(timeline.by_agent().items()) for d in chains_for_agent(agent, evs)]
    found.sort(key=lambda d: (d.time, d.agent))
    return Findings(disconnects=tuple(found), warnings=tuple(warnings))
