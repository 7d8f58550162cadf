"""The block path of the openfire parser gives exactly what the line-by-line path gives: the
same events, counts, warnings and first/last times, wherever the blocks are cut."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finesse_logscan.event import Event
from finesse_logscan.eventstore import ActivityBatch, ActivityItem
from finesse_logscan.parsers import openfire
from finesse_logscan.parsing import FileContext
from finesse_logscan.textlines import Damage, iter_chunks

from .conftest import SAMPLES


def _both(data: bytes, size: int) -> None:
    def ctx() -> FileContext:
        return FileContext("f", "openfire/debug.log", "openfire", "n")

    a, b = ctx(), ctx()
    line_events = list(openfire.parse((ln for c in iter_chunks(io.BytesIO(data), Damage(), size=size)
                                       for ln in c.iter_lines()), a))  # fmt: skip
    bulk_events = _expanded(openfire.parse_chunks(iter_chunks(io.BytesIO(data), Damage(), size=size), b))
    assert bulk_events == line_events
    assert (b.parsed, b.unparsed, b.first, b.last, b.warnings) == (
        a.parsed,
        a.unparsed,
        a.first,
        a.last,
        a.warnings,
    )


def _expanded(out: Iterable[Event | ActivityBatch]) -> list[Event]:
    """The Events of the bulk path, batches of activity lines opened in place."""
    return [e for item in out for e in (item.events() if isinstance(item, ActivityBatch) else [item])]


def _sample_openfire_files() -> list[bytes]:
    out = [p.read_bytes() for p in SAMPLES.rglob("*.log") if "openfire" in p.parts]
    with zipfile.ZipFile(SAMPLES / "notification-service-crash.zip") as zf:
        out += [zf.read(n) for n in zf.namelist() if "/openfire/" in n and n.endswith(".log")]
    return out


@pytest.mark.parametrize("size", [256, 4096, 1 << 22])
def test_sample_openfire_logs(size: int) -> None:
    files = _sample_openfire_files()
    assert len(files) >= 4
    for data in files:
        _both(data, size)


LINES = [
    "2017.06.17 00:14:34 Session (id=f382a015) was last active 0 ms ago: 1001003@fin1.example.com/desktop",
    '2017.06.17 00:14:34 HTTPBindLog: HTTP RECVD(f382a015): <body sid="f382a015" rid="12"/>',
    "2017.06.17 00:14:34 consumeResponse: x status: 3 address: 1001003@fin1.example.com/desktop id: f382a015 presence:",
    '<presence from="1001003@fin1.example.com/desktop">',
    "</presence> rid: 12",
    "2017.06.17 00:14:35 session=null",
    "2017.06.17 00:14:35 chain=null",
    "2017.06.17 00:14:35 time=1492185866851, JID=1001003@fin1.example.com/desktop, msgs_sent=4",
    "2017.06.17 00:16:04 Closing idle session (id=f382a015): 1001003@fin1.example.com/desktop",
    "after inactivity for more than threshold value of 60",
    "2017.06.17 00:16:04 A session is closed for 1001003@fin1.example.com/desktop",
    '2017.06.17 00:16:05 Unable to route packet. No session is available so store offline. <message to="1001003@f.com/desktop"/>',
    "2017.06.17 00:16:06 Openfire stopped",
    "2017.06.17 00:16:06.250 INFO  [main]: org.jivesoftware.openfire.XMPPServer - HTTP bind service started",
    "2017.06.17 00:16:07 java.lang.OutOfMemoryError: Java heap space",
    "\tat org.jivesoftware.openfire.http.HttpSession.deliver(HttpSession.java:1047)",
    "2017.06.17 00:16:03 time goes back: Session (id=aa) was last active 5 ms ago: 7@f.com/desktop",
    "2017.13.45 00:16:08 impossible date",
    "2017.06.17 00:16:09",
    "2017.06.17 00:16:09\r",
    "2017.06.17 00:16:09 crlf line HTTP RECVD(bb): x\r",
    "\x1b[32m2017.06.17 00:16:10 coloured Session (id=cc) was last active 0 ms ago: 8@f.com/desktop",
    "just text before or between records",
    "",
    "2017.06.17 00:16:11,5 comma fraction HTTP RECV(dd): <body/>",
    # near the usual poll shapes that _fast_polls reads in bulk
    """2017.06.17 00:16:12 HTTPBindLog: HTTP RECVD(ee): <body rid='7' sid="ee" xmlns="urn:x"/>""",
    '2017.06.17 00:16:12 HTTP RECV(ff): <body sid="ff"/>',
    '2017.06.17 00:16:12 HTTPBindLog: HTTP RECVD(gg): <body sid="gg" rid="8"><presence to="9@f.com"/></body>',
    '2017.06.17 00:16:12 HTTPBindLog: HTTP RECVD(hh): <body sid="hh" rid="9" type="terminate"/>',
    "2017.06.17 00:16:13 Session was last active 12 ms ago: 1001003@fin1.example.com/desktop",
    "2017.06.17 00:16:13 Session 3445afbe was last active 5 ms ago: 1001003@fin1.example.com/desktop from IP 10.1.2.3",
    "2017.06.17 00:16:13 Session (id=ii) was last active 0 ms ago:a@b@c/desktop",
    "2017.06.17 00:16:13 Session (id=jj) was last active 0 ms ago:",
    "1001004@fin1.example.com/desktop",
    "2017.06.17 00:16:14 consumeResponse: y address: a@b id: kk address: c@d id: ll presence:",
    "2017.06.17 00:16:14 consumeResponse: y address:\t a@b@c/x\tid: mm last active HTTP RECV(zz)",
    "2017.06.17 00:16:14 consumeResponse: y address:",
    'HTTPBindLog: HTTP RECVD(nn): <body sid="nn" rid="3"/>',
    "  consumeResponse address: q@r id: ss",
    "2017.06.17 00:16:15 Session (id=oo) was last active 3 ms ago: 1@f.com/desktop\r",
    "2017.06.17 00:16:15  Session (id=pp) was last active 3 ms ago: 1@f.com/desktop",
    "2017.06.17T00:16:15 HTTPBindLog: HTTP RECVD(qq): <body sid='qq' rid='4'/>\r",
    "2017.06.17 00:16:16.250 Session (id=rr) was last active 1 ms ago: 1@f.com/desktop",
    "2017.06.17 00:16:16 DEBUG [pool-1]: consumeResponse: x address: 1@f.com/desktop id: tt presence:",
    "2017.06.17 00:16:16 Sessions (id=uu) was last active 1 ms ago: 1@f.com/desktop",
    "2017.06.17 00:16:16 chain=null consumeResponse address: 2@f.com id: vv",
]


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(st.sampled_from(LINES), max_size=40),
    size=st.sampled_from([1, 32, 200, 4096]),
    last_newline=st.booleans(),
)
def test_block_path_equals_line_path(rows: list[str], size: int, last_newline: bool) -> None:
    data = "\n".join(rows).encode() + (b"\n" if last_newline and rows else b"")
    _both(data, size)


USUAL = [
    LINES[0],
    LINES[1],
    LINES[2],
    LINES[3],
    LINES[5],
    LINES[7],
    "2017.06.17 00:14:34 Session (id=f382a016) was last active 20 ms ago: 1001004@fin1.example.com/desktop",
    '2017.06.17 00:14:34 HTTPBindLog: HTTP RECVD(f382a016): <body rid="13" sid="f382a016"/>',
    "2017.06.17 00:14:34 HTTP RECVD(f382a016): <body/>",
    "2017.06.17 00:14:34 consumeResponse: x address: 1001004@fin1.example.com/desktop id: f382a016 presence:\r",
    "2017.06.17 00:14:34 consumeResponse: x status: 2 no session",
    # a request carrying a stanza names the agent
    "2017.06.17 00:14:34 HTTPBindLog: HTTP RECVD(f382a016): <body rid='14' sid='f382a016'><presence"
    " from='1001004@fin1.example.com/desktop' type='unavailable'/></body>",
    "2017.06.17 00:14:34 HTTP RECVD(f382a017): <body sid='f382a017'><iq to='x@y.com'/></body> rid=15\r",
    # a literal twice on one line, and the same second with and without a fraction
    "2017.06.17 00:14:34 Session (id=f382a016) was last active 2 ms ago: 1001004@fin1.example.com/desktop last active",
    "2017.06.17 00:14:34 HTTP RECVD(f382a017): <body sid='f382a017'/> HTTP RECV",
    "2017.06.17 00:14:34 consumeResponse: x address: 1@f.com/desktop id: f3 consumeResponse",
    "2017.06.17 00:14:34.500 session=null",
]


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(st.sampled_from(USUAL * 10 + LINES), max_size=60),
    size=st.sampled_from([200, 1000, 4096]),
)
def test_block_path_equals_line_path_on_usual_polls(rows: list[str], size: int) -> None:
    """Mostly the usual poll lines (read by _fast_polls), now and then an unusual one."""
    _both(("\n".join(rows) + "\n").encode(), size)


def test_a_quiet_record_between_polls_is_not_decoded(tmp_path: Path) -> None:
    """Jetty noise gives no event and costs no decoding: only trigger records are read."""
    noise = "".join(
        f"2017.06.17 00:14:{i % 60:02d} scope null||/http-bind/ @ o.e.j.s.Handler\n" for i in range(5000)
    )
    data = (noise + LINES[0] + "\n" + noise).encode()
    ctx = FileContext("f", "openfire/debug.log", "openfire", "n")
    events = _expanded(openfire.parse_chunks(iter_chunks(io.BytesIO(data), Damage()), ctx))
    assert [(e.kind, e.line) for e in events] == [("session-activity", 5001)]
    assert (ctx.parsed, ctx.unparsed) == (10001, 0)


def test_the_usual_poll_lines_are_read_in_bulk() -> None:
    """A debug log of the usual shape never falls back to decoding each poll's record."""
    poll = [
        "2017.06.17 00:14:34 REQUEST /http-bind/ on o.e.j.SelectChannelConnector@1@10.1.1.1:7443<->10.2.2.2:5",
        '2017.06.17 00:14:34 HTTPBindLog: HTTP RECVD(f382a015): <body sid="f382a015" rid="12"/>',
        "2017.06.17 00:14:34 consumeResponse: x status: 3 address: 1001003@fin1.example.com/desktop id: f382a015 presence:",
        '<presence from="1001003@fin1.example.com/desktop">',
        "</presence> rid: 12",
        "2017.06.17 00:14:35 Session (id=f382a015) was last active 0 ms ago: 1001003@fin1.example.com/desktop",
    ]
    stanza = ("2017.06.17 00:14:35 HTTPBindLog: HTTP RECVD(f382a015): <body rid='13' sid='f382a015'>"
              "<presence from='1001003@fin1.example.com/desktop' type='unavailable'/></body>")  # fmt: skip
    bare = "2017.06.17 00:14:35 consumeResponse: x status: 2 no session"  # no address: no event
    data = ("\n".join(poll * 50 + [stanza, bare] + poll) + "\n").encode()
    last = data.rindex(b"\n2017") + 1
    when = datetime(2017, 6, 17, 0, 14, 34)
    stamps = {b"2017.06.17 00:14:34": ("2017.06.17 00:14:34", when),
              b"2017.06.17 00:14:35": ("2017.06.17 00:14:35", when.replace(second=35))}  # fmt: skip

    def fast(data: bytes, hi: int) -> list[ActivityItem] | None:
        ends = openfire.LineEnds(data)
        return openfire._fast_polls(data, 0, hi, openfire._Texts(), openfire._Jids(), 1, ends, stamps)

    polls = fast(data, last)
    assert polls is not None  # a request carrying a presence stanza keeps the chunk in bulk
    assert len(polls) == 3 * 51 + 1 - 1  # all but the last record, left open for the next chunk
    assert [p[0] for p in polls] == sorted(p[0] for p in polls)  # in file order
    lines = data.decode().splitlines()
    assert all(lines[p[0] - 1].startswith(p[1]) for p in polls)  # each numbers its own line
    assert ("bosh-request", "1001003") in {(p[3], p[4]) for p in polls}
    kinds = sorted({p[3] for p in polls})
    assert kinds == ["bosh-request", "session-activity", "session-bound"]
    # one unusual activity line and the chunk is read record by record instead
    odd = data[:last].replace(b"was last active 0 ms ago: ", b"was last active 0 ms ago:\n", 1)
    assert fast(odd, len(odd)) is None
