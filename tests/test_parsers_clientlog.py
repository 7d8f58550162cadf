from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from finesse_logscan.event import Kind
from finesse_logscan.parsers import clientlog

from .conftest import run_parser

UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
V11 = f"""\
{UA}
2019-03-04T08:15:00.100 -05:00: : fin1.example.com: --- -- ---- --:--:--.--- -----: Container : FailoverMonitor.init(): Establishing BOSH connection...
2019-03-04T08:15:02.114 -05:00: : fin1.example.com: Mar 04 2019 07:15:02.598 -0600: Container : Client: 2019-03-04T13:15:02.110Z, Server: 2019-03-04T13:15:02.591Z, Drift: 481ms, Network Latency (round trip): 22ms
2019-03-04T08:16:02.114 -05:00: : fin1.example.com: Mar 04 2019 07:16:02.598 -0600: Container : Connection status: disconnected
2019-03-04T08:16:05.000 -05:00: : fin1.example.com: Mar 04 2019 07:16:05.000 -0600: Container : Lost connection to fin1.example.com. Please wait...
"""
TECHNOTE = "2019-01-11T12:24:14.586 -05:00 : fin1.ucce.local: Jan 11 2019 11:24:14.577 -0600: Header : Client: 2019-01-11T17:24:14.586Z, Server: 2019-01-11T17:24:14.577Z, Drift: -9 ms, Network Latency (round trip): 30 ms\n"


def test_sniff() -> None:
    assert clientlog.sniff(V11.splitlines())
    assert clientlog.sniff(TECHNOTE.splitlines())
    assert not clientlog.sniff([UA, "hello"])
    assert not clientlog.sniff(["2017.06.17 00:16:04 Openfire stopped"])


def test_finesse_11_layout() -> None:
    events, ctx = run_parser(
        clientlog, V11, path="desktop/logs/clientlogs/agent1001003_2019-03-04T13-15-00.txt"
    )
    assert [e.kind for e in events] == [
        Kind.CLIENT_USER_AGENT,
        Kind.CLIENT_CONNECTION,
        Kind.CLIENT_DRIFT,
        Kind.CLIENT_CONNECTION,
        Kind.CLIENT_CONNECTION,
    ]
    assert all(e.agent == "1001003" for e in events)
    drift = events[2]
    assert drift.attrs["drift_ms"] == 481 and drift.attrs["rtt_ms"] == 22
    assert drift.time == datetime(2019, 3, 4, 13, 15, 2, 114000, tzinfo=UTC)
    assert drift.time_text == "2019-03-04T08:15:02.114 -05:00"
    assert [e.attrs["status"] for e in events if e.kind == Kind.CLIENT_CONNECTION] == [
        "connecting",
        "disconnected",
        "lost",
    ]
    assert (ctx.parsed, ctx.unparsed) == (5, 0)


def test_technote_header_variant_with_negative_drift() -> None:
    events, _ = run_parser(clientlog, TECHNOTE, path="clientlogs/1001003/ClientLog.txt")
    assert len(events) == 1 and events[0].kind == Kind.CLIENT_DRIFT
    assert events[0].attrs["drift_ms"] == -9 and events[0].attrs["rtt_ms"] == 30
    assert events[0].agent == "1001003"


def test_agent_from_content_when_file_name_has_none() -> None:
    text = (
        V11
        + "2019-03-04T08:17:00.000 -05:00: : fin1.example.com: Mar 04 2019 07:17:00.000 -0600: Container : GET /finesse/api/User/1001009/Dialogs\n"
    )
    events, _ = run_parser(
        clientlog,
        text.replace(UA + "\n", UA + "\n" + text.splitlines()[-1] + "\n"),
        path="clientlogs/ClientLog.txt",
    )
    assert events and all(e.agent == "1001009" for e in events)


@pytest.mark.parametrize(
    ("path", "agent"),
    [
        ("clientlogs/agent1001003_2019-03-04T13-15-00.txt", "1001003"),
        ("clientlogs/1001003/ClientLog_2019-03-04T13-15-00.123Z.txt", "1001003"),
        ("clientlogs/Desktop-ClientLog-1001003-20190304131500.log", "1001003"),
        ("clientlogs/ClientLog_2019-03-04T13-15-00.txt", None),
    ],
)
def test_agent_from_path(path: str, agent: str | None) -> None:
    assert clientlog.agent_from_path(path) == agent


def test_old_gadget_lines_are_parsed_without_events() -> None:
    text = "12:01:02: finesse.gadget.TeamPerformance : loaded\n12:01:03: finesse.gadget.Queue : Connection status: connected\n"
    events, ctx = run_parser(clientlog, text, path="clientlogs/agent1001003.txt")
    assert events == [] and ctx.parsed == 2
    assert any("time of day" in w for w in ctx.warnings)


def test_garbage_is_unparsed() -> None:
    events, ctx = run_parser(clientlog, "\x00\x01binary\nnot a record\n", path="clientlogs/agent1.txt")
    assert events == [] and ctx.unparsed == 2


@pytest.mark.parametrize(
    ("ua", "label"),
    [
        (UA, "Chrome 120"),
        ("Mozilla/5.0 (Windows NT 6.1; WOW64; rv:64.0) Gecko/20100101 Firefox/64.0", "Firefox 64"),
        (
            "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/120.0 Safari/537.36 Edg/120.0.2210",
            "Edge 120",
        ),
        (None, "-"),
    ],
)
def test_browser_label_for_the_compatibility_check(ua: str | None, label: str) -> None:
    from finesse_logscan.render.text import browser

    assert browser(ua) == label


def test_name_candidates_keep_word_login_ids() -> None:
    assert clientlog.name_candidates("clientlogs/jsmith-1001.txt") == ["jsmith", "1001", "jsmith-1001"]
    assert clientlog.name_candidates("clientlogs/john.smith_2019-03-04T13-15-00.txt") == [
        "john",
        "smith",
        "john.smith",
    ]
    assert clientlog.name_candidates("clientlogs/agent-1f2e3d_2019-03-04T13-15-00.txt") == [
        "1f2e3d",
        "agent-1f2e3d",
    ]
    assert clientlog.name_candidates("clientlogs/agent1001003_2019-03-04T13-15-00.txt") == ["1001003"]


def test_client_log_follows_the_agent_the_server_logs_know(tmp_path: Path) -> None:
    from finesse_logscan import scan

    from .builders import Node

    n = Node(tmp_path)
    n.full_drop("jsmith", "aa11", 0, 300)
    n.write()
    p = tmp_path / "fin1" / "desktop" / "logs" / "clientlogs" / "jsmith-1001.txt"
    p.parent.mkdir(parents=True)
    p.write_text(V11.replace("fin1.example.com", "fin1a"), encoding="utf-8")
    report = scan([str(tmp_path)])
    assert [c.agent for c in report.clients] == ["jsmith"]
    assert any("client log taken as agent jsmith" in w for w in report.warnings)
