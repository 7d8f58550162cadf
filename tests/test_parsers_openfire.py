from __future__ import annotations

from datetime import datetime

import pytest

from finesse_logscan.event import Kind
from finesse_logscan.parsers import openfire

from .conftest import run_parser

TECHNOTE_DEBUG = """\
2017.06.17 00:14:34 Session (id=f382a015) was last active 0 ms ago: 1001003@fin1.example.com/desktop
2017.06.17 00:15:04 Session (id=f382a015) was last active 13230 ms ago: 1001003@fin1.example.com/desktop
2017.06.17 00:16:04 Session (id=f382a015) was last active 63231 ms ago: 1001003@fin1.example.com/desktop
2017.06.17 00:17:04 Unable to route packet. No session is available so store offline. <message from="pubsub.fin1.example.com" to="1001003@fin1.example.com/desktop" id="x"/>
"""

TECHNOTE_INFO = """\
2017.06.17 00:16:04 Closing idle session (id=f382a015): 1001003@xxxxxx.xxxx.xxx. cisco.com/desktop
after inactivity for more than threshold value of 60
2017.06.17 00:16:04 A session is closed for 1001003@xxxxxx.xxxx.xxx. cisco.com/desktop
"""


def test_sniff_accepts_every_layout() -> None:
    assert openfire.sniff(["2017.06.17 00:16:04 Openfire stopped"])
    assert openfire.sniff(["2017.06.17 00:16:04 org.jivesoftware.openfire.XMPPServer - Openfire stopped"])
    assert openfire.sniff(["2020.01.05 10:11:12 INFO  [thread-1]: org.jivesoftware.openfire.XMPPServer - x"])
    assert openfire.sniff(["2024.01.05 10:11:12.345 \x1b[32mINFO \x1b[m [main]: org.jivesoftware.Foo - x"])


@pytest.mark.parametrize(
    "head",
    [
        ["0000001043: 10.1.1.1: Jun 17 2017 00:16:04.630 +0530: %CCBU_main-6-X: y"],
        ["2017-06-17 00:16:04 not openfire"],
        ["just text", ""],
        [],
    ],
)
def test_sniff_rejects_other_layouts(head: list[str]) -> None:
    assert not openfire.sniff(head)


def test_technote_debug_lines() -> None:
    events, ctx = run_parser(openfire, TECHNOTE_DEBUG)
    assert [e.kind for e in events] == [Kind.SESSION_ACTIVITY] * 3 + [Kind.STORE_OFFLINE]
    first = events[0]
    assert first.agent == "1001003"
    assert first.attrs["sid"] == "f382a015"
    assert first.attrs["ms_ago"] == 0
    assert first.local_time == datetime(2017, 6, 17, 0, 14, 34)
    assert first.time is None  # placed later, from the node's offset
    assert first.time_text == "2017.06.17 00:14:34"
    assert events[2].attrs["ms_ago"] == 63231
    assert events[3].agent == "1001003"
    assert (ctx.parsed, ctx.unparsed) == (4, 0)


def test_technote_info_idle_close_with_continuation_line() -> None:
    events, ctx = run_parser(openfire, TECHNOTE_INFO)
    assert [e.kind for e in events] == [Kind.IDLE_CLOSE, Kind.SESSION_CLOSED]
    close = events[0]
    assert close.agent == "1001003"
    assert close.attrs["sid"] == "f382a015"
    assert close.line == 1
    assert events[1].line == 3
    assert events[1].agent == "1001003"
    assert (ctx.parsed, ctx.unparsed) == (3, 0)


@pytest.mark.parametrize(
    ("line", "sid", "ms"),
    [
        # upstream 3.7-4.2 with logger name, no sid
        (
            "2017.06.17 00:15:04 org.jivesoftware.openfire.http.HttpSessionManager - Session was last active 13230 ms ago: 1001003@fin1.example.com/desktop",
            None,
            13230,
        ),
        # upstream 4.4+: sid, IP and rid
        (
            "2020.01.05 10:11:12 DEBUG [TaskEngine-pool-3]: org.jivesoftware.openfire.http.HttpSessionManager - Session 3445afbe was last active 63231 ms ago: 1001003@fin1.example.com/desktop from IP 10.1.2.3  currently on rid 164053266",
            "3445afbe",
            63231,
        ),
        # 4.8+ with milliseconds and ANSI colour
        (
            "2024.01.05 10:11:12.345 \x1b[36mDEBUG\x1b[m [pool-1]: org.jivesoftware.openfire.http.HttpSessionManager - Session 3445afbe was last active 5 ms ago: agent7@fin1.example.com/desktop from IP 10.1.2.3  currently on rid 1",
            "3445afbe",
            5,
        ),
    ],
)
def test_activity_variants(line: str, sid: str | None, ms: int) -> None:
    events, _ = run_parser(openfire, line)
    assert len(events) == 1
    ev = events[0]
    assert ev.kind == Kind.SESSION_ACTIVITY
    assert ev.attrs.get("sid") == sid
    assert ev.attrs["ms_ago"] == ms
    assert ev.agent in ("1001003", "agent7")


@pytest.mark.parametrize(
    ("line", "sid"),
    [
        (
            "2017.06.17 00:16:04 org.jivesoftware.openfire.http.HttpSessionManager - Closing idle session: 1001003@fin1.example.com/desktop",
            None,
        ),
        (
            "2020.01.05 10:11:12 INFO  [TaskEngine]: org.jivesoftware.openfire.http.HttpSessionManager - Closing idle session 3445afbe: 1001003@fin1.example.com/desktop from IP 10.1.2.3",
            "3445afbe",
        ),
    ],
)
def test_idle_close_variants(line: str, sid: str | None) -> None:
    events, _ = run_parser(openfire, line)
    assert [e.kind for e in events] == [Kind.IDLE_CLOSE]
    assert events[0].agent == "1001003"
    assert events[0].attrs.get("sid") == sid


def test_bosh_request_and_presence_block_continuations() -> None:
    text = """\
2017.04.14 21:34:21 REQUEST /http-bind/ on org.eclipse.jetty.server.nio.SelectChannelConnector$SelectChannelHttpConnection@2d5a26@10.0.0.1:7443<->10.0.0.2:49805
2017.04.14 21:34:21 HTTPBindLog: HTTP RECVD(3445afbe): <body sid="3445afbe" rid="164053266"/>
2017.04.14 21:34:21 consumeResponse: org.jivesoftware.openfire.http.HttpSession@d7653 status: 3 address: 1001003@fin1.example.com/desktop id: 3445afbe presence:
<presence from="1001003@fin1.example.com/desktop">
< xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="http://jabber.cisco.com/caxl" ver="VNC6fNwvCxe6FJfDJlryVJRwM=" />
</presence> rid: 164053266
2017.04.14 21:34:26 HTTPBindLog: HTTP RECVD(3445afbe): <body sid="3445afbe" rid="164053267" type="terminate"/>
"""
    events, ctx = run_parser(openfire, text)
    assert [e.kind for e in events] == [Kind.BOSH_REQUEST, Kind.SESSION_BOUND, Kind.SESSION_TERMINATED]
    assert events[0].attrs["sid"] == "3445afbe" and events[0].attrs["rid"] == "164053266"
    assert events[1].agent == "1001003"
    assert (ctx.parsed, ctx.unparsed) == (7, 0)


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("2017.06.17 01:00:00 Openfire stopped", Kind.OPENFIRE_STOPPED),
        ("2017.06.17 01:00:00 org.jivesoftware.openfire.XMPPServer - Server halted", Kind.OPENFIRE_STOPPED),
        ("2017.06.17 01:00:00 Initiating shutdown ...", Kind.OPENFIRE_STOPPING),
        ("2017.06.17 01:00:00 Openfire 3.9.3 [Jun 17, 2017 1:00:00 AM]", Kind.OPENFIRE_STARTED),
        ("2017.06.17 01:00:00 HTTP bind service started", Kind.HTTPBIND_STARTED),
        ("2017.06.17 01:00:00 HTTP bind service stopped", Kind.HTTPBIND_STOPPED),
    ],
)
def test_lifecycle(line: str, kind: Kind) -> None:
    events, _ = run_parser(openfire, line)
    assert [e.kind for e in events] == [kind]


def test_lines_before_first_header_and_bad_dates_are_unparsed() -> None:
    text = "garbage before\n2017.13.45 99:99:99 bad date\n2017.06.17 00:00:00 ok line\ncontinuation\n"
    events, ctx = run_parser(openfire, text)
    assert events == []
    assert (ctx.parsed, ctx.unparsed) == (2, 2)
