#!/usr/bin/env python3
"""Write the realistic sample bundles in sample_logs/ (and bigger ones for benchmarks).

Every line follows the layouts the parsers document (from the technote and Openfire). The values are invented.
    python scripts/make_sample_logs.py                 # rewrite sample_logs/
    python scripts/make_sample_logs.py --scale 500 --hours 8 --out /tmp/big   # benchmark bundle
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

DOMAIN = "fin1a.example.com"
SERVER_IP = "10.10.20.11"
UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)


@dataclass
class Bundle:
    root: Path
    offset_min: int = -360  # CST
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    files: dict[str, list[tuple[datetime, int, str]]] = field(default_factory=dict)
    seq: int = 0
    order: int = 0
    rotate_bytes: int = 25 * 1024 * 1024
    domain: str = DOMAIN
    ip: str = SERVER_IP

    # -- time helpers ------------------------------------------------------------------
    @property
    def tz(self) -> timezone:
        return timezone(timedelta(minutes=self.offset_min))

    def local(self, utc: datetime) -> datetime:
        return utc.astimezone(self.tz).replace(tzinfo=None)

    def add(self, rel: str, utc: datetime, text: str) -> None:
        self.order += 1
        self.files.setdefault(rel, []).append((utc, self.order, text))

    # -- openfire ----------------------------------------------------------------------
    def of(self, name: str, utc: datetime, msg: str) -> None:
        t = self.local(utc)
        self.add(f"logs/openfire/{name}", utc, f"{t:%Y.%m.%d %H:%M:%S} {msg}")

    # -- web services ------------------------------------------------------------------
    def ws(self, utc: datetime, thread: str, mnemonic: str, body: str, sev: int = 6) -> None:
        t = self.local(utc)
        off = self.offset_min
        sign = "-" if off < 0 else "+"
        stamp = (
            f"{t:%b %d %Y %H:%M:%S}.{t.microsecond // 1000:03d} {sign}{abs(off) // 60:02d}{abs(off) % 60:02d}"
        )
        self.add(
            "logs/webservices/WS",
            utc,
            f"{{seq}}: {self.ip}: {stamp}: %CCBU_{thread}-{sev}-{mnemonic}: {body}",
        )

    # -- client logs -------------------------------------------------------------------
    def client(
        self,
        agent: str,
        utc: datetime,
        source: str,
        msg: str,
        client_off: int,
        synced: bool = True,
        server: str | None = None,
    ) -> None:
        ct = utc.astimezone(timezone(timedelta(minutes=client_off)))
        sign = "-" if client_off < 0 else "+"
        cstamp = f"{ct:%Y-%m-%dT%H:%M:%S}.{ct.microsecond // 1000:03d} {sign}{abs(client_off) // 60:02d}:{abs(client_off) % 60:02d}"
        st = self.local(utc)
        sstamp = (
            f"{st:%b %d %Y %H:%M:%S}.{st.microsecond // 1000:03d} -0600"
            if synced
            else "--- -- ---- --:--:--.--- -----"
        )
        self.add(
            f"logs/clientlogs/{agent}/WS-CLIENT",
            utc,
            f"{cstamp}: : {server or self.domain}: {sstamp}: {source} : {msg}",
        )

    def write(self, layout: str) -> None:
        for rel, rows in self.files.items():
            rows.sort(key=lambda r: (r[0], r[1]))
            path = self.root / layout / rel
            lines = []
            if rel.startswith("logs/webservices/"):
                self._write_webservices(path, rows)
                continue
            elif rel.startswith("logs/clientlogs/"):
                agent = rel.split("/")[2]
                first = rows[0][0]
                path = (
                    path.with_name(f"agent{agent}_{first:%Y-%m-%dT%H-%M-%S}.txt").parent.parent
                    / path.with_name(f"agent{agent}_{first:%Y-%m-%dT%H-%M-%S}.txt").name
                )
                lines.append(UA)
                lines.extend(text for _, _, text in rows)
            else:
                lines.extend(text for _, _, text in rows)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def _write_webservices(self, path: Path, rows: list[tuple[datetime, int, str]]) -> None:
        """Desktop-webservices.<first line's local time>.log, a new file every `rotate_bytes`."""
        path.parent.mkdir(parents=True, exist_ok=True)
        out = None
        size = 0
        for utc, _, text in rows:
            if out is None or size >= self.rotate_bytes:
                if out is not None:
                    out.close()
                first = self.local(utc)
                name = f"Desktop-webservices.{first:%Y-%m-%dT%H-%M-%S}.{first.microsecond // 1000:03d}.log"
                out = open(path.with_name(name), "w", encoding="utf-8")  # noqa: SIM115
                size = 0
            self.seq += 1
            line = text.replace("{seq}", f"{self.seq:010d}", 1) + "\n"
            out.write(line)
            size += len(line)
        if out is not None:
            out.close()


@dataclass
class Agent:
    id: str
    sid: str
    login: datetime
    client_off: int = -360
    drift_ms: int = 400
    rtt_ms: int = 25
    client_log: bool = False
    port: int = 50000
    domain: str = DOMAIN

    @property
    def jid(self) -> str:
        return f"{self.id}@{self.domain}/desktop"


def sid(rng: random.Random) -> str:
    return f"{rng.getrandbits(32):08x}"


def session_start(b: Bundle, a: Agent, t: datetime) -> None:
    a.port = b.rng.randint(49152, 65000)
    bosh_poll(b, a, t)
    b.ws(
        t,
        "Smack Listener Processor (1)",
        "PRESENCE_NOTIFICATION",
        f"%[presence=available][usr={a.id}]: Received presence available from {a.jid}",
    )


def bosh_poll(b: Bundle, a: Agent, t: datetime) -> None:
    """One BOSH long poll as a debug-level Notification Service writes it (the technote's
    excerpt): Jetty dispatch noise around the HTTPBindLog line and the consumeResponse body."""
    conn = f"org.eclipse.jetty.server.nio.SelectChannelConnector$SelectChannelHttpConnection@2d5a26@{b.ip}:7443<->10.30.1.{int(a.id) % 200}:{a.port}"
    rid = b.rng.randint(10**8, 10**9)
    for msg in (
        f"REQUEST /http-bind/ on {conn}",
        "scope null||/http-bind/ @ o.e.j.s.ServletContextHandler{/http-bind,null}",
        "context=/http-bind||/ @ o.e.j.s.ServletContextHandler{/http-bind,null}",
        "sessionManager=org.eclipse.jetty.server.session.HashSessionManager@176fe4#STARTED",
        "session=null",
        "session=null",
        "servlet /http-bind||/ -> org.jivesoftware.openfire.http.HttpBindServlet-1643193",
        "chain=null",
        f'HTTPBindLog: HTTP RECVD({a.sid}): <body sid="{a.sid}" rid="{rid}"/>',
        f"consumeResponse: org.jivesoftware.openfire.http.HttpSession@d7653 status: 3 address: {a.jid} id: {a.sid} presence:",
        f'<presence from="{a.jid}">',
        '<c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="http://jabber.cisco.com/caxl" ver="VNC6fNwvCxe6FJfDJlryVJRwM="/>',
        f"</presence> rid: {rid}",
        f"suspended {conn}",
    ):
        b.of("debug.log", t, msg)


def polling(b: Bundle, a: Agent, start: datetime, stop: datetime, until: datetime) -> None:
    """The 30 s BOSH poll from `start` to `stop` (when the client goes quiet), and the server's
    30 s activity checks until `until` (the idle close)."""
    t = start
    sent = 4
    last_poll = start
    while t < until:
        if t <= stop:
            bosh_poll(b, a, t)
            last_poll = t
            ms = 0  # a held long poll counts as activity
        else:  # idle since the last poll's request was answered
            ms = int((t + timedelta(seconds=5) - last_poll).total_seconds() * 1000) + b.rng.randint(0, 40)
        b.of(
            "debug.log",
            t + timedelta(seconds=5),
            f"Session (id={a.sid}) was last active {ms} ms ago: {a.jid}",
        )
        epoch = int((t + timedelta(seconds=5)).timestamp() * 1000) + b.rng.randint(0, 900)
        b.of(
            "debug.log",
            t + timedelta(seconds=5),
            f"time={epoch}, JID={a.jid}, msgs_sent={sent}, msgs_queue=0, msgs_drop=0, bytes_sent={sent * 937}",
        )
        sent += 1
        t += timedelta(seconds=30)


def client_samples(
    b: Bundle, a: Agent, start: datetime, end: datetime, rtts: list[int] | None = None
) -> None:
    if not a.client_log:
        return
    b.client(
        a.id,
        start - timedelta(seconds=3),
        "Container",
        "FailoverMonitor.init(): Establishing BOSH connection...",
        a.client_off,
        synced=False,
    )
    b.client(
        a.id,
        start - timedelta(seconds=2),
        "Container",
        "Connection status: connected",
        a.client_off,
        synced=False,
    )
    t, i = start, 0
    while t < end:
        rtt = rtts[i % len(rtts)] if rtts else a.rtt_ms + b.rng.randint(-5, 5)
        drift = a.drift_ms + b.rng.randint(-30, 30)
        cz = t - timedelta(milliseconds=drift)
        b.client(
            a.id,
            t,
            "Container",
            f"Client: {cz:%Y-%m-%dT%H:%M:%S}.{cz.microsecond // 1000:03d}Z, Server: {t:%Y-%m-%dT%H:%M:%S}.{t.microsecond // 1000:03d}Z, Drift: {drift}ms, Network Latency (round trip): {rtt}ms",
            a.client_off,
        )
        t += timedelta(seconds=60)
        i += 1


def cti_state(b: Bundle, a: Agent, t: datetime, state: int, name: str, reason: int) -> None:
    epoch = int(t.timestamp() * 1000)
    b.ws(
        t,
        "CTIMessageEventExecutor-0",
        "DECODED_MESSAGE_FROM_CTI_SERVER",
        f"%[cti_message=CTIAgentStateEvent [monitorID=0, peripheralID=5000, sessionID=0, skillGroupNumber=-1, skillGroupPriority=0, "
        f"agentState={state} ({name}), eventReasonCode={reason}, numFltSkillGroup=0, agentID={a.id}, agentExtension=1{a.id[-4:]}, "
        f"duration=null, nextAgentState=null, fltSkillGroupNumberList=[], fltSkillGroupIDList=[]]CTIMessageBean [invokeID=null, "
        f'msgID=30, timeTracker={{"id":"AgentStateEvent","CTI_MSG_RECEIVED":{epoch},"CTI_MSG_DISPATCH":{epoch + 1}}}]][cti_response_time=0]: '
        "Decoded Message to Finesse from backend cti server",
    )


def presence_lost(b: Bundle, a: Agent, p: datetime, pending: bool = True) -> None:
    """What web services write when an agent's presence goes unavailable, up to the logout
    (the technote's sequence; it shows the mnemonics truncated, the full names and the text
    here are reconstructions): presence, unsubscribe, the logout scheduled in 60 s, and ~30 s
    later the monitor saying it is still pending. Only what follows means a logout was sent."""
    b.ws(
        p,
        "Smack Listener Processor (1)",
        "PRESENCE_NOTIFICATION",
        f"%[presence=unavailable][usr={a.id}]: Received presence unavailable from {a.jid}",
    )
    b.ws(
        p + timedelta(milliseconds=1),
        "Smack Listener Processor (1)",
        "UNSUBSCRIBE_REQUEST",
        f"Unsubscribing {a.jid} from /finesse/api/User/{a.id}",
    )
    b.ws(
        p + timedelta(milliseconds=1),
        "Smack Listener Processor (1)",
        "AGENT_PIM_LOGOUT_SCHEDULED",
        f"%[agent_id={a.id}]: Agent {a.id} is unavailable; presence driven logout scheduled in 60 seconds",
    )
    if not pending:  # the desktop came back: nothing left to monitor
        return
    b.ws(
        p + timedelta(seconds=30, milliseconds=754),
        "pool-8-thread-1",
        "AGENT_PRESENCE_MONITOR",
        f"%[agent_id={a.id}]: Agent {a.id} still unavailable; presence driven logout pending",
    )


def drop_chain(
    b: Bundle,
    a: Agent,
    stop: datetime,
    *,
    forced: bool,
    state: tuple[int, str] = (1, "LOGOUT"),
    wrap_cti: bool = False,
) -> datetime:
    """Polls stop at `stop`: idle close ~60 s later, presence off, forced logout 60 s after."""
    # the server checks every 30 s; the close comes on the first check more than 60 s after the last poll
    close = stop + timedelta(seconds=60)
    close = close + timedelta(seconds=(30 - (close - a.login).total_seconds() % 30) % 30 + 5)
    b.of(
        "info.log",
        close,
        f"Closing idle session (id={a.sid}): {a.jid} after inactivity for more than threshold value of 60",
    )
    b.of("info.log", close, f"A session is closed for {a.jid}")
    b.of(
        "debug.log",
        close + timedelta(seconds=1),
        f'Unable to route packet. No session is available so store offline. <message from="pubsub.{b.domain}" to="{a.jid}" id="/finesse/api/User/{a.id}__{a.jid}__Xk2"><event xmlns="http://jabber.org/protocol/pubsub#event"/></message>',
    )
    p = close + timedelta(milliseconds=630)
    presence_lost(b, a, p, pending=forced)
    if not forced:
        return close
    fl = p + timedelta(seconds=60)
    b.ws(
        fl,
        "CoreImpl-worker12",
        "PRESENCE_DRIVEN_LOGOUT",
        f"%[agent_id={a.id}]: Presence driven logout of agent {a.id} after 60 seconds unavailable",
    )
    text = (
        f"Sending SetAgentStateReq to CTI server: agentstate : {state[0]}, workmode : 0, reason code: 255, forceflag :1, "
        f"agentcapacity: 1, agenttext: {a.id}, agentid: {a.id}, peripheralid: 5000"
    )
    if wrap_cti:  # the technote shows this record wrapped over two lines
        head, tail = text.split("workmode", 1)
        text = head + "\nworkmode" + tail
    b.ws(fl + timedelta(milliseconds=1), "CoreImpl-worker12", "MESSAGE_TO_CTI_SERVER", text)
    cti_state(b, a, fl + timedelta(milliseconds=11), state[0], state[1], 255)
    return close


def background(b: Bundle, agents: list[Agent], start: datetime, end: datetime) -> None:
    """Ordinary web services traffic: state changes, publishes, queue statistics."""
    t = start
    while t < end:
        a = b.rng.choice(agents)
        if a.login <= t:
            req = f"{b.rng.getrandbits(64):016x}"
            b.ws(
                t,
                f"http-bio-8443-exec-{b.rng.randint(1, 40)}",
                "API_REQUEST",
                f"%[request_id={req}][request_method=user.PUT][request_ parameters= state:READY][usr={a.id}]: Handling user state change",
            )
            b.ws(
                t + timedelta(milliseconds=40),
                "CTIMessageEventExecutor-0",
                "XMPP_PUBLISH_ASYNCHRONOUS",
                f"%[node=/finesse/api/User/{a.id}]: Publishing user update",
            )
        b.ws(
            t + timedelta(milliseconds=500),
            "pool-21-thread-1",
            "QUEUE_STATISTICS_REQUEST",
            "%[queue_count=4]: Polling queue statistics",
        )
        t += timedelta(seconds=b.rng.randint(5, 25))


def user_update_xml(a: Agent, state: str, t: datetime) -> str:
    """The escaped <Update> payload Finesse publishes for a user (the technote's example)."""
    fields = (
        f"&lt;dialogs&gt;/finesse/api/User/{a.id}/Dialogs&lt;/dialogs&gt;&lt;extension&gt;1{a.id[-4:]}&lt;/extension&gt;"
        f"&lt;firstName&gt;Agent&lt;/firstName&gt;&lt;lastName&gt;N{a.id}&lt;/lastName&gt;&lt;loginId&gt;{a.id}&lt;/loginId&gt;"
        f"&lt;loginName&gt;agent{a.id}&lt;/loginName&gt;&lt;mediaType&gt;1&lt;/mediaType&gt;&lt;pendingState&gt;&lt;/pendingState&gt;"
        "&lt;roles&gt;&lt;role&gt;Agent&lt;/role&gt;&lt;/roles&gt;&lt;settings&gt;&lt;wrapUpOnIncoming&gt;OPTIONAL"
        f"&lt;/wrapUpOnIncoming&gt;&lt;/settings&gt;&lt;state&gt;{state}&lt;/state&gt;&lt;stateChangeTime&gt;"
        f"{t:%Y-%m-%dT%H:%M:%S}.000Z&lt;/stateChangeTime&gt;&lt;teamId&gt;5000&lt;/teamId&gt;&lt;teamName&gt;Maths"
        f"&lt;/teamName&gt;&lt;uri&gt;/finesse/api/User/{a.id}&lt;/uri&gt;"
    )
    return (
        f'<message from="pubsub.{DOMAIN}" to="{a.jid}" id="/finesse/api/User/{a.id}__{a.jid}__K7hYF">'
        f'<event xmlns="http://jabber.org/protocol/pubsub#event"><items node="/finesse/api/User/{a.id}">'
        '<item id="26a3e421-9d0c-4752-8a1d-5adbdac74a771"><notification xmlns="http://jabber.org/protocol/pubsub">'
        f"&lt;Update&gt;&lt;data&gt;&lt;user&gt;{fields}&lt;/user&gt;&lt;/data&gt;&lt;event&gt;PUT&lt;/event&gt;"
        f"&lt;requestId&gt;{a.sid}-6b3c-4855-a4c9-af50ab5e7cc6&lt;/requestId&gt;&lt;source&gt;/finesse/api/User/{a.id}"
        "&lt;/source&gt;&lt;/Update&gt;</notification></item></items></event></message>"
    )


def busy_webservices(b: Bundle, agents: list[Agent], end: datetime, every_s: int) -> None:
    """A busy contact centre's web services: each agent's state changes published with their
    long XML payloads, and the CTI events behind them."""
    states = (("READY", 3, "AVAILABLE"), ("NOT_READY", 2, "NOT_READY"), ("TALKING", 4, "TALKING"))
    for a in agents:
        t = a.login + timedelta(seconds=b.rng.randint(1, every_s))
        while t < end:
            state, num, name = b.rng.choice(states)
            b.ws(t, "CTIMessageEventExecutor-0", "DECODED_MESSAGE_FROM_CTI_SERVER",
                 f"%[cti_message=CTIAgentStateEvent [monitorID=0, peripheralID=5000, sessionID=0, skillGroupNumber=-1, "
                 f"agentState={num} ({name}), eventReasonCode=0, agentID={a.id}, agentExtension=1{a.id[-4:]}]"
                 f'CTIMessageBean [invokeID=null, msgID=30, timeTracker={{"id":"AgentStateEvent"}}]][cti_response_time=0]: '
                 "Decoded Message to Finesse from backend cti server")  # fmt: skip
            b.ws(t + timedelta(milliseconds=3), "CTIMessageEventExecutor-0", "XMPP_PUBLISH_ASYNCHRONOUS",
                 f"%[node=/finesse/api/User/{a.id}][payload={user_update_xml(a, state, t)}]: Publishing user update")  # fmt: skip
            t += timedelta(seconds=b.rng.randint(every_s // 2, every_s * 3 // 2))


def logins(b: Bundle, agents: list[Agent]) -> None:
    for a in agents:
        session_start(b, a, a.login)
        cti_state(b, a, a.login + timedelta(seconds=1), 2, "NOT_READY", 0)


def two_node(root: Path) -> None:
    """A primary/secondary pair. At 14:06 CST the primary's (fin1a) Notification Service stops:
    eleven desktops fail over to fin1b within a minute and are not logged out; two never come
    back and fin1a's web services log them out after 60 s; one agent whose browser crashed at
    14:02 signs in on fin1b at once, and fin1a's late presence-driven logout (a crashed browser
    takes up to 120 s to notice) then logs it out there: the failover race. fin1b stays healthy
    (its own agent keeps its session)."""
    t0 = datetime(2026, 3, 4, 20, 0, 0, tzinfo=UTC)
    end = t0 + timedelta(minutes=16)
    a = Bundle(root)
    a.rng = random.Random(21)
    b = Bundle(root, domain="fin1b.example.com", ip="10.10.20.12")
    b.rng = random.Random(22)
    b.seq = 5000
    agents = [Agent(f"40040{i:02d}", sid(a.rng), t0 + timedelta(seconds=4 * i)) for i in range(1, 16)]
    agents[0].client_log = True
    on_b = Agent("4004099", sid(b.rng), t0 + timedelta(seconds=30), domain=b.domain)
    logins(a, agents)
    logins(b, [on_b])
    polling(b, on_b, on_b.login, end, end)
    background(a, agents, t0, t0 + timedelta(minutes=6))
    outage = t0 + timedelta(minutes=6)
    a.of("info.log", outage, "Initiating shutdown ...")
    a.of("info.log", outage + timedelta(seconds=1), "Openfire stopped")
    a.ws(outage + timedelta(seconds=1), "Smack Packet Reader (0)", "XMPP_CONNECTION_ERROR",
         "Connection to the Notification Service closed on error: java.io.EOFException")  # fmt: skip

    def sign_in_on_b(agent: Agent, at: datetime) -> Agent:
        moved = Agent(agent.id, sid(b.rng), at, domain=b.domain)
        session_start(b, moved, at)
        b.ws(at + timedelta(seconds=1), "http-bio-8443-exec-2", "API_REQUEST",
             f"%[request_id={b.rng.getrandbits(32):08x}][request_method=user.PUT][request_ parameters= state:LOGIN]"
             f"[usr={agent.id}]: Handling user state change")  # fmt: skip
        cti_state(b, moved, at + timedelta(seconds=1, milliseconds=300), 2, "NOT_READY", 0)
        polling(b, moved, at, end, end)
        return moved

    race = agents[-1]
    crash = t0 + timedelta(minutes=2)
    noticed = drop_chain(a, race, crash, forced=True, state=(2, "NOT_READY"))  # logout ~60 s after notice
    polling(a, race, race.login, crash, noticed)
    sign_in_on_b(race, crash + timedelta(seconds=40))
    for i, agent in enumerate(agents[:-1]):
        polling(a, agent, agent.login, outage - timedelta(seconds=1), outage - timedelta(seconds=1))
        p = outage + timedelta(seconds=1, milliseconds=100 + 37 * i)
        gone = i >= 12  # two agents whose desktops never reach fin1b
        presence_lost(a, agent, p, pending=gone)
        if gone:
            fl = p + timedelta(seconds=60)
            a.ws(fl, "CoreImpl-worker5", "PRESENCE_DRIVEN_LOGOUT",
                 f"%[agent_id={agent.id}]: Presence driven logout of agent {agent.id} after 60 seconds unavailable")  # fmt: skip
            a.ws(fl + timedelta(milliseconds=1), "CoreImpl-worker5", "MESSAGE_TO_CTI_SERVER",
                 f"SetAgentStateReq: agentstate : 2, workmode : 0, reason code: 255, forceflag :1, agentid: {agent.id}")  # fmt: skip
            cti_state(a, agent, fl + timedelta(milliseconds=9), 2, "NOT_READY", 255)
        else:
            back = outage + timedelta(seconds=15 + 3 * i)
            sign_in_on_b(agent, back)
            if agent.client_log:  # its desktop says where it went
                client_samples(a, agent, agent.login + timedelta(seconds=20), outage)
                a.client(agent.id, outage + timedelta(seconds=3), "Container",
                         f"Lost connection to {a.domain}. Please wait for a reachable Finesse Server to be found...",
                         agent.client_off)  # fmt: skip
                a.client(agent.id, back - timedelta(seconds=2), "Container",
                         "FailoverMonitor: Establishing BOSH connection...", agent.client_off, server=b.domain)  # fmt: skip
                a.client(agent.id, back, "Container", "Connection status: connected", agent.client_off,
                         server=b.domain)  # fmt: skip
    a.write("fin1a.example.com/20260304141600/activelog/desktop")
    b.write("fin1b.example.com/20260304141600/activelog/desktop")


def client_side(root: Path) -> None:
    b = Bundle(root)
    t0 = datetime(2026, 3, 4, 20, 0, 0, tzinfo=UTC)  # 14:00 CST
    end = t0 + timedelta(minutes=20)
    agents = [Agent(f"10010{i:02d}", sid(b.rng), t0 + timedelta(seconds=7 * i)) for i in range(1, 13)]
    by = {a.id: a for a in agents}
    by["1001003"].client_log = True
    by["1001010"].client_log = True
    by["1001010"].drift_ms = 4600
    by["1001010"].client_off = -300  # a remote agent one zone east
    logins(b, agents)
    background(b, agents, t0, end)
    # 1001003: PC put to sleep at 14:05:10 -> idle close -> forced logout (UCCX: LOGOUT)
    a = by["1001003"]
    stop = t0 + timedelta(minutes=5, seconds=10)
    close = drop_chain(b, a, stop, forced=True, wrap_cti=True)
    polling(b, a, a.login, stop, close)
    client_samples(b, a, a.login + timedelta(seconds=20), stop)
    # 1001007: browser refresh at 14:09:00: a new session at once, the old one idles out -> recovered
    a = by["1001007"]
    stop = t0 + timedelta(minutes=9)
    close = drop_chain(b, a, stop, forced=False)
    polling(b, a, a.login, stop, close)
    new = Agent(a.id, sid(b.rng), stop + timedelta(seconds=4))
    session_start(b, new, new.login)
    b.ws(
        close + timedelta(seconds=1),
        "Smack Listener Processor (1)",
        "PRESENCE_NOTIFICATION",
        f"%[presence=available][usr={a.id}]: Received presence available from {new.jid}",
    )
    polling(b, new, new.login, end, end)
    # 1001010: remote agent with drifting clock and a lossy link; the link drops at 14:14:20
    a = by["1001010"]
    stop = t0 + timedelta(minutes=14, seconds=20)
    close = drop_chain(b, a, stop, forced=True)
    polling(b, a, a.login, stop, close)
    client_samples(b, a, a.login + timedelta(seconds=20), stop, rtts=[180, 240, 2350, 310, 1900, 260])
    b.client(
        a.id,
        stop + timedelta(seconds=40),
        "Container",
        f"Lost connection to {DOMAIN}. Please wait for a reachable Finesse Server to be found...",
        a.client_off,
    )
    # 1001011: browser refresh that hangs for ~2 min at 14:17:00: the logout fires before the
    # desktop is back -> forced-logout, then a new session and a sign-in at 14:19:35
    a = by["1001011"]
    stop = t0 + timedelta(minutes=17)
    close = drop_chain(b, a, stop, forced=True)
    polling(b, a, a.login, stop, close)
    back = Agent(a.id, sid(b.rng), close + timedelta(seconds=90))
    session_start(b, back, back.login)
    b.ws(
        back.login + timedelta(seconds=1),
        "http-bio-8443-exec-3",
        "API_REQUEST",
        f"%[request_id=91c2][request_method=user.PUT][request_ parameters= state:LOGIN][usr={a.id}]: Handling user state change",
    )
    cti_state(b, a, back.login + timedelta(seconds=1, milliseconds=200), 2, "NOT_READY", 0)
    polling(b, back, back.login, end, end)
    # 1001005: signs out normally at 14:12:00 (not a disconnect)
    a = by["1001005"]
    out = t0 + timedelta(minutes=12)
    polling(b, a, a.login, out, out)
    b.ws(
        out,
        "http-bio-8443-exec-7",
        "API_REQUEST",
        f"%[request_id=77ab][request_method=user.PUT][request_ parameters= state:LOGOUT][usr={a.id}]: Handling user state change",
    )
    cti_state(b, a, out + timedelta(milliseconds=300), 1, "LOGOUT", 0)
    b.of(
        "debug.log",
        out + timedelta(seconds=1),
        f'HTTPBindLog: HTTP RECVD({a.sid}): <body sid="{a.sid}" rid="99" type="terminate"/>',
    )
    b.of("info.log", out + timedelta(seconds=1), f"A session is closed for {a.jid}")
    for a in agents:
        if a.id not in ("1001003", "1001007", "1001010", "1001005", "1001011"):
            polling(b, a, a.login, end, end)
    b.write("fin1a.example.com/20260304142100/activelog/desktop")


def server_wide(root: Path) -> None:
    """A network outage between the agents' site and Finesse: 12 of 14 agents go quiet at 14:08."""
    b = Bundle(root)
    b.rng = random.Random(11)
    t0 = datetime(2026, 3, 4, 20, 0, 0, tzinfo=UTC)
    end = t0 + timedelta(minutes=16)
    agents = [Agent(f"20020{i:02d}", sid(b.rng), t0 + timedelta(seconds=5 * i)) for i in range(1, 15)]
    agents[0].client_log = True
    agents[13].client_log = True  # an agent at the other site, unaffected
    logins(b, agents)
    background(b, agents, t0, end)
    outage = t0 + timedelta(minutes=8)
    for i, a in enumerate(agents):
        if i < 12:
            stop = outage + timedelta(seconds=b.rng.randint(0, 29))
            close = drop_chain(b, a, stop, forced=True, state=(2, "NOT_READY"))
            polling(b, a, a.login, stop, close)
            client_samples(b, a, a.login + timedelta(seconds=15), stop)
            if a.client_log:
                b.client(
                    a.id,
                    stop + timedelta(seconds=35),
                    "Container",
                    "Connection status: disconnected",
                    a.client_off,
                )
        else:
            polling(b, a, a.login, end, end)
            client_samples(b, a, a.login + timedelta(seconds=15), end)
    b.write("fin1a.example.com/20260304141700/activelog/desktop")


def notification_service_crash(zip_path: Path) -> None:
    """UCCX: the Notification Service chokes on an invalid XML character, runs out of heap and
    dies at 14:06; every agent's presence drops at once; service manager restarts it at 14:07."""
    import shutil
    import tempfile
    import zipfile

    tmp = Path(tempfile.mkdtemp())
    b = Bundle(tmp)
    b.rng = random.Random(5)
    t0 = datetime(2026, 3, 4, 20, 0, 0, tzinfo=UTC)
    end = t0 + timedelta(minutes=10)
    crash = t0 + timedelta(minutes=6)
    agents = [Agent(f"30030{i:02d}", sid(b.rng), t0 + timedelta(seconds=6 * i)) for i in range(1, 11)]
    agents[2].client_log = True
    logins(b, agents)
    background(b, agents, t0, end)
    b.of(
        "error.log",
        crash - timedelta(seconds=2),
        "org.jivesoftware.openfire.nio.ConnectionHandler - Closing connection due to error while processing message: "
        f'<message to="pubsub.{DOMAIN}" from="3003004@{DOMAIN}/desktop"> org.xmlpull.v1.XmlPullParserException: '
        "An invalid XML character (Unicode: 0x1f) was found in the element content of the document.",
    )
    b.of("error.log", crash, "org.jivesoftware.openfire.http.HttpSessionManager - Error delivering packet")
    b.add("logs/openfire/error.log", crash, "java.lang.OutOfMemoryError: Java heap space")
    b.add("logs/openfire/error.log", crash, "\tat java.util.Arrays.copyOf(Arrays.java:3332)")
    b.add(
        "logs/openfire/error.log",
        crash,
        "\tat org.jivesoftware.openfire.http.HttpSession.deliver(HttpSession.java:1047)",
    )
    b.ws(
        crash + timedelta(seconds=1),
        "Smack Packet Reader (0)",
        "XMPP_CONNECTION_ERROR",
        "Connection to the Notification Service closed on error: java.io.EOFException: no more data available",
    )
    for i, a in enumerate(agents):
        polling(b, a, a.login, crash, crash)
        p = crash + timedelta(seconds=1, milliseconds=200 + 150 * i)
        presence_lost(b, a, p)
        fl = p + timedelta(seconds=60)
        b.ws(
            fl,
            "CoreImpl-worker3",
            "PRESENCE DRIVEN LOGOUT",
            f"%[agent_id={a.id}]: Presence driven logout of agent {a.id}",
        )
        b.ws(
            fl + timedelta(milliseconds=1),
            "CoreImpl-worker3",
            "MESSAGE_TO_CTI_SERVER",
            f"Sending SetAgentStateReq: agentstate : 1, workmode : 0, reason code: 255, forceflag :1, agentid: {a.id}",
        )
        cti_state(b, a, fl + timedelta(milliseconds=9), 1, "LOGOUT", 255)
        client_samples(b, a, a.login + timedelta(seconds=10), crash)
        if a.client_log:
            b.client(
                a.id,
                crash + timedelta(seconds=4),
                "Container",
                "Connection status: disconnected",
                a.client_off,
            )
            b.client(
                a.id,
                crash + timedelta(seconds=9),
                "Container",
                f"Lost connection to {DOMAIN}. Please wait for a reachable Finesse Server to be found...",
                a.client_off,
            )
    restart = crash + timedelta(seconds=70)
    b.of("info.log", restart, "Openfire 3.9.3 [Mar 4, 2026 2:07:10 PM]")
    b.of("info.log", restart + timedelta(seconds=3), "HTTP bind service started")
    b.ws(
        restart + timedelta(seconds=5),
        "Smack Packet Reader (1)",
        "XMPP_CONNECTION_ESTABLISHED",
        "Connected to the Notification Service",
    )

    def syslog(t: datetime, no: int, sev: int, mnemonic: str, tags: str, text: str) -> None:
        loc = b.local(t)
        b.add(
            "syslog/CiscoSyslog",
            t,
            f"{loc:%b} {loc.day:2d} {loc:%H:%M:%S} fin1a local7 {sev} : {no}: {DOMAIN}: "
            f"{t:%b %d %Y %H:%M:%S}.{t.microsecond // 1000:03d} UTC :  %UC_SERVICEMANAGER-{sev}-{mnemonic}: {tags}: {text}",
        )

    syslog(
        t0 - timedelta(minutes=40),
        801,
        6,
        "ServiceStarted",
        "%[ServiceName=Cisco Unified CCX Notification Service][ProcessID=4242][AppID=Cisco Service Manager][ClusterID=][NodeID=fin1a]",
        "Service started.",
    )
    syslog(
        crash + timedelta(seconds=2, milliseconds=114),
        812,
        2,
        "ServiceFailed",
        "%[ServiceName=Cisco Unified CCX Notification Service][Reason=Service terminated unexpectedly][AppID=Cisco Service Manager][ClusterID=][NodeID=fin1a]",
        "Service terminated.",
    )
    syslog(
        restart - timedelta(seconds=5),
        815,
        6,
        "ServiceStarted",
        "%[ServiceName=Cisco Unified CCX Notification Service][ProcessID=5120][AppID=Cisco Service Manager][ClusterID=][NodeID=fin1a]",
        "Service started.",
    )
    layout = "fin1a.example.com/20260304141500/activelog"
    b.write(f"{layout}/desktop")
    sys_src = tmp / layout / "desktop" / "syslog" / "CiscoSyslog"
    sys_dst = tmp / layout / "syslog" / "CiscoSyslog"
    sys_dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(sys_src, sys_dst)
    shutil.rmtree(sys_src.parent)
    hprof = tmp / layout / "desktop" / "logs" / "openfire" / "java_pid4242.hprof"
    hprof.write_bytes(b"JAVA PROFILE 1.0.2\x00" + bytes(range(256)) * 4)
    collected = (2026, 3, 4, 14, 15, 0)
    dumped = b.local(crash + timedelta(seconds=1)).timetuple()[:6]
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(p for p in tmp.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(
                f.relative_to(tmp).as_posix(), date_time=dumped if f == hprof else collected
            )
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, f.read_bytes())
    shutil.rmtree(tmp)


def scaled(root: Path, agents_n: int, hours: float) -> None:
    """A busy node for benchmarks, in the shape of a real debug-level bundle: per BOSH poll a
    dozen openfire lines (Jetty noise, HTTPBindLog, consumeResponse with its presence body, the
    activity check and counters); web services with long XML payloads in 25 MB rotated files;
    a few client logs; about 5 % of the agents drop once, with the whole presence sequence."""
    b = Bundle(root)
    b.rng = random.Random(3)
    t0 = datetime(2026, 3, 4, 14, 0, 0, tzinfo=UTC)
    end = t0 + timedelta(hours=hours)
    agents = [
        Agent(f"3{i:06d}", sid(b.rng), t0 + timedelta(seconds=b.rng.randint(0, 600))) for i in range(agents_n)
    ]
    for a in agents[:20]:
        a.client_log = True
    logins(b, agents)
    busy_webservices(b, agents, end, every_s=90)
    for a in agents:
        if b.rng.random() < 0.05:
            stop = a.login + timedelta(seconds=b.rng.randint(900, int(hours * 3600) - 600))
            close = drop_chain(b, a, stop, forced=True)
            polling(b, a, a.login, stop, close)
            client_samples(b, a, a.login + timedelta(seconds=20), stop)
        else:
            polling(b, a, a.login, end, end)
            client_samples(b, a, a.login + timedelta(seconds=20), end)
    b.write(f"fin1a.example.com/{t0:%Y%m%d%H%M%S}/activelog/desktop")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "sample_logs")
    ap.add_argument(
        "--scale", type=int, default=0, help="write one large bundle with this many agents instead"
    )
    ap.add_argument("--hours", type=float, default=8.0)
    args = ap.parse_args()
    if args.scale:
        scaled(args.out, args.scale, args.hours)
        return
    notification_service_crash(args.out / "notification-service-crash.zip")
    for name, fn in (("client-side", client_side), ("server-wide", server_wide), ("two-node", two_node)):
        target = args.out / name
        if target.exists():
            import shutil

            shutil.rmtree(target)
        fn(target)
    print(
        json.dumps(sorted(str(p.relative_to(args.out)) for p in args.out.rglob("*") if p.is_file()), indent=1)
    )


if __name__ == "__main__":
    main()
