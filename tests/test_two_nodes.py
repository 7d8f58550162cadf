"""Both Finesse nodes: node identity from paths or content, failover outcomes, the failover
race, and per-node classification."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from finesse_logscan import scan
from finesse_logscan.cli import cli

from .conftest import SAMPLES

TWO = SAMPLES / "two-node"


def _outcomes(report: object) -> dict[str, tuple[str, str | None]]:
    return {d.agent: (d.outcome, d.failover_node) for d in report.disconnects}  # type: ignore[attr-defined]


def test_two_node_sample_diagnosis() -> None:
    report = scan([str(TWO)])
    assert [n.name for n in report.nodes] == ["fin1a.example.com", "fin1b.example.com"]
    assert all(n.name_source == "path" for n in report.nodes)
    outcomes = _outcomes(report)
    moved = [a for a, (o, _) in outcomes.items() if o == "failed-over"]
    assert len(moved) == 12 and all(outcomes[a][1] == "fin1b.example.com" for a in moved)
    assert outcomes["4004013"] == outcomes["4004014"] == ("forced-logout", None)
    assert outcomes["4004015"] == ("failover-race", "fin1b.example.com")
    assert "4004099" not in outcomes  # the agent on fin1b kept its session
    assert {d.node for d in report.disconnects} == {"fin1a.example.com"}
    storm = next(i for i in report.incidents if i.classification == "server-wide")
    assert storm.nodes == ["fin1a.example.com"] and len(storm.agents) == 14
    assert (
        "on fin1a.example.com (server-wide for that node; no drops on fin1b.example.com)"
        in report.verdict_reason
    )
    race = next(i for i in report.incidents if "4004015" in i.agents)
    assert any(a.startswith("Failover race (4004015)") for a in race.recommended_actions)
    # the agent with a client log: its desktop says it reached fin1b, beside fin1b's new session
    first = next(d for d in report.disconnects if d.agent == "4004001")
    labels = [(e.event, e.node) for e in first.evidence]
    assert ("new-session-activity", "fin1b.example.com") in labels
    assert any(e.event == "client-connection" and "clientlogs/" in e.file for e in first.evidence[-3:])


def test_json_carries_node_name_sources_and_failover_nodes(in_root: Path, runner: CliRunner) -> None:
    data = json.loads(runner.invoke(cli, ["analyze", "sample_logs/two-node", "--format", "json"]).output)
    assert [(n["name"], n["name_source"]) for n in data["nodes"]] == [
        ("fin1a.example.com", "path"), ("fin1b.example.com", "path")]  # fmt: skip
    race = next(d for d in data["disconnects"] if d["agent"] == "4004015")
    assert race["node"] == "fin1a.example.com" and race["failover_node"] == "fin1b.example.com"
    assert all(i["nodes"] == ["fin1a.example.com"] for i in data["incidents"])


def _flatten(tmp_path: Path) -> Path:
    """Both nodes' files in one folder, host names gone from the paths."""
    flat = tmp_path / "flat"
    flat.mkdir()
    for f in TWO.rglob("*"):
        if f.is_file():
            host = f.relative_to(TWO).parts[0]
            shutil.copy(f, flat / f"{'primary' if host.startswith('fin1a') else 'secondary'}-{f.name}")
    return flat


def test_node_identity_from_content_on_a_flat_folder(tmp_path: Path) -> None:
    by_path = scan([str(TWO)])
    flat = scan([str(_flatten(tmp_path))])
    assert [n.name for n in flat.nodes] == ["fin1a.example.com", "fin1b.example.com"]
    assert all(n.name_source.startswith("content") for n in flat.nodes)
    assert _outcomes(flat) == _outcomes(by_path)
    assert flat.verdict == by_path.verdict
    assert not [w for w in flat.warnings if "do not say which" in w]


def test_one_flat_node_is_never_split(tmp_path: Path) -> None:
    """A single node's files flattened: the web services address joins the openfire FQDN."""
    flat = tmp_path / "one"
    flat.mkdir()
    for f in (TWO / "fin1a.example.com").rglob("*.log"):
        shutil.copy(f, flat / f.name)
    report = scan([str(flat)])
    assert [n.name for n in report.nodes] == ["fin1a.example.com"]
    assert report.nodes[0].utc_offset_source == "webservices"


def test_path_and_content_that_disagree_are_warned(tmp_path: Path) -> None:
    root = tmp_path / "b"
    shutil.copytree(TWO / "fin1b.example.com", root / "fin1a.example.com")  # fin1b's logs under fin1a
    report = scan([str(root)])
    assert [n.name for n in report.nodes] == ["fin1a.example.com"]  # kept by path, never split
    assert any(
        "lies under node fin1a.example.com but its lines name fin1b.example.com" in w for w in report.warnings
    )


def test_a_folder_named_like_an_archive_is_no_host() -> None:
    """A host folder names the node; a folder named like an archive is where an input was (a
    redacted copy keeps each input so): it stands for the input's name, not a host's."""
    from finesse_logscan.routing import node_for, node_from_path

    layout = "20260304141600/activelog/desktop/logs/openfire/debug.log"
    assert node_from_path(f"fin1a.example.com/{layout}") == "fin1a.example.com"
    assert node_from_path(f"a.zip/{layout}") is None and node_from_path(f"b.tar.gz/{layout}") is None
    assert node_for(f"a.zip/{layout}", "r.zip") == "a" and node_for(f"b.tar.gz/{layout}", "r.zip") == "b"
    assert node_for(f"a.zip/fin1a.example.com/{layout}", "r.zip") == "fin1a.example.com"
    assert node_for(layout, "bundle.tgz") == "bundle" and node_for("a.zip", "r.zip") == "r"
    # a host folder above the archive a file lay in names its node; the archive does not
    assert node_for(layout, "in", within="fin1b.example.com/logs.zip") == "fin1b.example.com"
    assert node_for("debug.log.1", "in", within=f"fin1b/{layout}.1.zip") == "fin1b"
    assert node_for(layout, "outer.tgz", within="a.zip") == "outer"


def test_logs_zipped_inside_a_host_folder_belong_to_that_host(tmp_path: Path) -> None:
    """fin1b's logs zipped inside its host folder (and a rotated debug log zipped on its own):
    the host folder above the archive names the node, as for the files beside it."""
    import zipfile

    root = tmp_path / "in"
    shutil.copytree(TWO / "fin1a.example.com", root / "fin1a.example.com")
    host = TWO / "fin1b.example.com"
    (root / "fin1b.example.com").mkdir()
    with zipfile.ZipFile(root / "fin1b.example.com" / "logs.zip", "w") as zf:
        for f in sorted(host.rglob("*")):
            if f.is_file():
                zf.write(f, f.relative_to(host).as_posix())
    report = scan([str(root)])
    assert [(n.name, n.name_source) for n in report.nodes] == [
        ("fin1a.example.com", "path"),
        ("fin1b.example.com", "path"),
    ]
    assert _outcomes(report) == _outcomes(scan([str(TWO)]))
