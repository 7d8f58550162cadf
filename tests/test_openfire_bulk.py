"""The block path of the openfire parser gives exactly what the line-by-line path gives: the
same events, counts, warnings and first/last times, wherever the blocks are cut."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    bulk_events = list(openfire.parse_chunks(iter_chunks(io.BytesIO(data), Damage(), size=size), b))
    assert bulk_events == line_events
    assert (b.parsed, b.unparsed, b.first, b.last, b.warnings) == (
        a.parsed,
        a.unparsed,
        a.first,
        a.last,
        a.warnings,
    )


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


def test_a_quiet_record_between_polls_is_not_decoded(tmp_path: Path) -> None:
    """Jetty noise gives no event and costs no decoding: only trigger records are read."""
    noise = "".join(
        f"2017.06.17 00:14:{i % 60:02d} scope null||/http-bind/ @ o.e.j.s.Handler\n" for i in range(5000)
    )
    data = (noise + LINES[0] + "\n" + noise).encode()
    ctx = FileContext("f", "openfire/debug.log", "openfire", "n")
    events = list(openfire.parse_chunks(iter_chunks(io.BytesIO(data), Damage()), ctx))
    assert [(e.kind, e.line) for e in events] == [("session-activity", 5001)]
    assert (ctx.parsed, ctx.unparsed) == (10001, 0)
