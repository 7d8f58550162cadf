"""Notification Service (Openfire fork) logs: debug.log, info.log, warn.log, error.log.

Layouts (see shared/reference/log-formats.md section 1), all server local time, no offset:
  Finesse:        2017.06.17 00:16:04 <message>
  upstream 3.7+:  2017.06.17 00:16:04 org.jivesoftware.openfire.http.HttpSessionManager - <message>
  upstream 4.3+:  2020.01.05 10:11:12 INFO  [thread-1]: org.jivesoftware... - <message>
  upstream 4.8+:  as above with milliseconds (2024.01.05 10:11:12.345)
ANSI colour escapes are stripped; lines without a timestamp continue the previous record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime

from .. import signatures
from ..agents import agent_from_jid, find_agent
from ..event import AttrValue, Event, Kind
from ..parsing import MAX_RECORD_CHARS, FileContext
from ..textlines import Line
from ..timestamps import openfire_local

NAME = "openfire"
DESCRIPTION = "Notification Service (Openfire) debug/info/warn/error logs"

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
HEADER = re.compile(
    r"""
    ^(?P<date>\d{4}\.\d{2}\.\d{2})[ T](?P<time>\d{2}:\d{2}:\d{2})(?:[.,](?P<frac>\d{1,6}))?
    \s+
    (?:(?P<level>TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL)\s+(?:\[(?P<thread>[^\]]*)\]:?\s*)?)?
    (?:(?P<logger>[a-z][\w$]*(?:\.[\w$]+)+)\s+-\s)?
    (?P<msg>.*)$
    """,
    re.VERBOSE,
)
_SID_PAREN = re.compile(r"\(id=(?P<sid>[\w-]+)\)")
_SID_WORD = re.compile(r"[Ss]ession (?P<sid>[0-9a-fA-F][\w-]*)(?=:| was\b)")
_ACTIVE = re.compile(
    r"Session(?: \(id=(?P<sid1>[\w-]+)\)| (?P<sid2>[0-9a-fA-F][\w-]*))? was last active (?P<ms>\d+) ms ago:?\s*"
    r"(?P<jid>\S+@\S+?)(?=\s|$)"
)
_RECV = re.compile(r"HTTP RECVD?\((?P<sid>[\w-]+)\)")
_RID = re.compile(r"""\brid=["']?(?P<rid>\d+)""")
_JID_AFTER_COLON = re.compile(r":\s*(?P<jid>[^\s:@]+@[^\s]+?(?:\. [\w.-]+)?(?:/[\w.-]+)?)(?=\s|$)")
_CLOSED_FOR = re.compile(r"session is closed for\s+(?P<jid>\S+@[^\s]+(?:\. [\w.-]+)?(?:/\S+)?)")
_CONSUME = re.compile(r"address:\s*(?P<jid>\S+@\S+)\s+id:\s*(?P<sid>[\w-]+)")
_TO_ATTR = re.compile(r"""\bto=["'](?P<jid>[^"']+)["']""")
_FROM_IP = re.compile(r"from IP (?P<ip>[0-9a-fA-F.:]+)")
_BANNER = re.compile(r"^Openfire \d+\.\d+(?:\.\d+)?\b")
_TERMINATE = re.compile(r"""type=["']terminate["']""")


def path_hint(path: str) -> bool:
    low = path.lower()
    name = low.rsplit("/", 1)[-1]
    return "openfire" in low or name.startswith(("debug", "info.log", "warn.log", "error.log", "all.log"))


def sniff(head: list[str]) -> bool:
    hits = 0
    for line in head:
        if len(line) >= 19 and line[4:5] == "." and HEADER.match(_ANSI.sub("", line)):
            hits += 1
            if hits >= 1:
                return True
    return False


_PREFIX = re.compile(
    r"""
    (?:[.,](?P<frac>\d{1,6}))?\s+
    (?:(?P<level>TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL)\s+(?:\[(?P<thread>[^\]]*)\]:?\s*)?)?
    (?:(?P<logger>[a-z][\w$]*(?:\.[\w$]+)+)\s+-\s)?
    """,
    re.VERBOSE,
)


def _is_stamp(text: str) -> bool:
    """Cheap shape check of 'YYYY.MM.DD HH:MM:SS' before any regex runs."""
    return (
        len(text) >= 20
        and text[4] == "."
        and text[7] == "."
        and text[13] == ":"
        and text[16] == ":"
        and text[10] in " T"
        and text[:4].isdigit()
    )


def parse(lines: Iterable[Line], ctx: FileContext) -> Iterator[Event]:
    rec: _Record | None = None
    prev_local: datetime | None = None
    cached_key, cached_local = "", None  # consecutive lines mostly share their second
    for line in lines:
        text = line.text
        if "\x1b" in text:
            text = _ANSI.sub("", text)
        m = _PREFIX.match(text, 19) if _is_stamp(text) else None
        if m:
            key = text[:19]
            if key != cached_key:
                cached_key, cached_local = key, openfire_local(key[:10], key[11:19], None)
            local = cached_local
            if local is None:
                ctx.bad()
                ctx.warn(f"line {line.no}: impossible date/time {key}")
                continue
            if m["frac"]:
                local = local.replace(microsecond=int((m["frac"] + "000000")[:6]))
            if rec is not None:
                yield from _events(rec, ctx)
            ctx.ok()
            if prev_local is not None and local < prev_local:
                ctx.warn(f"line {line.no}: time goes back from {prev_local} to {local}")
            if prev_local is None or local != prev_local:
                ctx.seen(local)
            prev_local = local
            stamp = text[: m.end("frac")] if m["frac"] else key
            rec = _Record(line.no, local, stamp, text[m.end() :], m["level"])
        elif rec is not None:
            ctx.ok()
            rec.add(text)
        else:
            ctx.bad()
    if rec is not None:
        yield from _events(rec, ctx)


class _Record:
    __slots__ = ("level", "line", "local", "msg", "time_text")

    def __init__(self, line: int, local: datetime, time_text: str, msg: str, level: str | None):
        self.line = line
        self.local = local
        self.time_text = time_text
        self.msg = msg
        self.level = level

    def add(self, text: str) -> None:
        if len(self.msg) < MAX_RECORD_CHARS:
            self.msg = f"{self.msg}\n{text}"[:MAX_RECORD_CHARS]


def _ev(rec: _Record, ctx: FileContext, kind: Kind, agent: str | None, **attrs: AttrValue | None) -> Event:
    clean: dict[str, AttrValue] = {k: v for k, v in attrs.items() if v is not None}
    return Event(
        time=None,
        time_text=rec.time_text,
        file=ctx.display,
        line=rec.line,
        family=NAME,
        kind=kind,
        agent=agent,
        node=ctx.node,
        local_time=rec.local,
        attrs=clean,
    )


def _sid(msg: str) -> str | None:
    m = _SID_PAREN.search(msg) or _SID_WORD.search(msg)
    return m["sid"] if m else None


def _events(rec: _Record, ctx: FileContext) -> Iterator[Event]:
    msg = rec.msg
    for sig in signatures.match(NAME, msg):
        yield _ev(rec, ctx, Kind.KNOWN_DEFECT, find_agent(msg), **sig.event_attrs())
    if msg.startswith("time=") and "msgs_sent" in msg:  # per-session counters, every 30 s: nothing to keep
        return
    flat = msg.replace("\n", " ") if "\n" in msg else msg
    if "last active" in msg:
        m = _ACTIVE.search(flat)
        if m:
            yield _ev(rec, ctx, Kind.SESSION_ACTIVITY, agent_from_jid(m["jid"]), sid=m["sid1"] or m["sid2"],
                      ms_ago=int(m["ms"]), jid=m["jid"])  # fmt: skip
        return
    if "HTTP RECV" in msg:
        m = _RECV.search(msg)
        if m:
            rid = _RID.search(msg)
            kind = Kind.SESSION_TERMINATED if _TERMINATE.search(msg) else Kind.BOSH_REQUEST
            yield _ev(rec, ctx, kind, find_agent(flat) if "@" in msg else None, sid=m["sid"],
                      rid=rid["rid"] if rid else None)  # fmt: skip
        return
    if "consumeResponse" in msg:
        m = _CONSUME.search(flat)
        if m:
            yield _ev(rec, ctx, Kind.SESSION_BOUND, agent_from_jid(m["jid"]), sid=m["sid"], jid=m["jid"])
        return
    if "Closing idle session" in msg:
        m = _JID_AFTER_COLON.search(flat)
        jid = m["jid"] if m else None
        ip = _FROM_IP.search(flat)
        yield _ev(rec, ctx, Kind.IDLE_CLOSE, agent_from_jid(jid) if jid else find_agent(flat),
                  sid=_sid(flat), jid=jid, client_ip=ip["ip"] if ip else None)  # fmt: skip
        return
    if "session is closed for" in msg:
        m = _CLOSED_FOR.search(flat)
        jid = m["jid"] if m else None
        yield _ev(rec, ctx, Kind.SESSION_CLOSED, agent_from_jid(jid) if jid else None, jid=jid)
        return
    if "Unable to route packet" in msg:
        m = _TO_ATTR.search(flat)
        yield _ev(rec, ctx, Kind.STORE_OFFLINE, agent_from_jid(m["jid"]) if m else None,
                  to=m["jid"] if m else None)  # fmt: skip
        return
    if "HTTP bind service" in msg or "Openfire" in msg or "shutdown" in msg or "halted" in msg:
        life = _lifecycle(msg)
        if life is not None:
            yield _ev(rec, ctx, life, None, detail=msg.split("\n", 1)[0][:200])


def _lifecycle(msg: str) -> Kind | None:
    first = msg.split("\n", 1)[0]
    if "HTTP bind service started" in first:
        return Kind.HTTPBIND_STARTED
    if "HTTP bind service stopped" in first:
        return Kind.HTTPBIND_STOPPED
    if "Openfire stopped" in first or "Server halted" in first:
        return Kind.OPENFIRE_STOPPED
    if "Initiating shutdown" in first:
        return Kind.OPENFIRE_STOPPING
    if _BANNER.match(first):
        return Kind.OPENFIRE_STARTED
    return None
