"""Command line: parse options, call scan(), render, map the result to an exit status.

Only click and the option defaults are imported at start; the pipeline, the renderers and
dateutil come when a command has work to do (`--help` answers in a fraction of a second).
"""

from __future__ import annotations

import os
import re
import signal
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from click.core import ParameterSource

from . import __version__
from .options import Limits, ScanOptions, Thresholds, available_cores
from .render import FORMATS, renderer
from .status import FAIL_ON, ExitStatus, LogscanError

if TYPE_CHECKING:
    from .redact import Rule
    from .report import Report

F = TypeVar("F", bound=Callable[..., Any])

INTERRUPTED = 130
"""Exit status after Ctrl-C (128 + SIGINT), as shells report it."""


def exit_codes(*lines: str) -> str:
    return "\b\nExit status:\n" + "\n".join(f"  {line}" for line in lines)


REPORT_EXITS = exit_codes(
    "0    analysis done", "2    usage error, or no usable input", "130  interrupted (Ctrl-C)"
)
CHECK_EXITS = exit_codes(
    "0    nothing met --fail-on / --max-disconnects",
    "1    findings met --fail-on or --max-disconnects",
    "2    usage error, or no usable input",
    "130  interrupted (Ctrl-C)",
)


# -- option types ------------------------------------------------------------------------


def _when(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    """ISO 8601 only (a date, or a date and time; no offset = UTC): nothing fuzzy."""
    if value is None:
        return None
    from dateutil import parser as dateparser

    try:
        dt = dateparser.isoparse(value)
    except (ValueError, OverflowError) as exc:
        raise click.BadParameter(
            f"{value!r} is not an ISO 8601 time (e.g. 2026-03-04T14:05:00, 2026-03-04T14:05:00-06:00)"
        ) from exc
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _zone(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        from .timezones import ZoneError, parse_zone

        try:
            parse_zone(value)
        except ZoneError as exc:
            raise click.BadParameter(str(exc)) from exc
    return value


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$", re.I)


if TYPE_CHECKING:  # recent click types ParamType by what it converts to; 8.1 does not

    class _Bytes(click.ParamType[int]): ...

    class _Duration(click.ParamType[timedelta]): ...

else:
    _Bytes = _Duration = click.ParamType


class Size(_Bytes):
    """A number of bytes: 1048576, 500M, 20G, 1.5GiB (units are powers of 1024)."""

    name = "size"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        m = _SIZE.match(str(value))
        if not m:
            self.fail(f"{value!r} is not a size (e.g. 500M, 20G, 1073741824)", param, ctx)
        size = int(float(m[1]) * 1024 ** "KMGT".find(m[2].upper()) if m[2] else float(m[1]))
        if size < 1:
            self.fail(f"{value!r} is less than one byte", param, ctx)
        return size


_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*$", re.I)


class Span(_Duration):
    """A length of time: 90 (seconds), 30s, 5m, 1h."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> timedelta:
        if isinstance(value, timedelta):
            return value
        m = _SPAN.match(str(value))
        if not m:
            self.fail(f"{value!r} is not a duration (e.g. 30s, 5m, 1h)", param, ctx)
        unit = {"": 1, "s": 1, "m": 60, "h": 3600}[m[2].lower()]
        return timedelta(seconds=float(m[1]) * unit)


def _options(f: F, opts: list[Callable[[F], F]]) -> F:
    for opt in reversed(opts):
        f = opt(f)
    return f


def input_options(f: F) -> F:
    """What to read and how: every command that reads a bundle has these."""
    return _options(f, [
        click.argument("paths", nargs=-1, required=True, type=click.Path()),
        click.option("--server-tz", callback=_zone, metavar="ZONE",
                     help="Server time zone for openfire logs (IANA name or +-HH:MM); overrides what web services lines say."),
        click.option("--max-uncompressed", type=Size(), default=Limits.max_uncompressed_bytes, show_default="20G",
                     metavar="SIZE", help="Stop when archives decompress to more than this in total (e.g. 500M, 20G)."),
        click.option("--max-ratio", type=click.IntRange(1), default=Limits.max_ratio, show_default=True,
                     help="Stop when an archive member expands more than this many times."),
        click.option("--config", "config_file", type=click.Path(dir_okay=False), metavar="FILE",
                     help="Settings file (default: .finesse-logscan.toml or [tool.finesse-logscan] in pyproject.toml, "
                          "searched from the current folder upward). Options given here override it."),
        click.option("-q", "--quiet", is_flag=True, help="No progress bar on stderr (there is none when stderr is not a terminal)."),
        click.option("-j", "--jobs", type=click.IntRange(1), default=None, metavar="N",
                     help="Processes parsing at once (default: every available core). Same report with any number."),
    ])  # fmt: skip


def analysis_options(f: F) -> F:
    """What the diagnosis looks for, and what part of it to show."""
    return _options(f, [
        click.option("--agent", "agents", multiple=True, metavar="ID",
                     help="Show only this agent (repeatable); the diagnosis still covers the whole bundle."),
        click.option("--since", callback=_when, metavar="TIME",
                     help="Show only events at or after TIME (ISO 8601; UTC unless it has an offset)."),
        click.option("--until", callback=_when, metavar="TIME", help="Show only events at or before TIME."),
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
        click.option("--signatures", "signatures_file", type=click.Path(dir_okay=False), metavar="FILE",
                     help="Known-issue signatures of your own (TOML, the layout of 'finesse-logscan signatures --format json'), "
                          "used beside the built-in ones."),
    ])  # fmt: skip


def layout_options(f: F) -> F:
    """How the text report is laid out: width and colour."""
    return _options(f, [
        click.option("--width", type=click.IntRange(40, 1000), default=None, metavar="N",
                     help="Columns of the text report (default: $COLUMNS, the terminal's width, or 100 when not a terminal)."),
        click.option("--color/--no-color", default=None,
                     help="Colour the verdict and severities (default: on for a terminal, off when piped or NO_COLOR is set)."),
    ])  # fmt: skip


# -- running a scan -------------------------------------------------------------------------


def build_options(
    kw: dict[str, Any], progress: Callable[[int, int, str], None] | None = None, keep_events: bool = False
) -> ScanOptions:
    th = Thresholds()
    return ScanOptions(
        server_tz=kw["server_tz"],
        since=kw.get("since"),
        until=kw.get("until"),
        agents=tuple(kw.get("agents", ())),
        thresholds=Thresholds(
            storm_min_agents=kw.get("storm_agents", th.storm_min_agents),
            storm_min_fraction=kw.get("storm_fraction", th.storm_min_fraction),
            storm_window_s=kw.get("storm_window", th.storm_window_s),
            drift_threshold_ms=kw.get("drift_threshold", th.drift_threshold_ms),
            latency_threshold_ms=kw.get("latency_threshold", th.latency_threshold_ms),
        ),
        limits=Limits(max_uncompressed_bytes=kw["max_uncompressed"], max_ratio=kw["max_ratio"]),
        signatures_file=kw.get("signatures_file"),
        jobs=kw.get("jobs") or available_cores(),
        keep_events=keep_events,
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
    if "signatures" in values:  # a path in a settings file is relative to that file
        values["signatures_file"] = str(path.parent / values.pop("signatures"))
    options = {p.name: p for command in cli.commands.values() for p in command.params if p.name}
    for key, value in values.items():  # each setting in its option's range, as if typed
        if key in options:
            try:
                values[key] = options[key].type.convert(value, options[key], ctx)
            except click.BadParameter as exc:
                raise LogscanError(f"{path}: {key}: {exc.message}") from exc
    for key, value in values.items():
        if key in kw and ctx.get_parameter_source(key) in (ParameterSource.DEFAULT, None):
            kw[key] = value
    return path


def run_scan(kw: dict[str, Any], keep_events: bool = False) -> Report:
    paths = list(kw["paths"])
    missing = [p for p in paths if not os.path.lexists(p)]
    if len(missing) == len(paths):  # said before settings or the pipeline are even imported
        raise LogscanError(
            "no usable input: " + "; ".join(f"{p}: no such file or directory" for p in missing)
        )
    apply_settings(kw)
    since, until = kw.get("since"), kw.get("until")
    if since is not None and until is not None and since > until:
        raise click.UsageError(
            f"--since {since.isoformat()} is later than --until {until.isoformat()}: nothing could be shown"
        )
    bar = None
    if sys.stderr.isatty() and not kw.get("quiet"):
        from .render.progress import ProgressBar

        bar = ProgressBar(sys.stderr)
    options = build_options(kw, bar, keep_events)
    from .pipeline import scan  # the whole pipeline: imported only when there is work to do
    from .signatures import SignatureError

    try:
        report = scan(paths, options)
    except SignatureError as exc:
        raise LogscanError(str(exc)) from exc
    finally:
        if bar is not None:
            bar.clear()
    if not report.usable:
        problems = (
            report.errors
            or [w for w in report.warnings if w.code == "skipped"]
            or ["no Finesse log found (openfire, web services, client, syslog or dump files)"]
        )
        raise LogscanError(f"no usable input in {', '.join(paths)}: " + "; ".join(problems[:5]))
    return report


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


def use_color(color: bool | None, terminal: bool) -> bool:
    return color if color is not None else terminal and "NO_COLOR" not in os.environ


def render_report(report: Report, fmt: str, width: int | None, color: bool | None, to_file: bool) -> str:
    if fmt != "text":
        return renderer(fmt)(report)
    terminal = not to_file and sys.stdout.isatty()
    from .render import text

    return text.render(report, width=text_width(width, terminal), color=use_color(color, terminal))


def refuse_overwriting_inputs(paths: Iterable[str], outputs: dict[str, str | None]) -> None:
    """A usage error when a file this run would write (option -> path) is one of the inputs:
    the input would be lost (the tool never writes into the bundle it reads)."""
    for p in paths:
        if not os.path.isfile(p):
            continue
        for option, path in outputs.items():
            if path and os.path.exists(path) and os.path.samefile(p, path):
                raise click.UsageError(f"{option} {path} is the input {p}: write it elsewhere")


def write_file(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise LogscanError(f"{path}: cannot write ({exc.strerror or exc})") from exc


def emit(text: str, output: str | None, color: bool | None = None) -> None:
    """To the file, or stdout (where click keeps ANSI colour only on a terminal or when --color)."""
    if output and output != "-":
        write_file(output, text)
    else:
        click.echo(text, nl=False, color=color)


# -- commands -----------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="finesse-logscan")
@click.option(
    "--debug", is_flag=True, help="Let an internal error stop the run with its traceback (to report a bug)."
)
def cli(debug: bool) -> None:
    """Diagnose Cisco Finesse "Lost connection" (BOSH) disconnects from a diagnostics bundle
    (file get activelog /desktop recurs compress): folders, zip, tar.gz, nested, rotated."""
    if debug:  # a parser's internal error then raises instead of becoming a warning
        os.environ["FINESSE_LOGSCAN_STRICT"] = "1"


@cli.command(epilog=REPORT_EXITS)
@input_options
@analysis_options
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default="text", show_default=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the report here instead of stdout.",
)
@click.option(
    "--events",
    "events_file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Also write every event of the timeline to FILE (.csv, .ndjson or .parquet; schema in README).",
)
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Also write a self-contained HTML report (charts inline; needs the 'html' extra).",
)
@layout_options
def analyze(
    fmt: str,
    output: str | None,
    events_file: str | None,
    html_file: str | None,
    width: int | None,
    color: bool | None,
    **kw: Any,
) -> None:  # fmt: skip
    """Diagnose the bundle(s) at PATHS: who dropped, when, why, client-side or server-wide."""
    refuse_overwriting_inputs(kw["paths"], {"-o": output, "--events": events_file, "--html": html_file})
    if html_file:
        import importlib.util

        if importlib.util.find_spec("plotly") is None:
            raise LogscanError("--html needs Plotly: pip install 'finesse-logscan[html]'")
    report = run_scan(kw, keep_events=events_file is not None or html_file is not None)
    if html_file:
        from .bundle import read_lines
        from .render import html

        shown = report.shown()
        wanted: dict[str, set[int]] = {}
        for ev in html.evidence_of(shown):
            if ev.line:
                wanted.setdefault(ev.file, set()).add(ev.line)
        options = build_options(kw)
        originals = read_lines(list(kw["paths"]), wanted, options.limits)
        write_file(html_file, html.render(shown, options.thresholds, originals))
    if events_file:
        from . import export

        try:
            export.write(events_file, report.event_table)
        except export.ExportError as exc:
            raise LogscanError(str(exc)) from exc
    to_file = bool(output and output != "-")
    emit(render_report(report.shown(), fmt, width, color, to_file), output, color)


@cli.command(epilog=REPORT_EXITS)
@input_options
@analysis_options
@click.option("--incident", metavar="ID", help="Only the events of this incident (e.g. INC-002).")
@click.option(
    "--around", callback=_when, metavar="TIME", help="Only events within --window of TIME (ISO 8601)."
)
@click.option(
    "--window", type=Span(), default="5m", show_default=True, help="Half-width of --around (30s, 5m, 1h)."
)
@click.option(
    "--all",
    "every",
    is_flag=True,
    help="Every event of the timeline, not only the disconnect chains and server events.",
)
@click.option("--local", is_flag=True, help="Server-local times (with their offset) instead of UTC.")
@layout_options
def timeline(
    incident: str | None,
    around: datetime | None,
    window: timedelta,
    every: bool,
    local: bool,
    width: int | None,
    color: bool | None,
    **kw: Any,
) -> None:
    """The incident timeline of the bundle(s) at PATHS on its own: one row per event (time,
    agent, event, where it is logged). The analysis is the same as analyze's."""
    from .render import timeline as timeline_render

    report = run_scan(kw, keep_events=every)
    if incident is not None and incident not in {i.id for i in report.incidents}:
        known = ", ".join(i.id for i in report.incidents) or "none"
        raise click.BadParameter(
            f"no incident {incident} in this bundle (incidents: {known})", param_hint="--incident"
        )
    rows = timeline_render.select(report, incident, around, window, every)
    terminal = sys.stdout.isatty()
    click.echo(
        timeline_render.render(report, rows, text_width(width, terminal), local, use_color(color, terminal)),
        nl=False,
        color=color,
    )


@cli.command(epilog=REPORT_EXITS)
@input_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def files(fmt: str, **kw: Any) -> None:
    """List every file found in PATHS: family, node, lines parsed/unparsed, time range, warnings."""
    from .render import inventory

    report = run_scan(kw)
    width = text_width(None, sys.stdout.isatty())
    click.echo(inventory.render_json(report) if fmt == "json" else inventory.render(report, width), nl=False)


@cli.command(epilog=CHECK_EXITS)
@input_options
@analysis_options
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
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="What is printed on stdout: the check summary as text, or as JSON.",
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
@layout_options
def check(
    fail_on: str,
    max_disconnects: int | None,
    fmt: str,
    junit: str | None,
    sarif: str | None,
    gitlab: str | None,
    json_file: str | None,
    text_file: str | None,
    github: bool,
    width: int | None,
    color: bool | None,
    **kw: Any,
) -> None:  # fmt: skip
    """Run the analysis as a CI check on the bundle(s) at PATHS: exit 1 when findings meet
    --fail-on (default server-wide) or --max-disconnects; write CI reports pointing at log lines."""
    refuse_overwriting_inputs(
        kw["paths"],
        {"--junit": junit, "--sarif": sarif, "--gitlab": gitlab, "--json": json_file, "--text": text_file},
    )
    from . import checks
    from .render import check_summary
    from .render import github as github_render
    from .render import gitlab as gitlab_render
    from .render import junit as junit_render
    from .render import sarif as sarif_render

    kw["fail_on"], kw["max_disconnects"] = fail_on, max_disconnects
    report = run_scan(kw)
    fail_on, max_disconnects = kw["fail_on"], kw["max_disconnects"]
    found = checks.findings(report, fail_on, max_disconnects)
    status = checks.exit_status(found)
    outputs: dict[str | None, Callable[[], str]] = {
        junit: lambda: junit_render.render(report, found, fail_on),
        sarif: lambda: sarif_render.render(found, __version__, int(status)),
        gitlab: lambda: gitlab_render.render(found),
        json_file: lambda: renderer("json")(report.shown()),
        text_file: lambda: render_report(report.shown(), "text", width, False, True),
    }
    for path, make in outputs.items():
        if path:
            write_file(path, make())
    if github:
        click.echo(github_render.render(found), nl=False)
    terminal = sys.stdout.isatty()
    if fmt == "json":
        click.echo(check_summary.render_json(report, found, fail_on, max_disconnects, int(status)), nl=False)
    else:
        summary = check_summary.render(
            report, found, fail_on, max_disconnects, text_width(width, terminal), use_color(color, terminal)
        )
        click.echo(summary, nl=False, color=color)
    sys.exit(int(status))


@cli.command(name="signatures", epilog=exit_codes("0    listed", "2    a --signatures file is not valid"))
@click.option(
    "--signatures",
    "signatures_file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Also list (and check) the signatures of this file.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def signatures_cmd(signatures_file: str | None, fmt: str) -> None:
    """List the known-issue signatures: the built-in ones and, with --signatures, your own, each
    with where it comes from."""
    from . import signatures
    from .render import signature_list

    try:
        signatures.use(signatures.load_file(signatures_file) if signatures_file else ())
    except signatures.SignatureError as exc:
        raise LogscanError(str(exc)) from exc
    sigs = signatures.active()
    width = text_width(None, sys.stdout.isatty())
    click.echo(
        signature_list.render_json(sigs) if fmt == "json" else signature_list.render(sigs, width), nl=False
    )


@cli.command(
    epilog=exit_codes(
        "0    written (or, with --check, nothing identifying found)",
        "1    --check found something that looks identifying",
        "2    usage error, no usable input (nothing written) or unreadable rules",
        "130  interrupted (Ctrl-C)",
    )
)
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    metavar="OUT.zip",
    help="Where to write the redacted copy.",
)
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Your key (64 hex digits; created when the file does not exist). Same key, same tokens: "
    "bundles of one site redacted with it line up. Default: a new key written to OUT.zip.key.",
)
@click.option(
    "--map",
    "map_file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Where to keep the token -> original mapping (default OUT.zip.map.json; never inside OUT).",
)
@click.option(
    "--rules",
    "rules_file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="More redaction rules (TOML, the layout of finesse_logscan/data/redact_rules.toml).",
)
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Only report what looks identifying in PATHS (exit 1 if anything).",
)
@click.option("--reveal", metavar="TOKEN", help="Say what TOKEN stands for (needs --map).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar on stderr.")
@click.option("-j", "--jobs", type=click.IntRange(1), default=None, metavar="N",
              help="Processes learning and redacting at once (default: every available core). Same copy with any number.")  # fmt: skip
def redact(
    paths: tuple[str, ...],
    output: str | None,
    key_file: str | None,
    map_file: str | None,
    rules_file: str | None,
    check_only: bool,
    reveal: str | None,
    quiet: bool,
    jobs: int | None,
) -> None:  # fmt: skip
    """Write a shareable copy of the bundle(s) at PATHS with agents, names, extensions, phone
    numbers, e-mail addresses, host names, addresses and user agents replaced by consistent
    pseudonyms; `analyze` on the copy gives the same diagnosis. Or --check a bundle, or --reveal
    a token."""
    from . import redact as red

    try:
        if reveal is not None:
            _reveal(reveal, map_file)
        elif not paths:
            raise click.UsageError("give the bundle(s) to redact or check")
        elif check_only:
            _redact_check(list(paths), red.load_rules(rules_file))
        else:
            rules = red.load_rules(rules_file)
            _redact_write(list(paths), output, key_file, map_file, rules, quiet, jobs or available_cores())
    except red.RedactError as exc:
        raise LogscanError(str(exc)) from exc


def _reveal(token: str, map_file: str | None) -> None:
    from . import redact as red

    if not map_file:
        raise click.UsageError("--reveal needs --map FILE (the mapping written when the bundle was redacted)")
    found = red.reveal(token, map_file)
    if found is None:
        raise LogscanError(f"{token}: not in {map_file}")
    click.echo(f"{token} = {found[1]} ({found[0]})")


def _redact_check(paths: list[str], rules: tuple[Rule, ...]) -> None:
    from . import redact as red

    count = 0
    for s in red.iter_check(paths, rules):  # (counted as they come: an unredacted bundle has millions)
        count += 1
        if count <= 50:
            click.echo(f"{s.file}:{s.line}: {s.rule}: {s.value}")
    if count > 50:
        click.echo(f"... {count - 50} more")
    click.echo(f"{count} value(s) look identifying" if count else "nothing looks identifying")
    sys.exit(ExitStatus.FINDINGS if count else ExitStatus.OK)


def _redact_write(
    paths: list[str],
    output: str | None,
    key_file: str | None,
    map_file: str | None,
    rules: tuple[Rule, ...],
    quiet: bool,
    jobs: int,
) -> None:
    from . import redact as red

    if not output:
        raise click.UsageError("give the output with -o OUT.zip")
    out = Path(output).resolve()
    for p in paths:
        if Path(p).is_dir() and Path(p).resolve() in out.parents:
            raise click.UsageError(f"-o {output} lies inside the input {p}: write it elsewhere")
    # a new key is written once the copy is: nothing is left behind when it cannot be made
    new_key_path = None if key_file and Path(key_file).exists() else (key_file or f"{output}.key")
    refuse_overwriting_inputs(
        paths, {"-o": output, "--map": map_file or f"{output}.map.json", "--key-file": new_key_path}
    )
    if new_key_path is None:
        key = red.read_key(str(key_file))
    else:
        key = red.new_key()
        if not Path(new_key_path).resolve().parent.is_dir():
            raise click.UsageError(f"{new_key_path}: its folder does not exist")
    bar = None
    if sys.stderr.isatty() and not quiet:
        from .render.progress import ProgressBar

        bar = ProgressBar(sys.stderr)
    try:
        result, names = red.redact(paths, str(out), key, rules, progress=bar, jobs=jobs)
    finally:
        if bar is not None:
            bar.clear()
    if new_key_path is not None:
        write_file(new_key_path, key.hex() + "\n")
        click.echo(f"key: {new_key_path} (keep it: the same key gives the same tokens)", err=True)
    mapping = map_file or f"{output}.map.json"
    red.write_mapping(mapping, names)
    click.echo(
        f"{output}: {result.files} file(s), {result.lines} lines redacted; mapping in {mapping} (keep it private)"
    )
    for kind, n in sorted(result.replaced.items()):
        click.echo(f"  {kind}: {n} replaced")
    for display, reason in result.left_out:
        click.echo(f"  left out: {display}: {reason}" if display else f"  error: {reason}")


def main() -> None:
    """The console entry point: click's own handling, plus Ctrl-C (exit 130, one line) and a
    reader that went away (`| head`: stop quietly)."""
    if hasattr(signal, "SIGPIPE"):  # `| head` closed the pipe: end quietly, as Unix tools do
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        code = cli.main(standalone_mode=False)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, EOFError):  # (click turns an EOFError into Abort: not a Ctrl-C)
            click.echo(f"Error: input ended early: {exc.__cause__}", err=True)
            sys.exit(ExitStatus.ERROR)
        click.echo("interrupted", err=True)
        sys.exit(INTERRUPTED)
    except KeyboardInterrupt:
        click.echo("\ninterrupted", err=True)
        sys.exit(INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else ExitStatus.OK)
