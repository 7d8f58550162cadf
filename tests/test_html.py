"""The HTML report: self-contained, escaped, and working in a real (headless) browser; and the
event export for other tools."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from finesse_logscan.cli import cli

from .builders import Node
from .conftest import write

pytest.importorskip("plotly")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
BROWSER_OWN = ("google.com", "googleapis.com", "gvt1.com", "gstatic.com")
"""Hosts Chromium itself calls in the background (updates, time): not the page's requests."""


def _hostile(tmp_path: Path) -> Path:
    n = Node(tmp_path / "b")
    for i, agent in enumerate(("1001001", "1001002")):
        n.full_drop(agent, f"s{i}", 0, 300 + i)
    root = n.write()
    evil = "<script>alert('x')</script>\" onmouseover=\"alert(1)"
    write(root / "fin1" / "syslog" / "CiscoSyslog",
          f"Mar  4 14:06:05 fin1 local7 2 : 6: fin1.example.com: Mar 04 2026 20:06:05.000 UTC : "
          f"%UC_SERVICEMANAGER-2-ServiceFailed: %[ServiceName=Cisco Finesse Notification Service {evil}]: x\n")  # fmt: skip
    write(root / "fin1" / "desktop" / "logs" / "openfire" / "<script>.log", "not a log\n")
    return root


def test_log_text_is_escaped_everywhere(tmp_path: Path, runner: CliRunner) -> None:
    out = tmp_path / "r.html"
    result = runner.invoke(cli, ["analyze", str(_hostile(tmp_path)), "--html", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert "<script>alert" not in page and 'onmouseover="alert' not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "&lt;script&gt;.log" in page
    assert page.count("<script") == page.count("</script>")


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (.ci/run installs it)")
@pytest.mark.parametrize(
    "bundle", ["client-side", "server-wide", "notification-service-crash.zip", "two-node"]
)
def test_report_works_in_a_real_browser(
    in_root: Path, runner: CliRunner, tmp_path: Path, bundle: str
) -> None:
    page = tmp_path / "report.html"
    assert runner.invoke(cli, ["analyze", f"sample_logs/{bundle}", "--html", str(page)]).exit_code == 0
    data = json.loads(runner.invoke(cli, ["analyze", f"sample_logs/{bundle}", "--format", "json"]).output)
    flags = [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps",
        "--disable-features=Translate,OptimizationHints,MediaRouter,SpellCheck", "--disable-domain-reliability",
        f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
        f"--log-net-log={tmp_path / 'net.json'}", "--virtual-time-budget=8000",
    ]  # fmt: skip
    dom = subprocess.run(
        [CHROMIUM, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120
    )
    console = [x for x in dom.stderr.splitlines() if "CONSOLE" in x]
    assert console == []  # no error, no warning, nothing
    requests = set(re.findall(r'"url":"(https?://[^"/]+)', (tmp_path / "net.json").read_text()))
    assert {u for u in requests if not u.endswith(BROWSER_OWN)} == set()
    assert dom.stdout.count("main-svg") >= 2  # the charts drew
    assert "BOSH session" in dom.stdout  # the swimlane shows the sessions
    assert "Closing idle session" in dom.stdout or "Presence" in dom.stdout  # evidence's original lines
    for d in data["disconnects"]:
        assert d["agent"] in dom.stdout
    shot = tmp_path / "report.png"
    subprocess.run([CHROMIUM, *flags, "--window-size=1400,2000", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=120)  # fmt: skip
    assert shot.stat().st_size > 10_000


@pytest.mark.parametrize("suffix", [".csv", ".ndjson", ".parquet"])
def test_event_export(in_root: Path, runner: CliRunner, tmp_path: Path, suffix: str) -> None:
    from finesse_logscan.export import COLUMNS

    out = tmp_path / f"events{suffix}"
    assert (
        runner.invoke(
            cli, ["analyze", "sample_logs/client-side", "--events", str(out), "-o", str(tmp_path / "r")]
        ).exit_code
        == 0
    )
    names = [c for c, _ in COLUMNS]
    if suffix == ".csv":
        with out.open(newline="") as fh:
            rows = list(csv.DictReader(fh))
    elif suffix == ".ndjson":
        rows = [json.loads(x) for x in out.read_text().splitlines()]
    else:
        import pyarrow.parquet as pq

        rows = pq.read_table(out).to_pylist()
    assert list(rows[0]) == names
    kinds = {r["kind"] for r in rows}
    assert {"idle-close", "presence-unavailable", "presence-driven-logout", "client-drift"} <= kinds
    close = next(r for r in rows if r["kind"] == "idle-close")
    assert close["time_utc"].endswith("Z") and close["time_server_local"].endswith("-06:00")
    assert close["time_as_logged"].startswith("2026.03.04") and close["session"] and int(close["line"]) > 0


def test_event_export_refuses_an_unknown_suffix(in_root: Path, runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["analyze", "sample_logs/client-side", "--events", str(tmp_path / "e.xlsx")])
    assert result.exit_code == 2 and ".csv, .ndjson, .parquet" in result.output
