"""Command line: parse options, call scan(), render, map the result to an exit status."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from click.core import ParameterSource

from . import __version__
from .bundle import Limits
from .options import ScanOptions, Thresholds
from .render import FORMATS, renderer
from .status import FAIL_ON, LogscanError

if TYPE_CHECKING:
    from .report import Report

F = TypeVar("F", bound=Callable[..., Any])

EXIT_CODES_HELP = """\b
Exit status:
  0  analysis done; nothing met --fail-on
  1  findings met --fail-on (check only)
  2  usage error, or no usable input"""


def _when(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    from dateutil import parser as dateparser

    try:
        dt = dateparser.isoparse(value) if "T" in value else dateparser.parse(value)
    except (ValueError, OverflowError) as exc:
        raise click.BadParameter(f"not a date/time: {value!r}") from exc
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _zone(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        from .timezones import ZoneError, parse_zone

        try:
            parse_zone(value)
        except ZoneError as exc:
            raise click.BadParameter(str(exc)) from exc
    return value


def scan_options(f: F) -> F:
    """Options shared by every command that analyses a bundle."""
    opts = [
        click.argument("paths", nargs=-1, required=True, type=click.Path()),
        click.option("--server-tz", callback=_zone, metavar="ZONE",
                     help="Server time zone for openfire logs (IANA name or +-HH:MM); overrides what web services lines say."),
        click.option("--agent", "agents", multiple=True, metavar="ID", help="Only this agent (repeatable)."),
        click.option("--since", callback=_when, metavar="TIME", help="Only events at or after TIME (ISO 8601; UTC unless it has an offset)."),
        click.option("--until", callback=_when, metavar="TIME", help="Only events at or before TIME."),
        click.option("--storm-agents", type=click.IntRange(1), default=Thresholds.storm_min_agents, show_default=True,
                     help="Server-wide needs at least this many agents dropping together."),
        click.option("--storm-fraction", type=click.FloatRange(0, 1), default=Thresholds.storm_min_fraction, show_default=True,
                     help="...and at least this fraction of the agents with a live session."),
        click.option("--storm-window", type=click.IntRange(1), default=Thresholds.storm_window_s, show_default=True,
                     metavar="SECONDS", help="...within this many seconds."),
        click.option("--drift-threshold", type=click.IntRange(0), default=Thresholds.drift_threshold_ms, show_default=True,
                     metavar="MS", help="Flag clock-drift when an agent's median |drift| is above this."),
        click.option("--latency-threshold", type=click.IntRange(0), default=Thresholds.latency_threshold_ms,
                     show_default=True, metavar="MS", help="Flag high-latency when an agent's max round trip is above this."),
        click.option("--max-uncompressed", type=click.IntRange(1), default=Limits.max_uncompressed_bytes, show_default=True,
                     metavar="BYTES", help="Stop when archives decompress to more than this in total."),
        click.option("--config", "config_file", type=click.Path(dir_okay=False), metavar="FILE",
                     help="Settings file (default: .finesse-logscan.toml or [tool.finesse-logscan] in pyproject.toml, "
                          "searched from the current folder upward). Options given here override it."),
        click.option("--max-ratio", type=click.IntRange(1), default=Limits.max_ratio, show_default=True,
                     help="Stop when an archive member expands more than this many times."),
        click.option("-q", "--quiet", is_flag=True, help="No progress bar on stderr (there is none when stderr is not a terminal)."),
    ]  # fmt: skip
    for opt in reversed(opts):
        f = opt(f)
    return f


def build_options(kw: dict[str, Any], progress: Callable[[int, int, str], None] | None = None) -> ScanOptions:
    return ScanOptions(
        server_tz=kw["server_tz"],
        since=kw["since"],
        until=kw["until"],
        agents=tuple(kw["agents"]),
        thresholds=Thresholds(
            storm_min_agents=kw["storm_agents"],
            storm_min_fraction=kw["storm_fraction"],
            storm_window_s=kw["storm_window"],
            drift_threshold_ms=kw["drift_threshold"],
            latency_threshold_ms=kw["latency_threshold"],
        ),
        limits=Limits(max_uncompressed_bytes=kw["max_uncompressed"], max_ratio=kw["max_ratio"]),
        progress=progress,
    )


def apply_settings(kw: dict[str, Any]) -> Path | None:
    """Fill every option not given on the command line from the settings file, if any."""
    from . import settings

    ctx = click.get_current_context()
    path = Path(kw["config_file"]) if kw.get("config_file") else settings.find(Path.cwd())
    if path is None:
        return None
    try:
        values = settings.load(path)
    except settings.SettingsError as exc:
        raise LogscanError(str(exc)) from exc
    for key, value in values.items():
        if key in kw and ctx.get_parameter_source(key) in (ParameterSource.DEFAULT, None):
            kw[key] = value
    return path


def layout_options(f: F) -> F:
    """How the text report is laid out: width and colour."""
    f = click.option(
        "--width", type=click.IntRange(40, 1000), default=None, metavar="N",
        help="Columns of the text report (default: $COLUMNS, the terminal's width, or 100 when not a terminal).",
    )(f)  # fmt: skip
    return click.option(
        "--color/--no-color", default=None,
        help="Colour the verdict and severities (default: on for a terminal, off when piped or NO_COLOR is set).",
    )(f)  # fmt: skip


def text_width(width: int | None, to_terminal: bool) -> int:
    if width is not None:
        return width
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) >= 40:
        return int(columns)
    if to_terminal:
        import shutil

        return max(40, shutil.get_terminal_size((100, 24)).columns)
    return 100


def render_report(report: Report, fmt: str, width: int | None, color: bool | None, to_file: bool) -> str:
    if fmt != "text":
        return renderer(fmt)(report)
    terminal = not to_file and sys.stdout.isatty()
    if color is None:
        color = terminal and "NO_COLOR" not in os.environ
    from .render import text

    return text.render(report, width=text_width(width, terminal), color=color)


def write_file(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise LogscanError(f"{path}: cannot write ({exc.strerror or exc})") from exc


def run_scan(kw: dict[str, Any]) -> Report:
    apply_settings(kw)
    since, until = kw.get("since"), kw.get("until")
    if since is not None and until is not None and since > until:
        raise click.UsageError(
            f"--since {since.isoformat()} is later than --until {until.isoformat()}: nothing could be shown"
        )
    missing = [p for p in kw["paths"] if not os.path.lexists(p)]
    if len(missing) == len(kw["paths"]):  # said before the pipeline is even imported
        raise LogscanError(
            "no usable input: " + "; ".join(f"{p}: no such file or directory" for p in missing)
        )
    bar = None
    if sys.stderr.isatty() and not kw.get("quiet"):
        from .render.progress import ProgressBar

        bar = ProgressBar(sys.stderr)
    options = build_options(kw, bar)
    from .pipeline import scan  # the whole pipeline: imported only when there is work to do

    try:
        report = scan(list(kw["paths"]), options)
    finally:
        if bar is not None:
            bar.clear()
    if not report.usable:
        problems = (
            report.errors
            or [w for w in report.warnings if w.startswith("skipped")]
            or ["no Finesse log found"]
        )
        raise LogscanError("no usable input: " + "; ".join(problems[:5]))
    return report


def emit(text: str, output: str | None, color: bool | None = None) -> None:
    """To the file, or stdout (where click keeps ANSI colour only on a terminal or when --color)."""
    if output and output != "-":
        write_file(output, text)
    else:
        click.echo(text, nl=False, color=color)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="finesse-logscan")
def cli() -> None:
    """Diagnose Cisco Finesse "Lost connection" (BOSH) disconnects from a diagnostics bundle
    (file get activelog /desktop recurs compress): folders, zip, tar.gz, nested, rotated."""


@cli.command(epilog=EXIT_CODES_HELP)
@scan_options
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default="text", show_default=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the report here instead of stdout.",
)
@layout_options
def analyze(fmt: str, output: str | None, width: int | None, color: bool | None, **kw: Any) -> None:
    """Diagnose the bundle(s) at PATHS: who dropped, when, why, client-side or server-wide."""
    report = run_scan(kw)
    to_file = bool(output and output != "-")
    emit(render_report(report.shown(), fmt, width, color, to_file), output, color)


@cli.command(epilog=EXIT_CODES_HELP)
@scan_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def files(fmt: str, **kw: Any) -> None:
    """List every file found in PATHS: family, node, lines parsed/unparsed, time range, warnings."""
    from .render import inventory

    report = run_scan(kw)
    click.echo(inventory.render_json(report) if fmt == "json" else inventory.render(report), nl=False)


@cli.command(epilog=EXIT_CODES_HELP)
@scan_options
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    default="server-wide",
    show_default=True,
    help="Exit 1 when an incident of this class is found (any: any disconnect; never: report only).",
)
@click.option(
    "--max-disconnects",
    type=click.IntRange(0),
    default=None,
    metavar="N",
    help="Also exit 1 when there are more than N disconnects.",
)
@click.option("--junit", type=click.Path(dir_okay=False), metavar="FILE", help="Write a JUnit XML report.")
@click.option("--sarif", type=click.Path(dir_okay=False), metavar="FILE", help="Write a SARIF 2.1.0 report.")
@click.option(
    "--gitlab", type=click.Path(dir_okay=False), metavar="FILE", help="Write a GitLab Code Quality report."
)
@click.option(
    "--json", "json_file", type=click.Path(dir_okay=False), metavar="FILE", help="Write the JSON report."
)
@click.option(
    "--text", "text_file", type=click.Path(dir_okay=False), metavar="FILE", help="Write the text report."
)
@click.option(
    "--github", is_flag=True, help="Print GitHub Actions annotations (::error file=...,line=...::) on stdout."
)
def check(
    fail_on: str,
    max_disconnects: int | None,
    junit: str | None,
    sarif: str | None,
    gitlab: str | None,
    json_file: str | None,
    text_file: str | None,
    github: bool,
    **kw: Any,
) -> None:
    """Run the analysis as a CI check on the bundle(s) at PATHS: exit 1 when findings meet
    --fail-on (default server-wide) or --max-disconnects; write CI reports pointing at log lines."""
    from .render import github as github_render
    from .render import gitlab as gitlab_render
    from .render import junit as junit_render
    from .render import sarif as sarif_render

    kw["fail_on"], kw["max_disconnects"] = fail_on, max_disconnects
    report = run_scan(kw)
    fail_on, max_disconnects = kw["fail_on"], kw["max_disconnects"]
    from . import checks

    found = checks.findings(report, fail_on, max_disconnects)
    status = checks.exit_status(found)
    outputs = {
        junit: lambda: junit_render.render(report, found, fail_on),
        sarif: lambda: sarif_render.render(found, __version__, int(status)),
        gitlab: lambda: gitlab_render.render(found),
        json_file: lambda: renderer("json")(report.shown()),
        text_file: lambda: renderer("text")(report.shown()),
    }
    for path, make in outputs.items():
        if path:
            write_file(path, make())
    if github:
        click.echo(github_render.render(found), nl=False)
    failing = [f for f in found if f.failing]
    click.echo(f"verdict: {report.verdict}: {report.verdict_reason}")
    click.echo(
        f"{len(report.disconnects)} disconnect(s), {len(report.incidents)} incident(s), "
        f"{len(report.server_events)} server event(s), {len(report.warnings)} warning(s)"
    )
    if report.filter:
        click.echo(
            f"({report.filter.describe()} narrows the written reports only; this check covers the whole bundle)"
        )
    for f in found:
        mark = "FAIL" if f.failing else "info"
        click.echo(f"  [{mark}] {f.rule_id}: {f.title} ({f.location.where})")
    if failing:
        click.echo(
            f"check failed: {len(failing)} finding(s) meet --fail-on {fail_on}"
            + (f" / --max-disconnects {max_disconnects}" if max_disconnects is not None else "")
        )
    else:
        click.echo(f"check passed: nothing meets --fail-on {fail_on}")
    sys.exit(int(status))


@cli.command(name="signatures")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def signatures_cmd(fmt: str) -> None:
    """List the known-issue signatures (finesse_logscan/data/signatures.toml)."""
    from . import signatures
    from .render import signature_list

    sigs = signatures.builtin()
    click.echo(signature_list.render_json(sigs) if fmt == "json" else signature_list.render(sigs), nl=False)
