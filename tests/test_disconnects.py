"""Disconnect chains rebuilt end to end from small bundles (scan() on written files)."""

from __future__ import annotations

from pathlib import Path

from finesse_logscan import ScanOptions, scan
from finesse_logscan.report import Disconnect

from .builders import Node, at


def only(ds: list[Disconnect], agent: str) -> Disconnect:
    found = [d for d in ds if d.agent == agent]
    assert len(found) == 1, found
    return found[0]


def test_full_chain_forced_logout(tmp_path: Path) -> None:
    n = Node(tmp_path)
    n.full_drop("1001003", "aa11", 0, 300)
    n.polls("1001004", "bb22", 0, 900, 900)  # an agent who stays
    report = scan([str(n.write())])
    d = only(report.disconnects, "1001003")
    assert d.outcome == "forced-logout"
    assert d.idle_close == at(365)
    assert d.time == d.idle_close
    assert d.last_activity == at(300)
    assert d.presence_unavailable == at(365.5)
    assert d.forced_logout == at(425.5)
    assert d.reason_code == 255 and d.resulting_state == "LOGOUT"
    assert d.session_id == "aa11" and d.node == "fin1"
    events = [e.event for e in d.evidence]
    assert events[:2] == ["last-activity", "idle-check"]
    assert {
        "idle-close",
        "session-closed",
        "presence-unavailable",
        "presence-driven-logout",
        "message-to-cti",
        "cti-agent-state",
    } <= set(events)
    assert all(e.line and e.file.endswith((".log",)) for e in d.evidence)
    assert "client-stopped-polling" in d.hints
    assert report.verdict == "client-side"


def test_normal_sign_out_is_not_a_disconnect(tmp_path: Path) -> None:
    n = Node(tmp_path)
    n.polls("1001005", "cc33", 0, 300, 300)
    n.sign_out_request("1001005", 300)
    n.cti("1001005", 300.3, (1, "LOGOUT"), 0)
    n.of("debug.log", at(301), 'HTTPBindLog: HTTP RECVD(cc33): <body sid="cc33" rid="9" type="terminate"/>')
    n.of("info.log", at(301), "A session is closed for 1001005@fin1.example.com/desktop")
    n.presence("1001005", 301.5)
    report = scan([str(n.write())])
    assert report.disconnects == []
    assert report.verdict == "no-disconnects"


def test_sign_out_then_stale_idle_close_is_still_not_a_disconnect(tmp_path: Path) -> None:
    n = Node(tmp_path)
    n.polls("1001005", "cc33", 0, 300, 360)
    n.sign_out_request("1001005", 300)
    n.idle_close("1001005", "cc33", 365)
    assert scan([str(n.write())]).disconnects == []


def test_browser_refresh_recovers_on_new_session(tmp_path: Path) -> None:
    n = Node(tmp_path)
    n.polls("1001007", "old1", 0, 300, 365)
    n.idle_close("1001007", "old1", 365)
    n.presence("1001007", 365.5)
    n.polls("1001007", "new2", 304, 900, 900)
    n.presence("1001007", 366, "available")
    d = only(scan([str(n.write())]).disconnects, "1001007")
    assert d.outcome == "recovered"
    assert d.forced_logout is None
    assert "back-on-new-session" in d.hints


def test_only_webservices_logs_still_give_a_disconnect(tmp_path: Path) -> None:
    n = Node(tmp_path)
    n.presence("1001003", 100)
    n.forced_logout("1001003", 160, (2, "NOT_READY"))
    d = only(scan([str(n.write())]).disconnects, "1001003")
    assert d.idle_close is None and d.last_activity is None
    assert d.presence_unavailable == at(100)
    assert d.time == at(100)  # earliest event of the chain when there is no idle close
    assert d.outcome == "forced-logout" and d.resulting_state == "NOT_READY"
    assert "client-stopped-polling" not in d.hints


def test_only_openfire_logs_give_unknown_outcome_and_assumed_utc(tmp_path: Path) -> None:
    n = Node(tmp_path)
    n.polls("1001003", "aa11", 0, 300, 365)
    n.idle_close("1001003", "aa11", 365)
    report = scan([str(n.write())])
    d = only(report.disconnects, "1001003")
    assert d.outcome == "unknown"
    # no web services lines: the local times were taken as UTC, and the report says so
    assert report.nodes[0].utc_offset_source == "assumed-utc"
    assert any("taken as UTC" in w for w in report.warnings)
    assert d.idle_close == at(365 - 6 * 3600)  # local CST wall time read as UTC


def test_server_tz_option_places_openfire_only_bundle(tmp_path: Path) -> None:
    n = Node(tmp_path)
    n.polls("1001003", "aa11", 0, 300, 365)
    n.idle_close("1001003", "aa11", 365)
    report = scan([str(n.write())], ScanOptions(server_tz="America/Chicago"))
    assert report.disconnects[0].idle_close == at(365)
    assert report.nodes[0].utc_offset_source == "option"
    assert report.nodes[0].utc_offsets == ["-06:00"]
    assert not any("taken as UTC" in w for w in report.warnings)


def test_openfire_follows_dst_change_seen_in_webservices(tmp_path: Path) -> None:
    # US fall-back on 2026-11-01: 02:00 CDT -> 01:00 CST. Lines straddle it.
    n = Node(tmp_path, offset_min=-300)
    from datetime import UTC, datetime, timedelta

    t_change = datetime(2026, 11, 1, 7, 0, tzinfo=UTC)
    for k in range(-30, 31):  # web services every 2 minutes, with the right offset
        t = t_change + timedelta(minutes=2 * k)
        n.wsl(t, "main", "HEARTBEAT", "x", offset=-300 if t < t_change else -360)
    # an idle close at 01:30 local in the *second* (CST) pass
    sid, agent = "dd44", "1001009"
    before = t_change - timedelta(minutes=70)  # 00:50 CDT (not a repeated wall time)
    n.of(
        "debug.log",
        before,
        f"Session (id={sid}) was last active 0 ms ago: {agent}@fin1.example.com/desktop",
        offset=-300,
    )
    after = t_change + timedelta(minutes=30)  # 01:30 CST (wall time seen before, in CDT)
    n.of(
        "debug.log",
        after,
        "Session (id=zz) was last active 0 ms ago: other@fin1.example.com/desktop",
        offset=-360,
    )
    n.of("info.log", before, "A session is closed for someone@fin1.example.com/desktop", offset=-300)
    # 01:50 CDT: still ambiguous on its own (placed at the first occurrence, which is right)
    n.of(
        "info.log",
        t_change - timedelta(minutes=10),
        "A session is closed for x@fin1.example.com/desktop",
        offset=-300,
    )
    n.of("info.log", after, f"Closing idle session (id={sid}): {agent}@fin1.example.com/desktop", offset=-360)
    report = scan([str(n.write())])
    assert report.nodes[0].utc_offsets == ["-06:00", "-05:00"]  # both offsets, in numeric order
    d = only(report.disconnects, agent)
    assert d.idle_close == after  # 01:30 after 01:50 in the same file: the second (CST) pass


def test_ambiguous_dst_time_without_context_is_warned(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    n = Node(tmp_path, offset_min=-300)
    t_change = datetime(2026, 11, 1, 7, 0, tzinfo=UTC)
    for k in range(-30, 31):
        t = t_change + timedelta(minutes=2 * k)
        n.wsl(t, "main", "HEARTBEAT", "x", offset=-300 if t < t_change else -360)
    n.of(
        "info.log",
        t_change + timedelta(minutes=30),
        "Closing idle session (id=q1): 7@fin1.example.com/desktop",
        offset=-360,
    )
    report = scan([str(n.write())])
    dst = [w for w in report.warnings if "repeated DST hour" in w]
    assert len(dst) == 1 and "1 local time(s)" in dst[0]  # one line, counted once


def test_agent_and_time_filters(tmp_path: Path) -> None:
    n = Node(tmp_path)
    n.full_drop("1001003", "aa11", 0, 300)
    n.full_drop("1001004", "bb22", 0, 1200)
    root = str(n.write())
    one = scan([root], ScanOptions(agents=("1001004",)))
    assert [d.agent for d in one.shown().disconnects] == ["1001004"]
    # the analysis covers the whole bundle; only the shown part is narrowed
    assert [d.agent for d in one.disconnects] == ["1001003", "1001004"]
    assert one.shown().totals["disconnects"] == 2
    late = scan([root], ScanOptions(since=at(1000)))
    assert [d.agent for d in late.shown().disconnects] == ["1001004"]
    early = scan([root], ScanOptions(until=at(1000)))
    assert [d.agent for d in early.shown().disconnects] == ["1001003"]


def test_sign_out_long_before_a_later_drop_does_not_hide_it(tmp_path: Path) -> None:
    n = Node(tmp_path)
    # signs out at 100 s, signs in again on a new session, then the PC sleeps at 300 s
    n.polls("1001005", "s1", 0, 100, 100)
    n.sign_out_request("1001005", 100)
    n.full_drop("1001005", "s2", 160, 300)
    d = only(scan([str(n.write())]).disconnects, "1001005")
    assert d.session_id == "s2" and d.outcome == "forced-logout"


def test_two_drops_of_one_agent_are_two_disconnects(tmp_path: Path) -> None:
    n = Node(tmp_path)
    n.full_drop("1001003", "s1", 0, 300)
    n.full_drop("1001003", "s2", 600, 1500)
    ds = scan([str(n.write())]).disconnects
    assert [(d.agent, d.session_id, d.outcome) for d in ds] == [
        ("1001003", "s1", "forced-logout"),
        ("1001003", "s2", "forced-logout"),
    ]
    assert (
        ds[0].forced_logout is not None
        and ds[1].forced_logout is not None
        and ds[0].forced_logout < ds[1].time
    )


TECHNOTE_DEBUG = """\
2017.06.17 00:14:34 Session (id=f382a015) was last active 0 ms ago: 1001003@xxxxx.xxx.xxx.cisco.com/de
2017.06.17 00:15:04 Session (id=f382a015) was last active 13230 ms ago: 1001003@xxxxx.xxx.xxx.cisco.co
2017.06.17 00:15:34 Session (id=f382a015) was last active 43230 ms ago: 1001003@xxxxx.xxx.xxx.cisco.co
2017.06.17 00:16:04 Session (id=f382a015) was last active 63231 ms ago: 1001003@xxxxx.xxx.xxx.cisco.co
2017.06.17 00:17:04 Unable to route packet. No session is available so store offline. <message from="pu
"""
TECHNOTE_INFO = """\
2017.06.17 00:16:04 Closing idle session (id=f382a015): 1001003@xxxxxx.xxxx.xxx. cisco.com/desktop
after inactivity for more than threshold value of 60
2017.06.17 00:16:04 A session is closed for 1001003@xxxxxx.xxxx.xxx. cisco.com/desktop
"""
# the technote's web services lines, truncated exactly as published
TECHNOTE_WS = """\
0000001043: XX.XX.XX.XXX: Jun 17 2017 00:16:04.630 +0530: %CCBU_Smack Listener Processor (1)-6-PRESENCE
0000000417: XX.XX.XX.XXX: Jun 17 2017 00:16:04.631 +0530: %CCBU_Smack Listener Processor (1)-6-UNSUBSCR
0000001044: XX.XX.XX.XXX: Jun 17 2017 00:16:04.631 +0530: %CCBU_Smack Listener Processor (1)-6-AGENT_PI
0000001051: XX.XX.XX.XXX: Jun 17 2017 00:16:35.384 +0530: %CCBU_pool-8-thread-1-6-AGENT_PRESENCE_MONIT
0000001060: XX.XX.XX.XXX:: Jun 17 2017 00:17:04.632 +0530: %CCBU_CoreImpl-worker12-6-PRESENCE DRIVEN LO
0000001061: XX.XX.XX.XXX:: Jun 17 2017 00:17:04.633 +0530: %CCBU_CoreImpl-worker12-6-MESSAGE_TO_CTI_SER
1, workmode : 0, reason code: 255, forceflag :1, agentcapacity: 1, agenttext: 1001003, agentid: 1001003,
0000001066: XX.XX.XX.XXX:: Jun 17 2017 00:17:04.643 +0530: %CCBU_CTIMessageEventExecutor-0-6-DECODED_M
skillGroupNumber=-1, skillGroupPriority=0, agentState=1 (LOGOUT), eventReasonCode=255, numFltSkillGroup
duration=null, nextAgentState=null, fltSkillGroupNumberList=[], fltSkillGroupIDList=[], fltSkillGroupPr
msgID=30, timeTracker={"id":"AgentStateEvent","CTI_MSG_RECEIVED":1497638824642,"CTI_MSG_DISPATCH":14976
Decoded Message to Finesse from backend cti server
"""


def test_the_technotes_own_lines(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from .conftest import write

    base = tmp_path / "fin1" / "desktop" / "logs"
    write(base / "openfire" / "debug.log", TECHNOTE_DEBUG)
    write(base / "openfire" / "info.log", TECHNOTE_INFO)
    write(base / "webservices" / "Desktop-webservices.2017-06-17T00-00-00.000.log", TECHNOTE_WS)
    report = scan([str(tmp_path)])
    assert report.nodes[0].utc_offsets == ["+05:30"] and report.nodes[0].utc_offset_source == "webservices"
    d = only(report.disconnects, "1001003")
    assert d.idle_close == datetime(2017, 6, 16, 18, 46, 4, tzinfo=UTC)
    assert d.last_activity is not None and d.last_activity < d.idle_close
    assert d.forced_logout == datetime(2017, 6, 16, 18, 47, 4, 632000, tzinfo=UTC)
    assert (d.reason_code, d.resulting_state, d.outcome) == (255, "LOGOUT", "forced-logout")
    assert "presence-driven-logout (agent inferred)" in [e.event for e in d.evidence]
    assert any("named no agent" in w for w in report.warnings)
    assert all(f.lines == f.parsed for f in report.files)


def test_agent_is_not_inferred_when_two_agents_are_near(tmp_path: Path) -> None:
    n = Node(tmp_path)
    n.wsl(at(100), "CoreImpl-worker12", "PRESENCE DRIVEN LOGOUT", "no agent named here")
    n.wsl(at(100.001), "CoreImpl-worker12", "MESSAGE_TO_CTI_SERVER", "reason code: 255, agentid: 1001003")
    n.wsl(at(100.002), "CoreImpl-worker13", "MESSAGE_TO_CTI_SERVER", "reason code: 255, agentid: 1001004")
    report = scan([str(n.write())])
    assert not any("named no agent" in w for w in report.warnings)
    assert {d.agent for d in report.disconnects} == {"1001003", "1001004"}


def test_timeline_shows_server_local_time_beside_utc(tmp_path: Path) -> None:
    n = Node(tmp_path)
    n.full_drop("1001003", "aa11", 0, 300)
    report = scan([str(n.write())])
    close = next(e for e in report.timeline if e.event == "idle-close")
    assert close.time == at(365)
    assert close.server_local == "2026-03-04 14:06:05.000 -06:00"  # BASE is 20:00Z, CST
    assert close.time_text == "2026.03.04 14:06:05"
