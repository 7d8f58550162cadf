"""Notification Service (Openfire fork) logs: debug.log, info.log, warn.log, error.log.

Layouts (Finesse's, from the technote; upstream Openfire's, from its source), all server local
time, no offset:
  Finesse:        2017.06.17 00:16:04 <message>
  upstream 3.7+:  2017.06.17 00:16:04 org.jivesoftware.openfire.http.HttpSessionManager - <message>
  upstream 4.3+:  2020.01.05 10:11:12 INFO  [thread-1]: org.jivesoftware... - <message>
  upstream 4.8+:  as above with milliseconds (2024.01.05 10:11:12.345)
ANSI colour escapes are stripped; lines without a timestamp continue the previous record.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import cast

from .. import signatures
from ..agents import agent_from_jid, find_agent
from ..event import AttrValue, Event, Kind, present
from ..eventstore import ActivityBatch, ActivityItem, ActivitySource
from ..parsing import FileContext, Record
from ..textlines import Chunk, Line
from ..timestamps import looks_like_openfire_stamp, openfire_local

NAME = "openfire"
DESCRIPTION = "Notification Service (Openfire) debug/info/warn/error logs"

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
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
    """One header line in the first lines is enough."""
    return any(len(line) >= 19 and line[4:5] == "." and HEADER.match(_ANSI.sub("", line)) for line in head)


_PREFIX_PATTERN = r"""
    (?:[.,](?P<frac>\d{1,6}))?\s+
    (?:(?P<level>TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL)\s+(?:\[(?P<thread>[^\]]*)\]:?\s*)?)?
    (?:(?P<logger>[a-z][\w$]*(?:\.[\w$]+)+)\s+-\s)?
    """
_PREFIX = re.compile(_PREFIX_PATTERN, re.VERBOSE)
"""What follows the 19-character time: fraction, level and thread, logger (all optional)."""
HEADER = re.compile(
    r"^(?P<date>\d{4}\.\d{2}\.\d{2})[ T](?P<time>\d{2}:\d{2}:\d{2})" + _PREFIX_PATTERN + r"(?P<msg>.*)$",
    re.VERBOSE,
)
"""A whole header line: the time, then _PREFIX, then the message."""


TRIGGERS = (
    "last active", "HTTP RECV", "consumeResponse", "Closing idle session", "session is closed for",
    "Unable to route packet", "HTTP bind service", "Openfire", "shutdown", "halted",
)  # fmt: skip
"""A record holding none of these (nor a signature literal) gives no event: see `_events`."""
ACTIVITY_TRIGGERS = TRIGGERS[:3]
"""Several per BOSH poll: searched one literal at a time (a fast C search each)."""
_ACTIVITY_BYTES = tuple(t.encode() for t in ACTIVITY_TRIGGERS)

# A header line, as looks_like_openfire_stamp and _PREFIX see it, in the bytes of a clean ASCII chunk: each
# match starts at the line end before it, so search `b"\n" + data`.
_STAMP_SHAPE = rb"\d{4}\.[^\n]{2}\.[^\n]{2}[ T][^\n]{2}:[^\n]{2}:[^\n]{2}(?:[.,]\d{1,6})?"
_AFTER_STAMP = rb"(?:[ \t]|\r(?!\n))"
_HEADER_BYTES = re.compile(rb"\n(" + _STAMP_SHAPE + rb")" + _AFTER_STAMP)
_HEADER_RUNS = re.compile(
    rb"\n(" + _STAMP_SHAPE + rb")" + _AFTER_STAMP + rb"[^\n]*"
    rb"(?:\n(?:\1" + _AFTER_STAMP + rb"|(?!" + _STAMP_SHAPE + _AFTER_STAMP + rb"))[^\n]*)*"
)
"""As _HEADER_BYTES, but one match for each run of header lines with the same time (and the
continuation lines among them): findall gives the times with consecutive repeats removed,
which is all the time-order check needs, without a bytes object per line."""


def parse(lines: Iterable[Line], ctx: FileContext) -> Iterator[Event]:
    p = _Parser(ctx)
    for line in lines:
        yield from p.line(line.no, line.text)
    yield from p.finish()


def parse_chunks(chunks: Iterable[Chunk], ctx: FileContext) -> Iterator[Event | ActivityBatch]:
    """Same events and counts as `parse`, from blocks of lines: in a clean ASCII block only the
    records that hold a trigger literal are decoded (most of a debug log is Jetty noise), and
    the usual BOSH poll lines come as `ActivityBatch`es (their Events only when asked); any
    block with something unusual (ANSI colours, damage, times going back, impossible dates)
    is read line by line."""
    scan = scanner(ctx)
    return parse_scanned(((chunk, scan(chunk)) for chunk in chunks), ctx)


def scanner(ctx: FileContext) -> Callable[[Chunk], Scan]:
    """What `parse_scanned` needs of each block, worked out from the block alone: any process
    may run it, in any order (workers.py runs it on several cores)."""
    return _Scanner(ctx).scan


def parse_scanned(scanned: Iterable[tuple[Chunk, Scan]], ctx: FileContext) -> Iterator[Event | ActivityBatch]:
    """`parse_chunks` given each block with its `scanner` result: the blocks in file order, each
    joined to what came before (a record going on across blocks, the time order)."""
    p = _Parser(ctx)
    for chunk, scan in scanned:
        if not p.bulk(chunk, scan):
            for line in chunk.iter_lines():
                yield from p.line(line.no, line.text)
        yield from p.drain()
    yield from p.finish()


@dataclass(frozen=True, slots=True)
class _Scanned:
    """A clean block read in bulk, as far as it can be without what came before it."""

    first_local: datetime  # its first and last header times
    last_local: datetime
    first_header: int  # offset of its first header line
    before: int  # lines before it (a record from the block before goes on, or unparsed)
    ready: list[Event | ActivityBatch]  # what its records from first_header on gave
    last: _Record  # its last record, which may go on in the next block


Scan = _Scanned | bool | None
"""A block's scan: _Scanned; True when it holds no header line (continuation lines only);
None when it must be read line by line (damage, colours, times going back, impossible dates)."""


class _Clock:
    """Header times to naive local datetimes, the last second remembered (lines share it)."""

    def __init__(self) -> None:
        self.cached_key, self.cached_local = "", cast(datetime | None, None)

    def local(self, key: str) -> datetime | None:
        if key != self.cached_key:  # consecutive lines mostly share their second
            self.cached_key, self.cached_local = key, openfire_local(key[:10], key[11:19], None)
        return self.cached_local

    def stamp_local(self, value: str) -> datetime | None:
        local = self.local(value[:19])
        if local is not None and len(value) > 19:
            local = local.replace(microsecond=int((value[20:] + "000000")[:6]))
        return local


class _Parser:
    """The per-file reading state: the line path, and the joining of scanned blocks."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.rec: _Record | None = None
        self.prev_local: datetime | None = None
        self.clock = _Clock()
        self.ready: list[Event | ActivityBatch] = []  # what records finished by the block path gave

    def line(self, no: int, text: str) -> Iterator[Event]:
        ctx = self.ctx
        if "\x1b" in text:
            text = _ANSI.sub("", text)
        m = _PREFIX.match(text, 19) if looks_like_openfire_stamp(text) else None
        if m:
            local = self.clock.local(text[:19])
            if local is None:
                ctx.bad()
                ctx.warn(f"line {no}: impossible date/time {text[:19]}")
                return
            if m["frac"]:
                local = local.replace(microsecond=int((m["frac"] + "000000")[:6]))
            if self.rec is not None:
                yield from _events(self.rec, ctx)
            ctx.ok()
            prev = self.prev_local
            if prev is not None and local < prev:
                ctx.warn(f"line {no}: time goes back from {prev} to {local}")
            if prev is None or local != prev:
                ctx.seen(local)
            self.prev_local = local
            self.rec = _record(no, text, m, local)
        elif self.rec is not None:
            ctx.ok()
            self.rec.add(text)
        else:
            ctx.bad()

    def finish(self) -> Iterator[Event]:
        if self.rec is not None:
            yield from _events(self.rec, self.ctx)
            self.rec = None

    def drain(self) -> Iterator[Event | ActivityBatch]:
        ready, self.ready = self.ready, []
        yield from ready

    def bulk(self, chunk: Chunk, scan: Scan) -> bool:
        """Join a scanned block to what came before; False (nothing done) when it needs the
        careful path."""
        ctx, data = self.ctx, chunk.data
        if scan is None:
            return False
        if scan is True:  # no header line: the open record goes on
            if self.rec is None:
                return False  # no record yet: the careful path counts these lines unparsed
            _continue(self.rec, data, 0, len(data))
            ctx.ok(chunk.count)
            return True
        assert isinstance(scan, _Scanned)
        if self.prev_local is not None and scan.first_local < self.prev_local:
            return False  # time goes back at the join: the careful path says where
        if self.rec is None:
            ctx.bad(scan.before)
            ctx.ok(chunk.count - scan.before)
        else:
            ctx.ok(chunk.count)
            _continue(self.rec, data, 0, scan.first_header)
            self.ready.extend(_events(self.rec, ctx))
        if self.prev_local is None or scan.first_local != self.prev_local:
            ctx.seen(scan.first_local)
        ctx.seen(scan.last_local)
        self.prev_local = scan.last_local
        self.ready.extend(scan.ready)
        self.rec = scan.last
        return True


def _continue(rec: _Record, data: bytes, lo: int, hi: int) -> None:
    """Add the continuation lines data[lo:hi] to the open record (up to its size cap)."""
    pos = lo
    while pos < hi and not rec.full:
        end = data.find(b"\n", pos, hi)
        end = hi if end < 0 else end
        rec.add(_text(data, pos, end))
        pos = end + 1


class _Scanner:
    """The block path's work on one block, without what came before it: which records hold a
    trigger literal (decoded), the usual BOSH poll lines (ActivityBatches), the header times."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.clock = _Clock()
        self.rare = _rare_finder()
        self.source = ActivitySource(ctx.display, NAME, ctx.node)
        self.texts = _Texts()  # SIDs and JIDs of the activity lines
        self.jids = _Jids()  # JIDs of the activity lines, and their agents
        self.ready: list[Event | ActivityBatch] = []

    def scan(self, chunk: Chunk) -> Scan:
        data = chunk.data
        if chunk.lines is not None or not data.isascii() or b"\x1b" in data:
            return None
        nl_data = b"\n" + data  # offsets in nl_data are offsets in data + 1
        stamps = _HEADER_RUNS.findall(nl_data)
        if not stamps:
            return True
        times: dict[bytes, tuple[str, datetime]] = {}  # a header time's bytes -> (text, local time)
        for value in set(stamps):
            text = value.decode()
            local = self.clock.stamp_local(text)
            if local is None:
                return None  # an impossible date: the careful path says which line
            times[value] = (text, local)
        order = [times[value][1] for value in stamps]  # times, not their text: 'T' or ' ', ',' or '.'
        if any(later < earlier for earlier, later in pairwise(order)):
            return None  # time goes back somewhere: the careful path says where
        first_header = cast(re.Match[bytes], _HEADER_BYTES.search(nl_data)).start()  # offset in data
        # the records worth decoding: those holding a trigger literal, and the last one, which
        # may go on in the next chunk
        last_start = _line_start(data, len(data) - 1 if data.endswith(b"\n") else len(data))
        while not _is_header_at(data, last_start):
            last_start = _line_start(data, last_start - 1)
        full = {_record_start(data, hit, first_header) for hit in self.rare(data)}
        self.ready = []
        line_no = self._take_fast(chunk, nl_data, first_header, last_start, full, times)
        if line_no is None:  # some activity line is unusual: each such record is read on its own
            line_no = self._take_polls(chunk, first_header, last_start, full)
        last, _ = self._decode_record(data, last_start, line_no)
        return _Scanned(order[0], order[-1], first_header, data.count(b"\n", 0, first_header),
                        self.ready, last)  # fmt: skip

    def _take_fast(
        self,
        chunk: Chunk,
        nl_data: bytes,
        lo: int,
        last_start: int,
        full: set[int],
        stamps: dict[bytes, tuple[str, datetime]],
    ) -> int | None:
        """The chunk's records from `lo` to the open last one: the activity lines go to the store
        as ActivityBatches (read by `_fast_polls`), the other trigger records are decoded. Returns
        the line number of the last record; None (nothing done) when some activity line is not
        in its usual shape."""
        data, first = chunk.data, chunk.first
        ends = LineEnds(data)
        items = _fast_polls(data, lo, last_start, self.texts, self.jids, first, ends, stamps, nl_data)
        if items is None:
            return None
        done = 0
        for start in sorted(start for start in full if lo <= start != last_start):
            line_no = ends.number(start, first)
            upto = bisect_left(items, line_no, lo=done, key=_line_of)
            if upto > done:
                self.ready.append(ActivityBatch(self.source, items[done:upto]))
            rec, _ = self._decode_record(data, start, line_no)
            self.ready.extend(_events(rec, self.ctx))
            done = upto + (upto < len(items) and items[upto][0] == line_no)  # its activity: read whole
        if done < len(items):
            self.ready.append(ActivityBatch(self.source, items[done:] if done else items))
        return ends.number(last_start, first)

    def _take_polls(self, chunk: Chunk, lo: int, last_start: int, full: set[int]) -> int:
        """As `_take_fast` when some activity line is unusual: each record holding an activity
        literal is read on its own (`_poll`, or decoded when it has more lines)."""
        data, ctx = chunk.data, self.ctx
        polls = {_record_start(data, hit, lo) for hit in _activity_hits(data)} - full
        line_no, pos = chunk.first, 0
        for start in sorted(full | polls):
            if start < lo or start == last_start:
                continue  # part of the record finished before, or of the one left open
            line_no += data.count(b"\n", pos, start)
            pos = start
            if start not in polls or not self._poll(data, start, line_no):
                rec, _ = self._decode_record(data, start, line_no)
                self.ready.extend(_events(rec, ctx))
        return line_no + data.count(b"\n", pos, last_start)

    def _poll(self, data: bytes, start: int, line_no: int) -> bool:
        """A one-line record holding only activity literals (the bulk of a debug log): its event
        straight from the line, as `_events` would give it. False when it has more lines."""
        end = data.find(b"\n", start)
        if end < 0:
            end = len(data)
        elif end + 1 < len(data) and not _is_header_at(data, end + 1):
            return False  # continuation lines: the whole record is read
        text = _text(data, start, end)
        m = cast(re.Match[str], _PREFIX.match(text, 19))
        msg = text[m.end() :]
        if msg.startswith("time=") and "msgs_sent" in msg:
            return True
        found = _activity(msg, msg)
        if found is not None:
            stamp = text[: m.end("frac")] if m["frac"] else text[:19]
            local = cast(datetime, self.clock.stamp_local(stamp))
            self.ready.append(_event(self.ctx, line_no, stamp, local, *found))
        return True

    def _decode_record(self, data: bytes, start: int, line_no: int) -> tuple[_Record, int]:
        """The record whose header line starts at `start`; returns it and where it ends."""
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end
        text = _text(data, start, end)
        m = cast(re.Match[str], _PREFIX.match(text, 19))
        local = cast(datetime, self.clock.stamp_local(text[: m.end("frac")] if m["frac"] else text[:19]))
        rec = _record(line_no, text, m, local)
        pos = end + 1
        while pos < len(data) and not _is_header_at(data, pos):
            nxt = data.find(b"\n", pos)
            nxt = len(data) if nxt < 0 else nxt
            if not rec.full:
                rec.add(_text(data, pos, nxt))
            pos = nxt + 1
        return rec, pos


def _text(data: bytes, lo: int, hi: int) -> str:
    raw = data[lo:hi]
    return (raw[:-1] if raw.endswith(b"\r") else raw).decode("ascii")


def _line_start(data: bytes, pos: int) -> int:
    return data.rfind(b"\n", 0, max(pos, 0)) + 1


def _is_header_at(data: bytes, pos: int) -> bool:
    """Does a header line start at `pos` (a line start)?"""
    if pos == 0:
        return _HEADER_BYTES.match(b"\n" + data[:64]) is not None
    return _HEADER_BYTES.match(data, pos - 1) is not None


def _record_start(data: bytes, hit: int, floor: int) -> int:
    """The header line of the record holding the byte at `hit` (or `floor` when none after it)."""
    pos = _line_start(data, hit + 1)
    while pos > floor and not _is_header_at(data, pos):
        pos = _line_start(data, pos - 1)
    return max(pos, floor) if pos >= floor else pos


# The usual shapes of the three activity lines (several per BOSH poll), read in bulk by one
# regex walk of the block (`_POLL_LINE`, from each line start): Finesse's `YYYY.MM.DD HH:MM:SS `
# with no level or logger, then the message, which must start with the literal. Each gives
# exactly what `_activity` gives on that record; `_fast_polls` proves every activity literal
# was read so (as many lines of each shape as the block holds of its literal: each line holds
# its own once, so no occurrence was left out or read in another shape).
_NEXT_HEADER = rb"(?=\r?\n(?:" + _STAMP_SHAPE + _AFTER_STAMP + rb"|\Z))"
_POLL_LINE = re.compile(
    # a cheap first test of each line: the first letter of its message; then its time
    rb"\n[^\n]{20}(?=[SHc])(?<=\n(\d{4}\.\d\d\.\d\d[ T]\d\d:\d\d:\d\d) )(?:"
    # 2-5: the activity check ('last active')
    rb"Session(?: \(id=([\w-]+)\)| ([0-9a-fA-F][\w-]*))? was last active (\d+) ms ago:?[ \t]*"
    rb"(\S+@\S+?)(?=\s|\Z)"
    # 6-7: a one-line request ('HTTP RECV'), its rid
    rb"|(?:HTTPBindLog: )?HTTP RECVD?\(([\w-]+)\)(?:[^\n]*?\brid=[\"']?(\d+))?[^\n]*"
    + _NEXT_HEADER
    # 8-9: a poll's response ('consumeResponse'), to its first address: on the first line
    + rb"|consumeResponse[^a\n]*(?:a(?!ddress:)[^a\n]*)*address:[ \t]*(\S+@\S+)[ \t]+id:[ \t]*([\w-]+)"
    # 10: a one-line response naming no address: no event (as `_activity` finds)
    rb"|consumeResponse(?![^\n]*address:)()[^\n]*" + _NEXT_HEADER + rb")"
)


class _Jids(dict[bytes, tuple[str, str | None]]):
    """JID bytes -> (JID, agent), each worked out once (a few hundred, on thousands of lines)."""

    def __missing__(self, raw: bytes) -> tuple[str, str | None]:
        jid = raw.decode()
        known = self[raw] = (jid, agent_from_jid(jid))
        return known


class _Texts(dict[bytes, str]):
    """bytes -> str, each decoded once (a few hundred sessions and JIDs, on thousands of lines)."""

    def __missing__(self, raw: bytes) -> str:
        text = self[raw] = raw.decode()
        return text


def _fast_polls(
    data: bytes,
    lo: int,
    hi: int,
    texts: _Texts,
    jids: _Jids,
    first: int,
    ends: LineEnds,
    stamps: dict[bytes, tuple[str, datetime]],
    nl_data: bytes | None = None,
) -> list[ActivityItem] | None:
    """The activity lines between offsets lo and hi (record starts) of a clean chunk whose
    first line is `first` and whose line ends are `ends`, in file order, with the header times
    of `stamps`. None when any activity literal there is not in one of the usual shapes (or a
    record holding it may read differently): the caller then takes each record as `_events`
    would. (`nl_data` is b"\n" + data, when the caller has it.)"""
    nl = b"\n" + data if nl_data is None else nl_data  # a match starts at the line end before
    matches = list(_POLL_LINE.finditer(nl, lo, hi + 1))  # (offsets in nl are offsets in data + 1)
    shapes = [0, 0, 0]
    out: list[ActivityItem] = []
    add = out.append
    active, request, bound = Kind.SESSION_ACTIVITY, Kind.BOSH_REQUEST, Kind.SESSION_BOUND
    lines = ends.numbers([m.start() for m in matches], first)  # a match at nl[s] is the line at data[s]
    for m, line in zip(matches, lines, strict=True):
        stamp, sid1, sid2, ms, jid, rsid, rid, cjid, csid, _ = m.groups()
        text, local = stamps[stamp]
        if ms is not None:
            shapes[0] += 1
            sid = sid1 or sid2
            name, agent = jids[jid]
            add((line, text, local, active, agent, texts[sid] if sid else None, int(ms), None, name))
        elif rsid is not None:
            shapes[1] += 1
            agent = None
            if nl.find(b"@", m.end(1), m.end()) >= 0:  # a request carrying a stanza: as _activity finds
                msg = nl[m.end(1) + 1 : m.end()]
                agent = find_agent((msg[:-1] if msg.endswith(b"\r") else msg).decode())
            add((line, text, local, request, agent, texts[rsid], None, rid.decode() if rid else None, None))
        else:
            shapes[2] += 1
            if cjid is not None:
                name, agent = jids[cjid]
                add((line, text, local, bound, agent, texts[csid], None, None, name))
    if any(data.count(literal, lo, hi) != n for literal, n in zip(_ACTIVITY_BYTES, shapes, strict=True)):
        return None
    return out


class LineEnds:
    """Where the lines of a block end: line numbers for offsets, vectorised (a count or a
    bisect per activity line cost more than the regex walk)."""

    def __init__(self, data: bytes) -> None:
        import numpy as np

        self._np = np
        self._ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)

    def number(self, offset: int, first: int) -> int:
        """The number of the line holding data[offset], the block's first line being `first`."""
        return first + int(self._ends.searchsorted(offset))

    def numbers(self, offsets: list[int], first: int) -> list[int]:
        """`number` of each offset."""
        found: list[int] = (
            self._ends.searchsorted(self._np.asarray(offsets, dtype=self._np.int64)) + first
        ).tolist()
        return found


def _line_of(item: ActivityItem) -> int:
    return item[0]


def _activity_hits(data: bytes) -> Iterator[int]:
    for literal in _ACTIVITY_BYTES:
        pos = data.find(literal)
        while pos >= 0:
            yield pos
            pos = data.find(literal, pos + len(literal))


def _rare_finder() -> Callable[[bytes], list[int]]:
    """Offsets of the rare trigger literals (and the signatures' literals, and "terminate",
    which turns a BOSH request into a session's end) in a chunk: one pass
    of RE2 (a DFA: one scan whatever the number of literals) when installed, else one C
    search per literal."""
    literals = sorted(
        {*TRIGGERS[3:], "terminate", *(lit for sig in signatures.for_family(NAME) for lit in sig.literals)}
    )
    encoded = [lit.encode() for lit in literals]
    try:
        import re2
    except ImportError:  # pragma: no cover - RE2 ships wheels for the usual platforms

        def each(data: bytes) -> list[int]:
            out = []
            for lit in encoded:
                pos = data.find(lit)
                while pos >= 0:
                    out.append(pos)
                    pos = data.find(lit, pos + 1)
            return out

        return each
    pattern = re2.compile(b"|".join(re.escape(lit) for lit in encoded))
    return lambda data: [m.start() for m in pattern.finditer(data)]


def _record(no: int, text: str, m: re.Match[str], local: datetime) -> _Record:
    stamp = text[: m.end("frac")] if m["frac"] else text[:19]
    return _Record(no, local, stamp, text[m.end() :], m["level"])


class _Record(Record):
    __slots__ = ("level", "local")

    def __init__(self, line: int, local: datetime, time_text: str, msg: str, level: str | None):
        super().__init__(line, time_text, msg)
        self.local = local
        self.level = level


def _ev(rec: _Record, ctx: FileContext, kind: Kind, agent: str | None, attrs: Mapping[str, object]) -> Event:
    return _event(ctx, rec.line, rec.time_text, rec.local, kind, agent, attrs)


def _event(
    ctx: FileContext,
    line: int,
    time_text: str,
    local: datetime,
    kind: Kind,
    agent: str | None,
    attrs: Mapping[str, object],
) -> Event:
    return Event(None, time_text, ctx.display, line, NAME, kind, agent, ctx.node, local, present(attrs))


def _sid(msg: str) -> str | None:
    m = _SID_PAREN.search(msg) or _SID_WORD.search(msg)
    return m["sid"] if m else None


def _activity(msg: str, flat: str) -> tuple[Kind, str | None, dict[str, AttrValue | None]] | None:
    """A BOSH poll, an activity check or a poll's response (several lines per poll): kind,
    agent and attributes, or None when the line does not parse."""
    if "last active" in msg:
        m = _ACTIVE.search(flat)
        if m is None:
            return None
        return (Kind.SESSION_ACTIVITY, agent_from_jid(m["jid"]),
                {"sid": m["sid1"] or m["sid2"], "ms_ago": int(m["ms"]), "jid": m["jid"]})  # fmt: skip
    if "HTTP RECV" in msg:
        m = _RECV.search(msg)
        if m is None:
            return None
        rid = _RID.search(msg)
        kind = Kind.SESSION_TERMINATED if _TERMINATE.search(msg) else Kind.BOSH_REQUEST
        return (kind, find_agent(flat) if "@" in msg else None,
                {"sid": m["sid"], "rid": rid["rid"] if rid else None})  # fmt: skip
    m = _CONSUME.search(flat)
    if m is None:
        return None
    return Kind.SESSION_BOUND, agent_from_jid(m["jid"]), {"sid": m["sid"], "jid": m["jid"]}


def _events(rec: _Record, ctx: FileContext) -> Iterator[Event]:
    msg = rec.text
    for sig in signatures.match(NAME, msg):
        yield _ev(rec, ctx, Kind.KNOWN_DEFECT, find_agent(msg), sig.event_attrs())
    if msg.startswith("time=") and "msgs_sent" in msg:  # per-session counters, every 30 s: nothing to keep
        return
    flat = msg.replace("\n", " ") if "\n" in msg else msg
    if "last active" in msg or "HTTP RECV" in msg or "consumeResponse" in msg:
        found = _activity(msg, flat)
        if found is not None:
            yield _ev(rec, ctx, *found)
        return
    if "Closing idle session" in msg:
        m = _JID_AFTER_COLON.search(flat)
        jid = m["jid"] if m else None
        ip = _FROM_IP.search(flat)
        yield _ev(rec, ctx, Kind.IDLE_CLOSE, agent_from_jid(jid) if jid else find_agent(flat),
                  {"sid": _sid(flat), "jid": jid, "client_ip": ip["ip"] if ip else None})  # fmt: skip
        return
    if "session is closed for" in msg:
        m = _CLOSED_FOR.search(flat)
        jid = m["jid"] if m else None
        yield _ev(rec, ctx, Kind.SESSION_CLOSED, agent_from_jid(jid) if jid else None, {"jid": jid})
        return
    if "Unable to route packet" in msg:
        m = _TO_ATTR.search(flat)
        yield _ev(rec, ctx, Kind.STORE_OFFLINE, agent_from_jid(m["jid"]) if m else None,
                  {"to": m["jid"] if m else None})  # fmt: skip
        return
    if "HTTP bind service" in msg or "Openfire" in msg or "shutdown" in msg or "halted" in msg:
        life = _lifecycle(msg)
        if life is not None:
            yield _ev(rec, ctx, life, None, {"detail": msg.split("\n", 1)[0][:200]})


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
