"""Server-side sources (syslog, dumps, lifecycle), known-defect signatures and the guidance."""

from __future__ import annotations

import io
import json
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from finesse_logscan import ScanOptions, scan, signatures
from finesse_logscan.cli import cli
from finesse_logscan.event import Kind
from finesse_logscan.guidance import client_side_actions, lcd_note, server_wide_actions
from finesse_logscan.parsers import coredump, heapdump, openfire, syslog, webservices
from finesse_logscan.report import ClientStats, Disconnect, Evidence, ServerEvent

from .builders import Node, at
from .conftest import run_parser, write

SYSLOG = (
    "Jun 17 16:14:19 fin1a local7 2 : 6: fin1a.example.com: Jun 17 2019 14:14:19.781 UTC : "
    "%UC_SERVICEMANAGER-2-ServiceFailed: %[ServiceName=Cisco CTIManager][Reason=Service terminated unexpectedly]"
    "[AppID=Cisco Service Manager][ClusterID=][NodeID=cucm1]: Service terminated."
)


def test_syslog_failure_and_offset() -> None:
    events, ctx = run_parser(syslog, SYSLOG, path="syslog/CiscoSyslog")
    kinds = [e.kind for e in events]
    assert Kind.SERVICE_FAILURE in kinds
    fail = next(e for e in events if e.kind == Kind.SERVICE_FAILURE)
    assert fail.time == datetime(2019, 6, 17, 14, 14, 19, 781000, tzinfo=UTC)
    assert "Cisco CTIManager" in str(fail.attrs["detail"])
    assert [(r.offset_minutes, r.source) for r in ctx.offsets] == [(120, "syslog")]
    assert any(e.kind == Kind.KNOWN_DEFECT and e.attrs["signature"] == "ctimanager-down" for e in events)


@pytest.mark.parametrize(
    "line",
    [
        # single-digit day padded with a space, body without milliseconds, extra spaces
        "Mar  4 14:07:05 fin1a local7 6 : 815: fin1a.example.com: Mar 04 2026 20:07:05 UTC :  %UC_SERVICEMANAGER-6-ServiceStarted: %[ServiceName=Cisco Finesse Notification Service]: Service started.",
        # New Year: header in December, body in January of the next year
        "Dec 31 23:30:00 fin1a local7 6 : 1: f: Jan 01 2027 05:30:00.000 UTC : %UC_SERVICEMANAGER-6-ServiceStopped: %[ServiceName=Cisco Tomcat]: Service stopped.",
    ],
)
def test_syslog_variants(line: str) -> None:
    events, ctx = run_parser(syslog, line)
    assert ctx.parsed == 1 and events
    assert ctx.offsets and ctx.offsets[0].offset_minutes == -360


def test_syslog_negative() -> None:
    assert not syslog.sniff(["2017.06.17 00:16:04 Openfire stopped"])
    events, ctx = run_parser(syslog, "Jun 17 16:14:19 host kernel: eth0 link up\n")
    assert events == [] and ctx.unparsed == 1


def test_syslog_gives_offset_when_webservices_missing(tmp_path: Path) -> None:
    n = Node(tmp_path)
    n.polls("1001003", "aa", 0, 300, 365)
    n.idle_close("1001003", "aa", 365)
    n.write()
    write(tmp_path / "fin1" / "syslog" / "CiscoSyslog",
          "Mar  4 14:00:00 fin1 local7 6 : 1: fin1: Mar 04 2026 20:00:00.000 UTC : %UC_SERVICEMANAGER-6-ServiceStarted: %[ServiceName=Cisco Tomcat]: ok\n")  # fmt: skip
    report = scan([str(tmp_path)])
    assert report.nodes[0].utc_offset_source == "syslog"
    assert report.disconnects[0].idle_close == at(365)


def test_core_dump_time_from_name() -> None:
    events, _ = run_parser(coredump, "", path="core/core.24587.6.CTIManager.1533441238")
    assert len(events) == 1
    ev = events[0]
    assert ev.kind == Kind.CORE_DUMP
    assert ev.time == datetime.fromtimestamp(1533441238, UTC)
    assert "CTIManager" in str(ev.attrs["detail"]) and "signal 6" in str(ev.attrs["detail"])
    assert coredump.path_hint("core/core.jvm.core")
    assert not coredump.path_hint("core/core.txt") and not coredump.path_hint("logs/score.24.6.x.1")


def test_dump_times_from_container(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name in ("fin1/desktop/logs/openfire/java_pid1.hprof", "fin1/core/core.jvm.core"):
            info = tarfile.TarInfo(name)
            data = b"JAVA PROFILE 1.0.2\x00\x01\x02"
            info.size = len(data)
            info.mtime = 1_772_654_400  # 2026-03-04T20:00:00Z
            tf.addfile(info, io.BytesIO(data))
    (tmp_path / "dumps.tgz").write_bytes(buf.getvalue())
    report = scan([str(tmp_path / "dumps.tgz")])
    kinds = {s.kind: s for s in report.server_events}
    assert kinds["heap-dump"].time == datetime(2026, 3, 4, 20, 0, tzinfo=UTC)
    assert kinds["core-dump"].time == datetime(2026, 3, 4, 20, 0, tzinfo=UTC)
    assert "Notification Service" in kinds["heap-dump"].detail
    assert report.usable and report.verdict == "no-disconnects"
    assert all(f.lines == 0 for f in report.files)  # dumps are never read
    assert heapdump.path_hint("x/TOMCAT.HPROF")


@pytest.mark.parametrize(
    ("family", "text", "expected"),
    [
        (
            "openfire",
            "2026.03.04 14:05:58 x - An invalid XML character (Unicode: 0x1f) was found in the element content",
            "CSCva72280",
        ),
        (
            "openfire",
            "2026.03.04 14:05:58 org.jivesoftware.X - java.lang.OutOfMemoryError: Java heap space",
            "notification-service-oom",
        ),
        (
            "openfire",
            "2026.03.04 14:05:58 java.net.SocketException: Too many open files",
            "too-many-open-files",
        ),
        (
            "webservices",
            "0000000001: 10.1.1.1: Mar 04 2026 14:00:00.000 -0600: %CCBU_main-3-ERROR: java.lang.OutOfMemoryError: GC overhead",
            "webservices-oom",
        ),
        (
            "webservices",
            "0000000001: 10.1.1.1: Mar 04 2026 14:00:00.000 -0600: %CCBU_CTIReader-3-CTI_ERROR: CTI server connection lost, reconnecting",
            "cti-connection-lost",
        ),
        (
            "webservices",
            "0000000001: 10.1.1.1: Mar 04 2026 14:00:00.000 -0600: %CCBU_CTIReader-3-CTI_ERROR: CTI LINK DOWN",
            "cti-connection-lost",
        ),
        (
            "webservices",
            "0000000001: 10.1.1.1: Mar 04 2026 14:00:00.000 -0600: %CCBU_CTIReader-3-ERR: Lost connection to the CTI",
            "cti-connection-lost",
        ),
        (
            "webservices",
            "0000000001: 10.1.1.1: Mar 04 2026 14:00:00.000 -0600: %CCBU_x-3-ERR: Invalid character found in request",
            "CSCva72280",
        ),
    ],
)
def test_every_signature_matches_its_example(family: str, text: str, expected: str) -> None:
    module = {"openfire": openfire, "webservices": webservices}[family]
    events, _ = run_parser(module, text)
    assert expected in [e.attrs.get("signature") for e in events if e.kind == Kind.KNOWN_DEFECT]


def test_signatures_do_not_match_ordinary_lines() -> None:
    for line in (
        "2026.03.04 14:00:00 Session (id=a) was last active 0 ms ago: 1@f/desktop",
        "2026.03.04 14:00:00 Closing idle session (id=a): 1@f/desktop after inactivity",
    ):
        events, _ = run_parser(openfire, line)
        assert all(e.kind != Kind.KNOWN_DEFECT for e in events)
    assert all(signatures.match(f, "") == [] for f in ("openfire", "webservices", "syslog"))


def test_signature_file_is_validated() -> None:
    ok = signatures.parse_signatures(
        '[[signature]]\nid="x"\ntitle="t"\nfamilies=["openfire"]\nliterals=["a"]\npattern="a+"\nseverity="warning"\n'
    )
    assert ok[0].matches("xaay") and not ok[0].matches("xyz")
    for bad in (
        "not toml [[[",
        '[[signature]]\nid="x"\n',
        '[[signature]]\nid="x"\ntitle="t"\nfamilies=["o"]\nliterals=["a"]\npattern="("\n',
        '[[signature]]\nid="x"\ntitle="t"\nfamilies=["o"]\nliterals=[]\npattern="a"\n',
        '[[signature]]\nid="x"\ntitle="t"\nfamilies=["o"]\nliterals=["a"]\npattern="a"\nseverity="huge"\n',
    ):
        with pytest.raises(signatures.SignatureError):
            signatures.parse_signatures(bad)
    ids = [s.id for s in signatures.builtin()]
    assert "CSCva72280" in ids and len(ids) == len(set(ids))


def test_signatures_command(runner: CliRunner) -> None:
    out = runner.invoke(cli, ["signatures"]).output
    assert "CSCva72280" in out and "signature(s)" in out
    data = json.loads(runner.invoke(cli, ["signatures", "--format", "json"]).output)
    assert {"id", "title", "families", "pattern", "severity", "advice", "reference"} <= set(data[0])


def test_webservices_startup_file_is_a_restart(tmp_path: Path) -> None:
    write(tmp_path / "fin1/desktop/logs/webservices/Desktop-webservices.2026-03-04T14-00-00.000.startup.log",
          "0000000001: 10.1.1.1: Mar 04 2026 14:00:00.000 -0600: %CCBU_main-6-STARTUP: Finesse starting\n")  # fmt: skip
    report = scan([str(tmp_path)])
    assert [s.kind for s in report.server_events] == ["webservices-restarted"]
    assert report.verdict == "no-disconnects" and "server event" in report.verdict_reason


def test_store_offline_burst(tmp_path: Path) -> None:
    n = Node(tmp_path)
    for i in range(12):
        n.of(
            "debug.log",
            at(100 + i),
            f'Unable to route packet. No session is available so store offline. <message to="10010{i:02d}@f/desktop"/>',
        )
    n.of(
        "debug.log",
        at(5000),
        'Unable to route packet. No session is available so store offline. <message to="1@f/desktop"/>',
    )
    report = scan([str(n.write())])
    assert [s.kind for s in report.server_events] == ["store-offline-burst"]
    assert report.server_events[0].severity == "warning"


def test_one_stop_logged_as_several_lines_is_one_event(tmp_path: Path) -> None:
    n = Node(tmp_path)
    n.of("info.log", at(100), "Initiating shutdown ...")
    n.of("info.log", at(101), "HTTP bind service stopped")
    n.of("info.log", at(103), "Openfire stopped")
    n.of("info.log", at(400), "Openfire stopped")
    report = scan([str(n.write())], ScanOptions(server_tz="-06:00"))
    assert [(s.kind, s.time) for s in report.server_events] == [
        ("notification-service-stopped", at(100)),
        ("notification-service-stopped", at(400)),
    ]


def _d(agent: str, state: str | None) -> Disconnect:
    return Disconnect(agent, at(0), "n", None, None, None, None, None, 255, state, "forced-logout", [])


def test_guidance_tells_uccx_from_ucce() -> None:
    assert "UCCX" in lcd_note([_d("a", "LOGOUT")]) and "LOAD" in lcd_note([_d("a", "LOGOUT")])
    assert "UCCE" in lcd_note([_d("a", "NOT_READY")])
    assert "No CTI state" in lcd_note([_d("a", None)])
    assert "check each agent" in lcd_note([_d("a", "LOGOUT"), _d("b", "NOT_READY")])


def test_guidance_server_wide_rules() -> None:
    ev = Evidence("error.log", 3, "known-defect", at(0))
    crash = ServerEvent(at(0), "n", "known-defect", "CSCva72280: t", ev, "critical", "CSCva72280")
    acts = server_wide_actions([crash], [_d("a", "LOGOUT")])
    assert any("CSCva72325" in a and "error.log:3" in a for a in acts)  # the signature's own advice
    assert any("restarting Cisco Finesse Tomcat" in a for a in acts)
    quiet = server_wide_actions([], [_d("a", "LOGOUT")])
    assert any("No critical server evidence near these drops" in a for a in quiet)
    assert not any("A crash is evident" in a for a in quiet)
    assert any("CTIManager" in a for a in quiet)  # the technote checklist is always there


def test_guidance_client_side_points_at_measurements() -> None:
    stats = {"a": ClientStats("a", 10, 4600, 4700, 300, 2500, ["clock-drift", "high-latency"])}
    acts = client_side_actions([_d("a", "LOGOUT"), _d("b", "LOGOUT")], stats)
    assert any("a (median drift 4600 ms)" in x for x in acts)
    assert any("a (max round trip 2500 ms)" in x for x in acts)
    assert any("No client log in the bundle for b" in x for x in acts)
    assert (
        any("7443" in x for x in acts) and any("Sleep" in x for x in acts) and any("NTP" in x for x in acts)
    )


def test_notification_service_crash_sample(in_root: Path, runner: CliRunner) -> None:
    data = json.loads(
        runner.invoke(
            cli, ["analyze", "sample_logs/notification-service-crash.zip", "--format", "json"]
        ).output
    )
    assert data["verdict"] == "server-wide"
    (inc,) = data["incidents"]
    assert len(inc["agents"]) == 10
    assert "CSCva72280" in inc["summary"]  # the decisive evidence is named
    kinds = {s["kind"] for s in data["server_events"]}
    assert {
        "known-defect",
        "heap-dump",
        "notification-service-stopped",
        "notification-service-started",
        "xmpp-connection-error",
    } <= kinds
    heap = next(s for s in data["server_events"] if s["kind"] == "heap-dump")
    assert (
        heap["time"] == "2026-03-04T20:06:00.000Z"
    )  # zip member time (server local) placed with the node offset
    assert heap["evidence"]["line"] is None
    assert {d["resulting_state"] for d in data["disconnects"]} == {"LOGOUT"}
    assert any("UCCX" in a for a in inc["recommended_actions"])


def test_dump_time_from_a_plain_file_is_flagged(tmp_path: Path) -> None:
    import os

    p = write(tmp_path / "fin1" / "desktop" / "logs" / "openfire" / "java_pid9.hprof", "JAVA PROFILE")
    os.utime(p, (1_772_654_400, 1_772_654_400))
    report = scan([str(tmp_path)])
    (se,) = report.server_events
    assert se.kind == "heap-dump" and se.time == datetime(2026, 3, 4, 20, 0, tzinfo=UTC)
    assert "file modification time" in se.evidence.time_text
    assert any("modification time" in w for w in report.warnings)


IMP_LINE = (
    "May 21 08:10:24 impPub local7 1 : 62: impPub.example.com: May 21 2021 13:10:24.476 UTC : "
    "%UC_ReplWatcher-1-DuplicateUserid: %[AppID=Cisco Replication Watcher][ClusterID=][NodeID=impPub]: "
    "Duplicate user id found"
)


@pytest.mark.parametrize(
    "line",
    [
        IMP_LINE,  # an IM and Presence node: host without a domain, another product's facility
        IMP_LINE.replace("local7 1", "local3 0").replace("-1-Duplicate", "-0-Duplicate"),
        IMP_LINE.replace("impPub local7", "fin2b.example.com local7"),
        "Jun 17 16:14:19 fin1 local7 6 : 9: fin1.example.com: Jun 17 2019 14:14:19 UTC : "
        "%CCBU_pool-8-thread-1-6-SERVICE_STARTED: %[ServiceName=Cisco Finesse Tomcat]: started",
    ],
)
def test_syslog_any_host_facility_severity_and_product(line: str) -> None:
    _, ctx = run_parser(syslog, line)
    assert (ctx.parsed, ctx.unparsed) == (1, 0)
    assert ctx.offsets  # header minus body still gives the offset


def test_syslog_alert_is_not_a_service_failure() -> None:
    events, _ = run_parser(syslog, IMP_LINE)
    assert [e.kind for e in events] == [Kind.SYSLOG_ALERT]


def test_syslog_file_with_an_odd_line_is_read_not_refused(tmp_path: Path) -> None:
    write(tmp_path / "fin1" / "syslog" / "CiscoSyslog", f"{IMP_LINE}\nMay 21 08:10:25 impPub kernel: odd\n")
    report = scan([str(tmp_path)])
    (f,) = report.files
    assert f.skipped is None and (f.family, f.lines, f.parsed, f.unparsed) == ("syslog", 2, 1, 1)
