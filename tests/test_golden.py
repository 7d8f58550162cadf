"""Golden text and JSON reports for the sample bundles (regenerate with --update-golden)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from finesse_logscan.cli import cli

from .conftest import ROOT

GOLDEN = Path(__file__).parent / "golden"
SCHEMA = json.loads((ROOT / "finesse_logscan" / "data" / "report.schema.json").read_text())
BUNDLES = ["client-side", "server-wide", "notification-service-crash.zip", "two-node"]


def _run(args: list[str]) -> str:
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("bundle", BUNDLES)
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_golden(bundle: str, fmt: str, in_root: Path, update_golden: bool) -> None:
    out = _run(["analyze", f"sample_logs/{bundle}", "--format", fmt])
    path = GOLDEN / f"{bundle.removesuffix('.zip')}.{'txt' if fmt == 'text' else 'json'}"
    if update_golden:
        path.write_text(out, encoding="utf-8")
    assert out == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("bundle", BUNDLES)
def test_json_matches_schema_and_is_stable(bundle: str, in_root: Path) -> None:
    first = _run(["analyze", f"sample_logs/{bundle}", "--format", "json"])
    second = _run(["analyze", f"sample_logs/{bundle}", "--format", "json"])
    assert first == second
    data = json.loads(first)
    errors = sorted(Draft202012Validator(SCHEMA).iter_errors(data), key=str)
    assert errors == []
    for f in data["files"]:
        assert f["lines"] == f["parsed"] + f["unparsed"]


def test_client_side_sample_diagnosis(in_root: Path) -> None:
    data = json.loads(_run(["analyze", "sample_logs/client-side", "--format", "json"]))
    assert data["verdict"] == "client-side"
    outcome = {d["agent"]: d["outcome"] for d in data["disconnects"]}
    # one disconnect per lost session, though each drop logs the whole presence sequence
    assert [d["agent"] for d in data["disconnects"]] == ["1001003", "1001007", "1001010", "1001011"]
    assert outcome == {
        "1001003": "forced-logout",  # PC asleep: logged out 60 s after presence went unavailable
        "1001007": "recovered",  # browser refresh: back before the 60 s ran out
        "1001010": "forced-logout",
        "1001011": "forced-logout",  # refresh that took longer than 60 s: logged out, then back
    }
    assert "1001005" not in outcome  # signed out normally
    by_agent = {d["agent"]: d for d in data["disconnects"]}
    assert by_agent["1001007"]["forced_logout"] is None and by_agent["1001007"]["reason_code"] is None
    assert (by_agent["1001003"]["reason_code"], by_agent["1001003"]["resulting_state"]) == (255, "LOGOUT")
    labels = [e["event"] for e in by_agent["1001003"]["evidence"]]
    for step in ("idle-close", "presence-unavailable", "unsubscribe", "logout-scheduled", "logout-pending",
                 "presence-driven-logout", "message-to-cti", "cti-agent-state"):  # fmt: skip
        assert labels.count(step) == 1, (step, labels)
    assert [i["disconnects"] for i in data["incidents"]] == [1, 1, 1, 1]
    flagged = {c["agent"]: c["flags"] for c in data["clients"]}
    assert flagged["1001010"] == ["clock-drift", "high-latency"] and flagged["1001003"] == []
    hints = {d["agent"]: d["hints"] for d in data["disconnects"]}
    assert "clock-drift" in hints["1001010"] and "high-latency" in hints["1001010"]
    assert all(i["classification"] == "client-side" for i in data["incidents"])
    assert data["nodes"] == [
        {
            "name": "fin1a.example.com",
            "name_source": "path",
            "utc_offset_source": "webservices",
            "utc_offsets": ["-06:00"],
        }
    ]


def test_server_wide_sample_diagnosis(in_root: Path) -> None:
    data = json.loads(_run(["analyze", "sample_logs/server-wide", "--format", "json"]))
    assert data["verdict"] == "server-wide"
    assert len(data["incidents"]) == 1
    inc = data["incidents"][0]
    assert inc["classification"] == "server-wide" and len(inc["agents"]) == 12
    # twelve agents, twelve drops: each agent once, though each drop logs seven web services lines
    assert inc["disconnects"] == 12 and len(data["disconnects"]) == 12
    assert len({d["agent"] for d in data["disconnects"]}) == 12
    assert {d["outcome"] for d in data["disconnects"]} == {"forced-logout"}
    assert {d["resulting_state"] for d in data["disconnects"]} == {"NOT_READY"}
    assert "2002013" not in inc["agents"] and "2002014" not in inc["agents"]
    # a network outage: nothing on the server explains it, and the report says so
    assert not [s for s in data["server_events"] if s["kind"] != "store-offline-burst"]
    reason = _run(["analyze", "sample_logs/server-wide"]).splitlines()[0]
    assert reason.startswith("SERVER-WIDE: INC-001: 12 agents dropped together; no critical server evidence")
    assert any("network" in a.lower() for a in inc["recommended_actions"])


def test_crash_sample_diagnosis(in_root: Path) -> None:
    data = json.loads(_run(["analyze", "sample_logs/notification-service-crash.zip", "--format", "json"]))
    assert data["verdict"] == "server-wide"
    assert len(data["disconnects"]) == 10 and len({d["agent"] for d in data["disconnects"]}) == 10
    assert [i["disconnects"] for i in data["incidents"]] == [10]
    assert {d["outcome"] for d in data["disconnects"]} == {"forced-logout"}
    assert {d["reason_code"] for d in data["disconnects"]} == {255}


def test_json_carries_what_the_text_shows(in_root: Path) -> None:
    """The verdict's reason, each incident's cited evidence (with times), server events'
    severity and signature: in the JSON as in the text; keys sorted at every level."""
    out = _run(["analyze", "sample_logs/notification-service-crash.zip", "--format", "json"])
    text = _run(["analyze", "sample_logs/notification-service-crash.zip", "--width", "1000"])
    data = json.loads(out)
    assert text.startswith(f"SERVER-WIDE: {data['verdict_reason']}\n")
    cited = data["incidents"][0]["evidence"]
    assert [(e["event"], e["time"]) for e in cited[:2]] == [
        ("known-defect", "2026-03-04T20:05:58.000Z"),
        ("known-defect", "2026-03-04T20:06:00.000Z"),
    ]
    assert cited[0]["file"].endswith("openfire/error.log") and cited[0]["line"] == 1
    defects = {s["signature"]: s["severity"] for s in data["server_events"] if s["kind"] == "known-defect"}
    assert defects == {"CSCva72280": "critical", "notification-service-oom": "critical"}
    assert {s["severity"] for s in data["server_events"]} == {"critical", "warning"}

    def sorted_everywhere(value: object) -> bool:
        if isinstance(value, dict):
            return list(value) == sorted(value) and all(sorted_everywhere(v) for v in value.values())
        if isinstance(value, list):
            return all(sorted_everywhere(v) for v in value)
        return True

    assert sorted_everywhere(json.loads(out))


def test_warnings_are_records_with_code_file_and_line(tmp_path: Path, runner: CliRunner) -> None:
    """Each warning is also a record in the JSON (`notes`): what kind, the file and line."""
    src = tmp_path / "b"
    import shutil

    shutil.copytree(ROOT / "sample_logs" / "client-side", src)
    debug = next(src.rglob("debug.log"))
    lines = debug.read_bytes().splitlines(keepends=True)
    lines.insert(10, b"2026.13.45 25:61:61 impossible date\n")  # line 11
    debug.write_bytes(b"".join(lines))
    (src / "notes.txt").write_text("not a log\n")
    result = runner.invoke(cli, ["analyze", str(src), "--format", "json", "--agent", "9999"])
    data = json.loads(result.output)
    notes = {(n["code"], Path(n["file"]).name if n["file"] else None, n["line"]) for n in data["notes"]}
    assert ("file", "debug.log", 11) in notes
    assert ("skipped", "notes.txt", None) in notes
    assert ("filter", None, None) in notes
    assert [str(w) for w in data["warnings"]] == data["warnings"] and len(data["warnings"]) == len(
        data["notes"]
    )
    assert any(w.startswith(f"{debug}: line 11: impossible date") for w in data["warnings"])
    assert not list(Draft202012Validator(SCHEMA).iter_errors(data))
