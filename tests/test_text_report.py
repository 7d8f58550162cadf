"""The text report as people read it: fits 80/100/120 columns, verdict first, caveats next,
paths inside the bundle, '…' where cut, colour only when asked for or on a terminal."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from finesse_logscan.cli import cli
from finesse_logscan.render.text import cut, cut_middle, fit_table

from .builders import Node

SAMPLES = ["sample_logs/client-side", "sample_logs/server-wide", "sample_logs/notification-service-crash.zip"]


@pytest.mark.parametrize("bundle", SAMPLES)
@pytest.mark.parametrize("width", [80, 100, 120])
def test_no_line_wider_than_the_width(in_root: Path, runner: CliRunner, bundle: str, width: int) -> None:
    out = runner.invoke(cli, ["analyze", bundle, "--width", str(width)]).output
    assert max(len(line) for line in out.splitlines()) <= width
    assert max(len(line.encode()) for line in out.splitlines()) <= width  # '…' counted as bytes too


def test_width_from_columns_and_100_when_not_a_terminal(in_root: Path, runner: CliRunner) -> None:
    wide = runner.invoke(cli, ["analyze", SAMPLES[2]], env={"COLUMNS": "150"}).output
    default = runner.invoke(cli, ["analyze", SAMPLES[2]], env={"COLUMNS": ""}).output
    assert max(map(len, wide.splitlines())) > 100 >= max(map(len, default.splitlines()))


def test_verdict_first_then_counts_then_incidents(in_root: Path, runner: CliRunner) -> None:
    lines = runner.invoke(cli, ["analyze", SAMPLES[2]]).output.splitlines()
    assert lines[0].startswith(
        "SERVER-WIDE: INC-001: 10 agents dropped together; decisive evidence: known-defect"
    )
    counts = next(i for i, x in enumerate(lines) if x.startswith("10 disconnect(s) of 10 agent(s)"))
    first_incident = next(i for i, x in enumerate(lines) if x.startswith("INC-001"))
    inputs = lines.index("Inputs")
    assert counts < first_incident < inputs


def test_caveats_come_before_incidents(tmp_path: Path, runner: CliRunner) -> None:
    n = Node(tmp_path)  # openfire only: times can only be taken as UTC
    n.polls("1001003", "aa11", 0, 300, 365)
    n.idle_close("1001003", "aa11", 365)
    lines = runner.invoke(cli, ["analyze", str(n.write())]).output.splitlines()
    caveat = next(i for i, x in enumerate(lines) if x.startswith("Caveats"))
    assert "taken as UTC" in lines[caveat + 1]
    assert caveat < next(i for i, x in enumerate(lines) if x.startswith("INC-001"))


def test_evidence_is_named_inside_the_bundle_and_its_place_said_once(
    in_root: Path, runner: CliRunner
) -> None:
    out = runner.invoke(cli, ["analyze", SAMPLES[2]]).output
    assert "    known-defect" in out and "openfire/error.log:1" in out
    assert out.count("notification-service-crash.zip") == 1  # under Inputs, 'bundle: ...'
    assert "  bundle: sample_logs/notification-service-crash.zip!" in out


def test_colour_only_when_asked_or_on_a_terminal(in_root: Path, runner: CliRunner) -> None:
    plain = runner.invoke(cli, ["analyze", SAMPLES[1]]).output
    coloured = runner.invoke(cli, ["analyze", SAMPLES[1], "--color"]).output
    assert "\x1b[" not in plain
    assert "\x1b[31m\x1b[1mSERVER-WIDE" in coloured
    assert (
        "\x1b[" not in runner.invoke(cli, ["analyze", SAMPLES[1], "--no-color"], env={"NO_COLOR": "1"}).output
    )


def test_cutting_marks_the_cut() -> None:
    assert cut("abcdefghij", 20) == "abcdefghij"
    assert cut("abcdefghij", 6) == "abc…" and len(cut("abcdefghij", 6).encode()) <= 6
    path = "webservices/Desktop-webservices.2026-03-04T14-00-00.500.log:213"
    short = cut_middle(path, 30)
    assert short.endswith(".500.log:213") and "…" in short and len(short.encode()) <= 30
    table = fit_table([["x" * 50, "y" * 50, "z"]], ["a", "b", "c"], 60)
    assert max(len(line.encode()) for line in table.splitlines()) <= 60 and "…" in table
