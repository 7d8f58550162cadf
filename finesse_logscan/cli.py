"""Command line: parse options, call scan(), render, map the result to an exit status."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import click
from dateutil import parser as dateparser

from . import __version__
from .bundle import Limits
from .options import ScanOptions, Thresholds
from .render import RENDERERS
from .report import Report
from .scan import scan
from .status import LogscanError
from .timezones import ZoneError, parse_zone

F = TypeVar("F", bound=Callable[..., Any])

EXIT_CODES_HELP = """\b
Exit status:
  0  analysis done; nothing met --fail-on
  1  findings met --fail-on (check only)
  2  usage error, or no usable input"""


def _when(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        dt = dateparser.isoparse(value) if "T" in value else dateparser.parse(value)
    except (ValueError, OverflowError) as exc:
        raise click.BadParameter(f"not a date/time: {value!r}") from exc
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _zone(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
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
        click.option("--max-ratio", type=click.IntRange(1), default=Limits.max_ratio, show_default=True,
                     help="Stop when an archive member expands more than this many times."),
    ]  # fmt: skip
    for opt in reversed(opts):
        f = opt(f)
    return f


def build_options(kw: dict[str, Any]) -> ScanOptions:
    progress = None
    if sys.stderr.isatty():

        def progress(name: str) -> None:
            click.echo(f"\r\x1b[Kreading {name[-100:]}", nl=False, err=True)

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


def run_scan(kw: dict[str, Any]) -> Report:
    options = build_options(kw)
    report = scan(list(kw["paths"]), options)
    if options.progress is not None:
        click.echo("\r\x1b[K", nl=False, err=True)
    if not report.usable:
        problems = (
            report.errors
            or [w for w in report.warnings if w.startswith("skipped")]
            or ["no Finesse log found"]
        )
        raise LogscanError("no usable input: " + "; ".join(problems[:5]))
    return report


def emit(text: str, output: str | None) -> None:
    if output and output != "-":
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        click.echo(text, nl=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="finesse-logscan")
def cli() -> None:
    """Diagnose Cisco Finesse "Lost connection" (BOSH) disconnects from a diagnostics bundle
    (file get activelog /desktop recurs compress): folders, zip, tar.gz, nested, rotated."""


@cli.command(epilog=EXIT_CODES_HELP)
@scan_options
@click.option("--format", "fmt", type=click.Choice(sorted(RENDERERS)), default="text", show_default=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the report here instead of stdout.",
)
def analyze(fmt: str, output: str | None, **kw: Any) -> None:
    """Diagnose the bundle(s) at PATHS: who dropped, when, why, client-side or server-wide."""
    report = run_scan(kw)
    emit(RENDERERS[fmt](report), output)


@cli.command(epilog=EXIT_CODES_HELP)
@scan_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def files(fmt: str, **kw: Any) -> None:
    """List every file found in PATHS: family, node, lines parsed/unparsed, time range, warnings."""
    from .render import inventory

    report = run_scan(kw)
    click.echo(inventory.render_json(report) if fmt == "json" else inventory.render(report), nl=False)


@cli.command(name="signatures")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def signatures_cmd(fmt: str) -> None:
    """List the known-issue signatures (finesse_logscan/data/signatures.toml)."""
    from . import signatures
    from .render import signature_list

    sigs = signatures.builtin()
    click.echo(signature_list.render_json(sigs) if fmt == "json" else signature_list.render(sigs), nl=False)


def main() -> None:  # pragma: no cover - console entry for `python -m`
    cli()
