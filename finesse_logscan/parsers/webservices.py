"""Finesse web services logs: Desktop-webservices.YYYY-MM-DDTHH-MM-SS.mmm[.startup].log.

CiscoLog layout (as in the technote's web services lines):
  <seq>: <host>: <Mon DD YYYY HH:MM:SS.mmm> <+-HHMM>: %CCBU_<thread>-<sev>-<MNEMONIC>: %[k=v]...: <text>
`seq: host: ` may be missing; host may be empty; the thread may contain '-', digits and spaces;
mnemonics are matched by keyword with '_' and ' ' treated alike; tag values nest brackets.
These are the only server lines with a UTC offset: every header is an offset sample for its node.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import re2

from .. import signatures
from ..agents import find_agent
from ..casefold import CaseBlind
from ..event import AttrValue, Event, Kind, present
from ..parsing import FileContext, Record
from ..textlines import Chunk, Line
from ..timestamps import ciscolog_local, format_offset, parse_offset, to_utc

NAME = "webservices"
DESCRIPTION = "Finesse web services logs (CiscoLog layout, with UTC offset)"
PARALLEL = True
"""Its events depend on no other file's: a worker process may parse it (workers.py)."""

_TIME_PART = r"""
    ^(?:(?P<seq>\d{1,12}):\s*(?P<host>[^\s:]*)\s*:{1,2}\s*)?
    (?P<mon>[A-Z][a-z]{2})\s+(?P<day>\d{1,2})\s+(?P<year>\d{4})\s+
    (?P<hms>\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d{1,6}))?\s*
    (?P<off>[+-]\d{2}:?\d{2}|UTC|GMT)?\s*:\s*%"""
_MNEMONIC_PART = r"""
    (?P<fac>[A-Z][A-Z0-9]*)_+(?P<thread>[^:\[%]+)-(?P<sev>[0-7])-(?P<mn>[A-Za-z][^:]*?)\s*
    (?:(?P<colon>:)\s?|$)"""
HEADER = re.compile(_TIME_PART + _MNEMONIC_PART, re.VERBOSE)
"""A header line; the body follows the match where `colon` matched (a `.*` to the end costs
40 %). `_Reader` matches it in two parts (`_HEAD_TIME` then `_HEAD_MNEMONIC`): the same match."""
_HEAD_TIME = re.compile(_TIME_PART, re.VERBOSE)
_G_SEQ, _G_MON, _G_HMS, _G_FRAC, _G_OFF = (
    _HEAD_TIME.groupindex[g] for g in ("seq", "mon", "hms", "frac", "off")
)
"""Group numbers in _HEAD_TIME: `_Reader.line` reads their spans from one `Match.regs`."""
_HEAD_MNEMONIC = re.compile(_MNEMONIC_PART, re.VERBOSE)
# The time part of a header can end in one way only (at the '%' after the time, the offset
# and a colon), and what follows it there, the mnemonic part, cannot go past the next colon:
# its match depends only on the text from the '%' to just after that colon (the one space
# it may take). A log has a few dozen such texts (facility, thread, severity, mnemonic):
# `_Reader` matches each once.
_STATE = re.compile(r"agentState\s*=\s*(?P<num>\d+)\s*(?:\((?P<name>[A-Z_]+)\))?")
_REASON = CaseBlind(
    re.compile(r"(?:eventReasonCode|reason\s*code|reasonCode)\s*[:=]\s*(?P<code>-?\d+)", re.I),
    ("eventreasoncode", "reason"),
)
_FORCE = re.compile(r"force\s*flag\s*[:=]\s*(?P<f>\d)", re.I)
_MSG_STATE = re.compile(r"\bagent\s*state\s*[:=]\s*(?P<num>\d+)", re.I)
_REQ_STATE = re.compile(r"\bstate\s*[:=]\s*(?P<state>[A-Z_]+)")
_TIME_TRACKER = re.compile(r'"CTI_MSG_RECEIVED"\s*:\s*(?P<ms>\d{12,14})')
_UNAVAILABLE = re.compile(r"unavailable|offline|type=['\"]?unavailable", re.I)
_AVAILABLE = re.compile(r"\bavailable\b|\bonline\b", re.I)
CTI_STATES = {
    0: "LOGIN", 1: "LOGOUT", 2: "NOT_READY", 3: "AVAILABLE", 4: "TALKING", 5: "WORK_NOT_READY",
    6: "WORK_READY", 7: "BUSY_OTHER", 8: "RESERVED", 9: "UNKNOWN", 10: "HOLD",
}  # fmt: skip
_KEEP_STATES = {"LOGOUT", "NOT_READY", "LOGIN"}


def path_hint(path: str) -> bool:
    low = path.lower()
    return "webservices" in low or "desktop-webservices" in low


def sniff(head: list[str]) -> bool:
    return any("%" in line and HEADER.match(line) for line in head)


def split_tags(body: str) -> tuple[dict[str, str], str]:
    """'%[a=1][b=x [y]]: text' -> ({'a': '1', 'b': 'x [y]'}, 'text'), brackets counted by depth."""
    tags: dict[str, str] = {}
    if not body.startswith("%["):
        return tags, body
    i, n = 1, len(body)
    while i < n and body[i] == "[":
        depth, j = 0, i
        while True:  # jump from bracket to bracket (tag values can be long XML)
            close = body.find("]", j)
            if close < 0:
                j = n
                break
            opening = body.find("[", j, close)
            if opening >= 0:
                depth += 1
                j = opening + 1
                continue
            depth -= 1
            if depth == 0:
                j = close
                break
            j = close + 1
        item = body[i + 1 : j]
        key, sep, value = item.partition("=")
        if sep:
            tags[key.replace(" ", "").lower()] = value
        i = j + 1
    rest = body[i:]
    if rest.startswith(":"):
        rest = rest[1:]
    return tags, rest.strip()


def normalize_mnemonic(mn: str) -> str:
    return " ".join(mn.replace("_", " ").upper().split())


_NORMALIZED: dict[str, str] = {}


def _normalized(mn: str) -> str:
    """normalize_mnemonic, once per mnemonic as written (a log has a few dozen)."""
    known = _NORMALIZED.get(mn)
    if known is None:
        known = normalize_mnemonic(mn)
        if len(_NORMALIZED) < 4096:
            _NORMALIZED[mn] = known
    return known


def parse(lines: Iterable[Line], ctx: FileContext) -> Iterator[Event]:
    reader = _Reader(ctx)
    for line in lines:
        got = reader.line(line.no, line.text)
        if got:
            yield from got
    yield from reader.finish()


def parse_chunks(chunks: Iterable[Chunk], ctx: FileContext) -> Iterator[Event]:
    """As `parse`, block by block: a clean block (valid UTF-8) holding no signature literal
    spares each of its records the signature search (most blocks of a busy log)."""
    reader = _Reader(ctx)
    literals = signatures.literals(NAME)
    holds = _literal_finder(literals)
    everywhere = any("\n" in lit for lit in literals)  # one may span lines
    for chunk in chunks:
        reader.signatures = everywhere or chunk.lines is not None or holds(chunk.data)
        numbered: Iterable[tuple[int, str]] = (
            ((line.no, line.text) for line in chunk.lines)
            if chunk.lines is not None
            else enumerate(_clean_lines(chunk), chunk.first)  # (no Line object each)
        )
        for no, text in numbered:
            got = reader.line(no, text)
            if got:
                yield from got
        reader.flush()
    yield from reader.finish()


def _clean_lines(chunk: Chunk) -> list[str]:
    """The lines of a clean chunk, as Chunk.iter_lines gives their text: decoded at once."""
    lines = chunk.data.decode("utf-8").split("\n")
    if len(lines) > chunk.count:  # the piece after the final line end is empty
        lines.pop()
    if b"\r" in chunk.data:
        return [text[:-1] if text.endswith("\r") else text for text in lines]
    return lines


def _literal_finder(literals: Iterable[str]) -> Callable[[bytes], bool]:
    """Does a block hold one of the literals? One RE2 pass (a DFA: one scan for them all)."""
    encoded = [lit.encode() for lit in literals]
    if not encoded:
        return lambda data: False
    pattern = re2.compile(b"|".join(re.escape(lit) for lit in encoded))
    return lambda data: pattern.search(data) is not None


_Time = tuple[datetime | None, int | None, datetime | None]
"""A header's time: naive local, offset minutes, UTC (None where it did not say or is impossible)."""


class _Reader:
    """The reading state of one file; `line` is the per-line work of a busy log (a few hundred
    thousand lines of ~1 KB), so what repeats is worked out once: a header's time (lines share
    their second), a mnemonic's family."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.rec: _Record | None = None
        self.prev_seq: int | None = None
        self.epoch_checked = False
        self.startup = ctx.path.lower().endswith(".startup.log")
        self.times: dict[str, _Time] = {}  # a header time as written -> what it says
        self.mnemonics: dict[str, tuple[str, int, bool] | tuple[()]] = {}  # see _HEAD_MNEMONIC
        self.signatures = True  # may the records read now hold a signature literal?
        self.run: list[Any] | None = None  # [offset, earliest, latest local time] not yet in ctx
        self.seen: list[datetime] | None = None  # [first, last] UTC time not yet in ctx

    def line(self, no: int, text: str) -> list[Event] | None:
        ctx = self.ctx
        m = _HEAD_TIME.match(text) if "%" in text else None
        tail = self._mnemonic(text, m.end()) if m is not None else None
        if m is None or tail is None:
            if self.rec is not None:
                ctx.parsed += 1  # (ctx.ok)
                self.rec.add(text)
                self.rec.signatures = self.rec.signatures or self.signatures
            else:
                ctx.bad()
            return None
        spans = m.regs  # (every group's span at once: see _G_*)
        end = spans[_G_OFF][1]
        if end < 0:
            end = spans[_G_FRAC][1] if spans[_G_FRAC][1] >= 0 else spans[_G_HMS][1]
        stamp = text[spans[_G_MON][0] : end]  # (the same text reads as the same time)
        when = self.times.get(stamp)
        if when is None:
            when = self.times[stamp] = _header_time(*m.group("mon", "day", "year", "hms", "frac", "off"))
            if len(self.times) > 4096:  # a few per second of log: keep the recent ones
                self.times = {stamp: when}
        local, off, utc = when
        if local is None:
            ctx.bad()
            ctx.warn(f"line {no}: impossible date/time")
            return None
        out = _events(self.rec, ctx) if self.rec is not None else None
        ctx.parsed += 1  # (ctx.ok)
        if off is None:
            ctx.warn(f"line {no}: no UTC offset on a web services line; taken as UTC")
            off, utc = 0, to_utc(local, 0)
        else:
            run = self.run
            if run is not None and run[0] == off:  # ctx.observe_offset, kept here until `flush`
                if local < run[1]:
                    run[1] = local
                elif local > run[2]:
                    run[2] = local
            else:
                self.flush_offsets()
                self.run = [off, local, local]
        assert utc is not None
        seen = self.seen
        if seen is None:  # ctx.seen, kept here until `flush`
            self.seen = [utc, utc]
        elif utc < seen[0]:
            seen[0] = utc
        elif utc > seen[1]:
            seen[1] = utc
        lo, hi = spans[_G_SEQ]
        seq = int(text[lo:hi]) if hi > lo else None
        prev_seq = self.prev_seq
        if seq is not None and prev_seq is not None and seq < prev_seq and seq <= 10:
            out = out or []
            out.append(Event(utc, stamp, ctx.display, no, NAME, Kind.WEBSERVICES_RESTARTED, node=ctx.node,
                             attrs={"detail": f"sequence number reset from {prev_seq} to {seq}"}))  # fmt: skip
        if self.startup:
            out = out or []
            out.append(Event(utc, stamp, ctx.display, no, NAME, Kind.WEBSERVICES_RESTARTED, node=ctx.node,
                             attrs={"detail": "web services started (.startup.log)"}))  # fmt: skip
            self.startup = False
        self.prev_seq = seq if seq is not None else prev_seq
        mn, body, colon = tail
        self.rec = _Record(no, utc, off, stamp, mn, text[body:] if colon else "", self.signatures)
        if not self.epoch_checked and "CTI_MSG_RECEIVED" in text:
            self.epoch_checked = _check_epoch(self.rec, text, ctx)
        return out

    def _mnemonic(self, text: str, start: int) -> tuple[str, int, bool] | None:
        """The mnemonic part of a header from `start` (just after its '%'): (normalized
        mnemonic, where the body starts, was there a colon), or None when it does not match."""
        colon = text.find(":", start)
        key = text[start : colon + 2] if 0 <= colon < start + 200 else None
        if key is not None:
            known = self.mnemonics.get(key)
            if known is not None:
                return (known[0], start + known[1], known[2]) if known else None
        tm = _HEAD_MNEMONIC.match(text, start)
        found = (_normalized(tm["mn"]), tm.end() - start, tm["colon"] is not None) if tm is not None else ()
        if key is not None:
            if len(self.mnemonics) > 4096:
                self.mnemonics.clear()
            self.mnemonics[key] = found
        return (found[0], start + found[1], found[2]) if found else None

    def flush_offsets(self) -> None:
        """Give the context the run of equal offsets kept here (ctx.observe_offset of its
        earliest and latest local times)."""
        if self.run is not None:
            off, lo, hi = self.run
            self.ctx.observe_offset(lo, off, NAME)
            self.ctx.observe_offset(hi, off, NAME)
            self.run = None

    def flush(self) -> None:
        """Give the context what is kept here: the offsets seen, the first and last times."""
        self.flush_offsets()
        if self.seen is not None:
            self.ctx.seen(self.seen[0])
            self.ctx.seen(self.seen[1])
            self.seen = None

    def finish(self) -> list[Event]:
        self.flush()
        rec, self.rec = self.rec, None
        return (_events(rec, self.ctx) if rec is not None else None) or []


def _header_time(
    mon: str | None,
    day: str | None,
    year: str | None,
    hms: str | None,
    frac: str | None,
    off_text: str | None,
) -> _Time:
    assert mon is not None and day is not None and year is not None and hms is not None
    local = ciscolog_local(mon, day, year, hms, frac)
    off = parse_offset(off_text) if off_text else None
    return local, off, to_utc(local, off) if local is not None and off is not None else None


def _check_epoch(rec: _Record, text: str, ctx: FileContext) -> bool:
    """The CTI timeTracker's epoch ms equals the line's UTC time: confirm the offset once."""
    m = _TIME_TRACKER.search(text)
    if not m:
        return False
    epoch = datetime.fromtimestamp(int(m["ms"]) / 1000, UTC)
    delta = abs((epoch - rec.utc).total_seconds())
    if delta > 5:
        ctx.warn(
            f"line {rec.line}: CTI timeTracker says {epoch:%Y-%m-%d %H:%M:%S} UTC but the line's "
            f"time with offset {format_offset(rec.offset)} is {rec.utc:%Y-%m-%d %H:%M:%S} UTC"
        )
    return True


class _Record(Record):
    __slots__ = ("mn", "offset", "signatures", "utc")

    def __init__(
        self, line: int, utc: datetime, offset: int, stamp: str, mn: str, body: str, sigs: bool = True
    ):
        self.line = line  # (Record.__init__, inlined: one per header line)
        self.time_text = stamp
        self.text = body
        self.utc = utc
        self.offset = offset
        self.mn = mn
        self.signatures = sigs  # may its text hold a signature literal


def _ev(rec: _Record, ctx: FileContext, kind: Kind, agent: str | None, **attrs: AttrValue | None) -> Event:
    clean = present(attrs)
    clean.setdefault("mnemonic", rec.mn)
    return Event(rec.utc, rec.time_text, ctx.display, rec.line, NAME, kind, agent, ctx.node, None, clean)


_AGENT_WORD = re.compile(r"\bagent\s+(?:id\s+)?(?P<id>\d{3,})\b", re.I)


_AGENT_TAGS = ("agentid", "agent_id", "usr", "user", "loginid", "login_id")
_AGENT_TAG_OPENINGS = tuple(f"[{key}=" for key in _AGENT_TAGS)


def _may_tag_agent(body: str) -> bool:
    """Might split_tags(body) give one of _agent's tag keys? (Each is some '[key=' with spaces
    and case aside: where none is, splitting a 1.5 KB CTI message's tags is not needed.)"""
    squashed = body.lower().replace(" ", "")
    return any(opening in squashed for opening in _AGENT_TAG_OPENINGS)


def _agent(tags: dict[str, str], text: str) -> str | None:
    for key in _AGENT_TAGS:
        if tags.get(key):
            return find_agent(f"agentid={tags[key]}")
    found = find_agent(text)
    if found is None:  # chain lines may only say "Agent 1001003 ..."
        m = _AGENT_WORD.search(text)
        found = m["id"] if m else None
    return found


# Mnemonic families of the presence chain. The technote shows these mnemonics only truncated
# (`AGENT_PI`, `AGENT_PRESENCE_MONIT`, `PRESENCE DRIVEN LO`, `MESSAGE_TO_CTI_SER`), so a
# mnemonic matches a family when, with '_' and spaces removed, it starts with the family's stem
# and is a prefix of (or extends) the family's full name. Text is never enough on its own: the
# scheduling and monitoring lines also say "presence driven logout".
_FAMILIES: tuple[tuple[str, str, str], ...] = (
    # (family, stem an observed mnemonic must start with, full name it may be truncated from)
    ("presence-driven-logout", "PRESENCED", "PRESENCEDRIVENLOGOUT"),
    ("logout-pending", "AGENTPRESENCEM", "AGENTPRESENCEMONITOR"),
    ("logout-scheduled", "AGENTPI", "AGENTPI"),
    ("message-to-cti", "MESSAGETOC", "MESSAGETOCTISERVER"),
    ("decoded-cti", "DECODED", "DECODEDMESSAGEFROMCTISERVER"),
    ("unsubscribe", "UNSUB", "UNSUBSCRIBE"),
    ("presence", "PRESENCE", "PRESENCE"),
)


_XMPP_TROUBLE = ("error", "lost", "closed", "fail", "refused", "timeout", "timed out")


def mnemonic_family(mn: str) -> str | None:
    """The presence-chain family of a mnemonic, tolerant of '_'/space variants and truncation:
    'PRESENCE DRIVEN LO' and 'PRESENCE_DRIVEN_LOGOUT' are both 'presence-driven-logout'."""
    sq = mn.upper().replace("_", "").replace(" ", "")
    for family, stem, full in _FAMILIES:
        if sq.startswith(stem) and (full.startswith(sq) or sq.startswith(full)):
            return family
    return None


_PRESENCE_XML = re.compile(r"<presence\b(?P<attrs>[^>]*)>")


def _presence_direction(mn: str, tags: dict[str, str], text: str) -> Kind | None:
    """Unavailable or available, from the mnemonic, a presence tag, the text or the stanza."""
    squashed = mn.replace(" ", "")
    if "UNAVAILABLE" in squashed:
        return Kind.PRESENCE_UNAVAILABLE
    tag = tags.get("presence", "") or tags.get("presence_type", "") or tags.get("type", "")
    if _UNAVAILABLE.search(tag) or _UNAVAILABLE.search(text):
        return Kind.PRESENCE_UNAVAILABLE
    if "AVAILABLE" in squashed or _AVAILABLE.search(tag) or _AVAILABLE.search(text):
        return Kind.PRESENCE_AVAILABLE
    stanza = _PRESENCE_XML.search(text)
    if stanza and "type=" not in stanza["attrs"]:  # XMPP: a presence without a type is available
        return Kind.PRESENCE_AVAILABLE
    return None


def _decoded_cti(rec: _Record, ctx: FileContext, body: str) -> Event | None:
    """A decoded CTI message: kept for a logout, a not-ready, a login or reason code 255."""
    at = body.find("agentState")
    if at < 0:
        return None
    flat = body.replace("\n", " ") if "\n" in body else body  # (the same offsets)
    st = _STATE.search(flat, at)  # (a match starts with "agentState": none before `at`)
    if not st:
        return None
    name = st["name"] or CTI_STATES.get(int(st["num"]), st["num"])
    if name not in _KEEP_STATES and "255" not in flat:
        return None  # neither a state we keep nor reason code 255 (the case-blind search is costly)
    reason = _REASON.search(flat)
    code = int(reason["code"]) if reason else None
    if name in _KEEP_STATES or code == 255:
        tags = split_tags(body)[0] if _may_tag_agent(body) else {}
        return _ev(rec, ctx, Kind.CTI_AGENT_STATE, _agent(tags, flat), state=name, reason_code=code)
    return None


def _events(rec: _Record, ctx: FileContext) -> list[Event] | None:
    """The record's events (None for none: most records): its known defects, then its
    presence-chain event."""
    chain = _chain_events(rec, ctx)
    if not rec.signatures:
        return chain
    sigs = signatures.match(NAME, rec.text)
    if not sigs:
        return chain
    out = [_ev(rec, ctx, Kind.KNOWN_DEFECT, None, **sig.event_attrs()) for sig in sigs]
    out.extend(chain or ())
    return out


_ROUTES: dict[str, tuple[str | None, bool, bool]] = {}
"""A normalized mnemonic -> (its family, does it say REQUEST, does it say XMPP): once each."""


def _route(mn: str) -> tuple[str | None, bool, bool]:
    route = _ROUTES.get(mn)
    if route is None:
        route = (mnemonic_family(mn), "REQUEST" in mn, "XMPP" in mn)
        if len(_ROUTES) < 4096:
            _ROUTES[mn] = route
    return route


def _chain_events(rec: _Record, ctx: FileContext) -> list[Event] | None:
    """The record's presence-chain event, as a list (None for none: most records)."""
    mn = rec.mn
    family, request, xmpp = _route(mn)
    body = rec.text
    if family is None:
        if request:
            if "LOG" not in body:  # only sign-in and sign-out requests are kept
                return None
        elif xmpp or "XMPP" in body:
            low = body.lower()
            if "connect" not in low or not any(w in low for w in _XMPP_TROUBLE):
                return None
        else:
            return None
    if family == "decoded-cti":  # most CTI events: decided before the tags are split
        ev = _decoded_cti(rec, ctx, body)
        return None if ev is None else [ev]
    tags, text = split_tags(body)
    flat = body.replace("\n", " ")
    if family == "presence-driven-logout":
        return [_ev(rec, ctx, Kind.PRESENCE_DRIVEN_LOGOUT, _agent(tags, flat), detail=text[:200])]
    if family in ("logout-scheduled", "logout-pending", "unsubscribe"):
        kind = {"logout-scheduled": Kind.LOGOUT_SCHEDULED, "logout-pending": Kind.LOGOUT_PENDING,
                "unsubscribe": Kind.UNSUBSCRIBE}[family]  # fmt: skip
        return [_ev(rec, ctx, kind, _agent(tags, flat), detail=text[:200])]
    if family == "message-to-cti":
        reason = _REASON.search(flat)
        force = _FORCE.search(flat)
        state = _MSG_STATE.search(flat)
        return [_ev(rec, ctx, Kind.CTI_MESSAGE, _agent(tags, flat),
                    reason_code=int(reason["code"]) if reason else None,
                    force=int(force["f"]) if force else None,
                    state=CTI_STATES.get(int(state["num"])) if state else None)]  # fmt: skip
    if family == "presence":
        direction = _presence_direction(mn, tags, text)
        if direction is None:
            return None
        return [_ev(rec, ctx, direction, _agent(tags, flat), detail=text[:200])]
    if request:
        method = tags.get("request_method", "")
        params = tags.get("request_parameters", "") or tags.get("request_params", "")
        st = _REQ_STATE.search(params or text)
        if method.lower().startswith("user.put") and st and st["state"] in ("LOGOUT", "LOGIN"):
            kind = Kind.AGENT_LOGOUT_REQUEST if st["state"] == "LOGOUT" else Kind.AGENT_LOGIN_REQUEST
            return [_ev(rec, ctx, kind, _agent(tags, flat), method=method)]
        return None
    if xmpp or "XMPP" in text:  # an XMPP connection in trouble (words checked above)
        return [_ev(rec, ctx, Kind.XMPP_CONNECTION_ERROR, None, detail=text[:200])]
    return None
