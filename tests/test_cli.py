from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from finesse_logscan import __version__
from finesse_logscan.cli import cli
from finesse_logscan.status import ExitStatus

from .builders import Node
from .conftest import ended_cleanly


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_analyze_text_and_output_file(runner: CliRunner, in_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = runner.invoke(cli, ["analyze", "sample_logs/client-side", "--format", "json", "-o", str(out)])
    assert result.exit_code == ExitStatus.OK, result.output
    assert result.output == ""
    assert json.loads(out.read_text())["verdict"] == "client-side"


def test_missing_path_is_one_line_error_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["analyze", str(tmp_path / "nope")])
    assert result.exit_code == ExitStatus.ERROR
    assert "no such file or directory" in result.output
    assert ended_cleanly(result)


def test_folder_without_logs_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("hello\n")
    result = runner.invoke(cli, ["analyze", str(tmp_path)])
    assert result.exit_code == ExitStatus.ERROR
    assert "no usable input" in result.output


def test_bad_option_values_are_usage_errors(runner: CliRunner, in_root: Path) -> None:
    for args in (["--server-tz", "Mars/Olympus"], ["--since", "yesterday-ish"], ["--storm-fraction", "2"]):
        result = runner.invoke(cli, ["analyze", "sample_logs/client-side", *args])
        assert result.exit_code == ExitStatus.ERROR, args
        assert ended_cleanly(result)


def test_thresholds_change_the_classification(runner: CliRunner, in_root: Path) -> None:
    result = runner.invoke(
        cli, ["analyze", "sample_logs/server-wide", "--format", "json", "--storm-agents", "13"]
    )
    assert json.loads(result.output)["verdict"] == "client-side"
    result = runner.invoke(
        cli,
        [
            "analyze",
            "sample_logs/client-side",
            "--format",
            "json",
            "--latency-threshold",
            "5000",
            "--drift-threshold",
            "10000",
        ],
    )
    flags = {c["agent"]: c["flags"] for c in json.loads(result.output)["clients"]}
    assert flags["1001010"] == []


def test_agent_since_until_filters(runner: CliRunner, in_root: Path) -> None:
    result = runner.invoke(
        cli, ["analyze", "sample_logs/client-side", "--format", "json", "--agent", "1001010"]
    )
    assert [d["agent"] for d in json.loads(result.output)["disconnects"]] == ["1001010"]
    result = runner.invoke(
        cli,
        ["analyze", "sample_logs/client-side", "--format", "json", "--since", "2026-03-04T14:12:00-06:00"],
    )
    assert [d["agent"] for d in json.loads(result.output)["disconnects"]] == ["1001010", "1001011"]
    result = runner.invoke(
        cli, ["analyze", "sample_logs/client-side", "--format", "json", "--until", "2026-03-04 20:08:00"]
    )
    assert [d["agent"] for d in json.loads(result.output)["disconnects"]] == ["1001003"]


def test_files_inventory(runner: CliRunner, in_root: Path) -> None:
    result = runner.invoke(cli, ["files", "sample_logs/client-side"])
    assert result.exit_code == 0
    assert "debug.log" in result.output and "openfire" in result.output
    assert "total: 5 file(s) read" in result.output
    data = json.loads(runner.invoke(cli, ["files", "sample_logs/client-side", "--format", "json"]).output)
    assert all(f["lines"] == f["parsed"] + f["unparsed"] for f in data["files"])


def test_no_disconnect_bundle(runner: CliRunner, tmp_path: Path) -> None:
    n = Node(tmp_path)
    n.polls("1001001", "aa", 0, 600, 600)
    n.presence("1001001", 1, "available")
    n.write()
    result = runner.invoke(cli, ["analyze", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.output)["verdict"] == "no-disconnects"
    text = runner.invoke(cli, ["analyze", str(tmp_path)]).output
    assert "NO-DISCONNECTS" in text
