"""`finesse-logscan check`: exit codes, CI report formats, settings files."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from finesse_logscan import checks, scan
from finesse_logscan.cli import cli

from .builders import Node
from .conftest import ended_cleanly

CASES = [
    # bundle, --fail-on, expected exit
    ("client-side", "server-wide", 0),
    ("client-side", "client-side", 1),
    ("client-side", "any", 1),
    ("client-side", "never", 0),
    ("server-wide", "server-wide", 1),
    ("server-wide", "client-side", 0),
    ("server-wide", "any", 1),
    ("server-wide", "never", 0),
    ("notification-service-crash.zip", "server-wide", 1),
]


@pytest.mark.parametrize(("bundle", "fail_on", "code"), CASES)
def test_exit_codes(runner: CliRunner, in_root: Path, bundle: str, fail_on: str, code: int) -> None:
    result = runner.invoke(cli, ["check", f"sample_logs/{bundle}", "--fail-on", fail_on])
    assert result.exit_code == code, result.output
    assert ("check failed" in result.output) == (code == 1)


def test_default_fail_on_is_server_wide(runner: CliRunner, in_root: Path) -> None:
    assert runner.invoke(cli, ["check", "sample_logs/client-side"]).exit_code == 0
    assert runner.invoke(cli, ["check", "sample_logs/server-wide"]).exit_code == 1


def test_max_disconnects(runner: CliRunner, in_root: Path) -> None:
    args = ["check", "sample_logs/client-side", "--fail-on", "never"]
    assert runner.invoke(cli, [*args, "--max-disconnects", "4"]).exit_code == 0
    result = runner.invoke(cli, [*args, "--max-disconnects", "3"])
    assert result.exit_code == 1 and "max-disconnects" in result.output


def test_usage_and_input_errors_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(cli, ["check", str(tmp_path / "none")]).exit_code == 2
    assert runner.invoke(cli, ["check", "--fail-on", "sometimes", str(tmp_path)]).exit_code == 2
    assert runner.invoke(cli, ["check"]).exit_code == 2


def test_help_lists_exit_codes(runner: CliRunner) -> None:
    out = runner.invoke(cli, ["check", "--help"]).output
    assert "Exit status" in out and "1    findings met --fail-on" in out and "2    usage error" in out
    assert "130  interrupted" in out
    for command in ("analyze", "files", "timeline"):  # they never exit 1: their help does not say so
        out = runner.invoke(cli, [command, "--help"]).output
        assert "0    analysis done" in out and "2    usage error" in out and "\n    1 " not in out


def _reports(runner: CliRunner, tmp_path: Path, bundle: str, *extra: str) -> tuple[int, dict[str, Path], str]:
    paths = {k: tmp_path / f"r.{k}" for k in ("junit", "sarif", "gitlab", "json", "text")}
    args = ["check", f"sample_logs/{bundle}", "--github", *extra]
    for k, p in paths.items():
        args += [f"--{k}", str(p)]
    result = runner.invoke(cli, args)
    return result.exit_code, paths, result.output


def test_junit_report(runner: CliRunner, in_root: Path, tmp_path: Path) -> None:
    code, paths, _ = _reports(runner, tmp_path, "server-wide")
    assert code == 1
    root = ET.parse(paths["junit"]).getroot()
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert int(suite.get("tests", "0")) == len(cases) >= 2
    failed = [c for c in cases if c.find("failure") is not None]
    assert int(suite.get("failures", "0")) == len(failed) == 1  # the incident; the verdict is context
    body = failed[0].find("failure").text or ""  # type: ignore[union-attr]
    assert "openfire/info.log:" in body and "idle-close" in body
    code, paths, _ = _reports(runner, tmp_path, "client-side")
    root = ET.parse(paths["junit"]).getroot()
    assert root.get("failures") == "0" and code == 0


def test_sarif_report(runner: CliRunner, in_root: Path, tmp_path: Path) -> None:
    _, paths, _ = _reports(runner, tmp_path, "notification-service-crash.zip")
    doc = json.loads(paths["sarif"].read_text())
    assert doc["version"] == "2.1.0" and "sarif" in doc["$schema"]
    run = doc["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert "server-wide-incident" in rules and "known-issue/CSCva72280" in rules
    for res in run["results"]:
        assert rules[res["ruleIndex"]] == res["ruleId"]
        assert res["level"] in ("error", "warning", "note")
        phys = res["locations"][0]["physicalLocation"]
        assert phys["artifactLocation"]["uri"] == "sample_logs/notification-service-crash.zip"
        assert "!" not in phys["artifactLocation"]["uri"]
        assert res["partialFingerprints"]
    incident = next(r for r in run["results"] if r["ruleId"] == "server-wide-incident")
    assert incident["level"] == "error" and "error.log:1" in incident["message"]["text"]
    assert run["invocations"][0]["exitCode"] == 1
    # folder inputs give file and line regions
    _, paths, _ = _reports(runner, tmp_path, "server-wide")
    res = json.loads(paths["sarif"].read_text())["runs"][0]["results"][0]
    region = res["locations"][0]["physicalLocation"]
    assert (
        region["artifactLocation"]["uri"].endswith("openfire/info.log") and region["region"]["startLine"] >= 1
    )


def test_github_annotations(runner: CliRunner, in_root: Path, tmp_path: Path) -> None:
    _, _, out = _reports(runner, tmp_path, "server-wide")
    lines = [x for x in out.splitlines() if x.startswith("::")]
    assert lines and lines[0].startswith("::error file=sample_logs/server-wide/")
    assert ",line=" in lines[0] and ",title=server-wide incident INC-001 (12 agent(s))::" in lines[0]
    _, _, out = _reports(runner, tmp_path, "client-side")
    assert all(x.startswith("::warning ") for x in out.splitlines() if x.startswith("::"))


def test_gitlab_code_quality(runner: CliRunner, in_root: Path, tmp_path: Path) -> None:
    _, paths, _ = _reports(runner, tmp_path, "client-side", "--fail-on", "client-side")
    issues = json.loads(paths["gitlab"].read_text())
    assert len(issues) == 4  # one per client-side incident
    for issue in issues:
        assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] == "blocker"
        assert issue["location"]["lines"]["begin"] >= 1
    assert len({i["fingerprint"] for i in issues}) == 4
    assert json.loads(paths["json"].read_text())["verdict"] == "client-side"
    assert "CLIENT-SIDE" in paths["text"].read_text()


def test_fingerprints_stable_when_lines_shift(tmp_path: Path) -> None:
    import shutil

    from .builders import at

    root = tmp_path / "bundle"

    def findings_with_padding(padding: int) -> list[checks.Finding]:
        shutil.rmtree(root, ignore_errors=True)
        n = Node(root)
        for i in range(padding):  # unrelated lines before the drop move every line number
            n.of("info.log", at(-500 + i), "A session is closed for x@f/desktop")
        n.full_drop("1001003", "aa11", 0, 300)
        n.write()
        return checks.findings(scan([str(root)]), "any")

    before, after = findings_with_padding(0), findings_with_padding(7)
    assert [f.location.line for f in before] != [f.location.line for f in after]
    assert [f.fingerprint for f in before] == [f.fingerprint for f in after]
    other = Node(tmp_path / "other")
    other.full_drop("1001004", "bb22", 0, 300)
    other.write()
    assert checks.findings(scan([str(tmp_path / "other")]), "any")[0].fingerprint != before[0].fingerprint


def test_settings_file_discovery_and_precedence(runner: CliRunner, tmp_path: Path) -> None:
    n = Node(tmp_path / "bundle")
    n.full_drop("1001003", "aa11", 0, 300)
    n.write()
    work = tmp_path / "proj" / "sub"
    work.mkdir(parents=True)
    (tmp_path / "proj" / "pyproject.toml").write_text('[tool.finesse-logscan]\nfail_on = "client-side"\n')
    old = os.getcwd()
    os.chdir(work)
    try:
        bundle = str(tmp_path / "bundle")
        assert runner.invoke(cli, ["check", bundle]).exit_code == 1  # found upward: client-side fails
        assert runner.invoke(cli, ["check", bundle, "--fail-on", "server-wide"]).exit_code == 0  # CLI wins
        (work / ".finesse-logscan.toml").write_text('fail_on = "never"\nserver_tz = "America/Chicago"\n')
        assert runner.invoke(cli, ["check", bundle]).exit_code == 0  # nearer file wins
        cfg = tmp_path / "strict.toml"
        cfg.write_text('fail-on = "any"\nmax_disconnects = 0\n')
        assert runner.invoke(cli, ["check", bundle, "--config", str(cfg)]).exit_code == 1
        for bad, words in (
            ('fail_on = "sometimes"', "fail_on: 'sometimes' is not one of"),
            ("storm_fraction = 3", "storm_fraction: 3.0 is not in the range 0<=x<=1"),
            ("jobs = 0", "jobs: 0 is not in the range x>=1"),
            ("unknown_key = 1", "unknown setting"),
            ('server_tz = "Mars/Base"', "unknown time zone"),
            ("storm_agents = true", "must be a int"),
            ("not toml [[", "not valid TOML"),
        ):
            cfg.write_text(bad + "\n")
            result = runner.invoke(cli, ["check", bundle, "--config", str(cfg)])
            assert result.exit_code == 2 and words in result.output, (bad, result.output)
            assert ended_cleanly(result)
        result = runner.invoke(cli, ["check", bundle, "--config", str(tmp_path / "missing.toml")])
        assert result.exit_code == 2
    finally:
        os.chdir(old)


def test_settings_apply_to_analyze_thresholds(runner: CliRunner, in_root: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("storm_agents = 50\n")
    out = runner.invoke(
        cli, ["analyze", "sample_logs/server-wide", "--format", "json", "--config", str(cfg)]
    ).output
    assert json.loads(out)["verdict"] == "client-side"
