"""One drop, one disconnect: the technote's whole presence sequence, refreshes, repeated inputs,
and filters that narrow the report without changing the diagnosis."""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from finesse_logscan import ScanOptions, scan
from finesse_logscan.cli import cli
from finesse_logscan.report import Disconnect

from .builders import Node, at


def _only(ds: list[Disconnect], agent: str) -> Disconnect:
    found = [d for d in ds if d.agent == agent]
    assert len(found) == 1, [(d.agent, d.time, d.outcome) for d in found]
    return found[0]


def _labels(d: Disconnect) -> list[str]:
    return [e.event for e in d.evidence]


def test_whole_sequence_is_one_disconnect(tmp_path: Path) -> None:
    n = Node(tmp_path)
    n.full_drop("1001003", "aa11", 0, 300)  # idle close, presence, unsubscribe, scheduled, pending, logout
    n.polls("1001004", "bb22", 0, 900, 900)
    d = _only(scan([str(n.write())]).disconnects, "1001003")
    assert d.outcome == "forced-logout" and d.forced_logout == at(425.5)
    for step in ("idle-close", "presence-unavailable", "unsubscribe", "logout-scheduled", "logout-pending",
                 "presence-driven-logout", "message-to-cti", "cti-agent-state"):  # fmt: skip
        assert _labels(d).count(step) == 1, (step, _labels(d))


def test_webservices_only_drop_is_anchored_on_presence(tmp_path: Path) -> None:
    n = Node(tmp_path)
    n.presence("1001003", 100)
    n.logout_steps("1001003", 100)
    n.forced_logout("1001003", 160, (2, "NOT_READY"))  # UCCE: Not Ready
    report = scan([str(n.write())])
    d = _only(report.disconnects, "1001003")
    assert d.time == at(100) and d.presence_unavailable == at(100) and d.idle_close is None
    assert (d.outcome, d.reason_code, d.resulting_state) == ("forced-logout", 255, "NOT_READY")


@pytest.mark.parametrize("with_openfire", [True, False])
def test_refresh_inside_60_s_is_recovered(tmp_path: Path, with_openfire: bool) -> None:
    n = Node(tmp_path)
    if with_openfire:
        n.polls("1001007", "old1", 0, 300, 365)
        n.idle_close("1001007", "old1", 365)
        n.polls("1001007", "new2", 304, 900, 900)  # the refreshed desktop's new session
    n.presence("1001007", 365.5)
    n.logout_steps("1001007", 365.5, pending=False)
    n.presence("1001007", 380, "available")  # back within 60 s: no logout is sent
    n.polls("1001009", "cc33", 0, 900, 900)
    d = _only(scan([str(n.write())]).disconnects, "1001007")
    assert d.outcome == "recovered"
    assert d.forced_logout is None and d.reason_code is None
    assert "logout-scheduled" in _labels(d)  # the announcement is evidence, not the logout


def test_refresh_after_the_logout_is_a_forced_logout(tmp_path: Path) -> None:
    n = Node(tmp_path)
    n.full_drop("1001011", "old1", 0, 300)  # logout at 425.5
    n.polls("1001011", "new2", 460, 900, 900)  # back 95 s after presence went: too late
    n.presence("1001011", 460, "available")
    n.sign_in_request("1001011", 461)
    report = scan([str(n.write())])
    d = _only(report.disconnects, "1001011")
    assert d.outcome == "forced-logout" and d.forced_logout == at(425.5)


def test_presence_repeated_while_pending_is_not_a_new_drop(tmp_path: Path) -> None:
    n = Node(tmp_path)
    n.presence("1001003", 100)
    n.presence("1001003", 101)  # logged again (second subscriber, repeated notification)
    n.logout_steps("1001003", 101)
    n.forced_logout("1001003", 160)
    assert len(scan([str(n.write())]).disconnects) == 1


def test_drop_recover_drop_is_two_disconnects(tmp_path: Path) -> None:
    n = Node(tmp_path)
    n.presence("1001003", 100)
    n.presence("1001003", 110, "available")
    n.presence("1001003", 150)  # gone again, 50 s after the first drop
    n.logout_steps("1001003", 150)
    n.forced_logout("1001003", 210)
    ds = scan([str(n.write())]).disconnects
    assert [(d.time, d.outcome) for d in ds] == [(at(100), "recovered"), (at(150), "forced-logout")]


def test_sign_out_is_not_a_presence_drop(tmp_path: Path) -> None:
    n = Node(tmp_path)
    n.sign_out_request("1001005", 100)
    n.cti("1001005", 100.3, (1, "LOGOUT"), 0)
    n.presence("1001005", 101)
    assert scan([str(n.write())]).disconnects == []


def test_logout_with_no_drop_logged_is_one_partial_chain(tmp_path: Path) -> None:
    n = Node(tmp_path)
    n.logout_steps("1001003", 100)  # scheduled and pending lines, but no presence line
    n.forced_logout("1001003", 160)
    d = _only(scan([str(n.write())]).disconnects, "1001003")
    assert d.outcome == "forced-logout"
    assert {"logout-scheduled", "logout-pending"} <= set(_labels(d))


# --- the same logs given twice ------------------------------------------------------------


def _bundle(tmp_path: Path) -> Path:
    n = Node(tmp_path / "b")
    n.full_drop("1001003", "aa11", 0, 300)
    n.full_drop("1001004", "bb22", 0, 900)
    n.polls("1001005", "cc33", 0, 1500, 1500)
    return n.write()


def test_folder_and_its_archive_are_read_once(tmp_path: Path) -> None:
    root = _bundle(tmp_path)
    tgz = tmp_path / "copy.tgz"
    with tarfile.open(tgz, "w:gz") as tf:
        tf.add(root / "fin1", arcname="fin1")
    once = scan([str(root)])
    twice = scan([str(root), str(tgz)])
    assert len(once.disconnects) == len(twice.disconnects) == 2
    assert [i.disconnects for i in twice.incidents] == [i.disconnects for i in once.incidents]
    dup = [w for w in twice.warnings if "same content as" in w]
    assert len(dup) == 3 and all("copy.tgz!" in w for w in dup)  # debug, info, web services


def test_renamed_copy_is_read_once(tmp_path: Path) -> None:
    root = _bundle(tmp_path)
    flat = tmp_path / "flat"
    for f in (root / "fin1").rglob("*.log"):
        dest = flat / f"renamed-{f.name}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(f, dest)
    report = scan([str(root), str(flat)])
    assert len(report.disconnects) == 2
    assert sum("same content as" in w for w in report.warnings) == 3


def test_overlapping_copies_count_each_event_once(tmp_path: Path) -> None:
    root = _bundle(tmp_path)
    later = tmp_path / "later" / "fin1" / "desktop" / "logs"
    shutil.copytree(root / "fin1" / "desktop" / "logs", later)
    ws = next((later / "webservices").iterdir())
    ws.write_text(ws.read_text() + ws.read_text().splitlines(keepends=True)[-1].replace("0000000", "1000000"))
    report = scan([str(root), str(tmp_path / "later")])
    assert len(report.disconnects) == 2
    assert any("counted once" in w and "overlapping copies" in w for w in report.warnings)


def test_check_counts_each_drop_once_with_repeated_inputs(tmp_path: Path, runner: CliRunner) -> None:
    root = _bundle(tmp_path)
    args = ["check", str(root), str(root), "--fail-on", "never", "--max-disconnects", "2"]
    assert runner.invoke(cli, args).exit_code == 0


# --- filters narrow what is shown, never the diagnosis ------------------------------------


def test_agent_filter_keeps_the_server_wide_diagnosis(in_root: Path, runner: CliRunner) -> None:
    args = ["sample_logs/server-wide", "--agent", "2002007"]
    data = json.loads(runner.invoke(cli, ["analyze", *args, "--format", "json"]).output)
    assert data["verdict"] == "server-wide"
    assert [d["agent"] for d in data["disconnects"]] == ["2002007"]
    assert data["disconnects"][0]["classification"] == "server-wide"
    assert data["filter"]["agents"] == ["2002007"] and data["filter"]["totals"]["disconnects"] == 12
    assert runner.invoke(cli, ["check", *args]).exit_code == 1
    text = runner.invoke(cli, ["analyze", *args]).output
    assert "SERVER-WIDE" in text and "shown: --agent 2002007: 1 of 12 disconnect(s)" in text


def test_agent_filter_keeps_the_crash_evidence(in_root: Path, runner: CliRunner) -> None:
    out = runner.invoke(
        cli,
        ["analyze", "sample_logs/notification-service-crash.zip", "--agent", "3003003", "--format", "json"],
    ).output
    data = json.loads(out)
    assert data["verdict"] == "server-wide"
    assert "heap-dump" in {s["kind"] for s in data["server_events"]}


def test_unknown_agent_and_empty_window_are_warned(in_root: Path) -> None:
    report = scan(["sample_logs/client-side"], ScanOptions(agents=("9999999",)))
    assert any("--agent 9999999: no such agent" in w for w in report.warnings)
    assert report.shown().disconnects == [] and report.verdict == "client-side"
    late = scan(["sample_logs/client-side"], ScanOptions(since=at(86400)))
    assert any("no event of the bundle falls in this time window" in w for w in late.warnings)


def test_since_after_until_is_a_usage_error(in_root: Path, runner: CliRunner) -> None:
    for command in ("analyze", "check", "timeline"):
        result = runner.invoke(
            cli,
            [
                command,
                "sample_logs/client-side",
                "--since",
                "2026-03-05T00:00",
                "--until",
                "2026-03-04T00:00",
            ],
        )
        assert result.exit_code == 2 and "is later than --until" in result.output
    with pytest.raises(ValueError, match="later than until"):
        ScanOptions(since=at(10), until=at(0))


# --- no self-contradiction ----------------------------------------------------------------


def test_last_activity_is_one_time_everywhere(tmp_path: Path) -> None:
    n = Node(tmp_path)
    n.full_drop("1001003", "aa11", 0, 300)
    report = scan([str(n.write())])
    d = report.disconnects[0]
    rows = [e for e in report.timeline if e.event == "last-activity" and e.agent == "1001003"]
    assert [r.time for r in rows] == [d.last_activity]
    assert [e.time for e in d.evidence if e.event == "last-activity"] == [d.last_activity]


def test_verdict_without_nearby_evidence_does_not_deny_server_events(in_root: Path) -> None:
    report = scan(["sample_logs/server-wide"])
    assert "no server-side evidence in the bundle" not in report.verdict_reason
    assert "no critical server evidence within the evidence window" in report.verdict_reason


def test_browser_closed_without_sign_out_is_a_drop(tmp_path: Path) -> None:
    """The desktop's best-effort terminate on close is not a sign-out: Finesse logs the agent
    out 60 s later."""
    n = Node(tmp_path)
    n.polls("1001003", "aa11", 0, 300, 300)
    n.of("debug.log", at(301), 'HTTPBindLog: HTTP RECVD(aa11): <body sid="aa11" rid="9" type="terminate"/>')
    n.presence("1001003", 301.5)
    n.logout_steps("1001003", 301.5)
    n.forced_logout("1001003", 361.5)
    d = _only(scan([str(n.write())]).disconnects, "1001003")
    assert d.time == at(301.5) and d.outcome == "forced-logout"


def test_pending_logout_without_a_readable_presence_line_is_a_drop(tmp_path: Path) -> None:
    """The technote's first line is `-6-PRESENCE` with no text: its direction is unknown, but
    the scheduled logout after it says presence went. The agent came back: recovered."""
    n = Node(tmp_path)
    n.wsl(at(100), "Smack Listener Processor (1)", "PRESENCE", "")
    n.logout_steps("1001003", 100, pending=False)
    n.presence("1001003", 120, "available")
    d = _only(scan([str(n.write())]).disconnects, "1001003")
    assert (d.time, d.outcome) == (at(100.002), "recovered")
