"""The default human report, laid out for a terminal `width` columns wide.

Order: the verdict (one line) and its counts; what weakens it (times assumed UTC, damaged or
skipped input); each incident with its evidence and actions; then the details (timeline,
disconnects, agents' clients, server events, inputs, other warnings, the technote's checklist).
No line is wider than `width`: prose wraps, tables drop their least useful columns and cut
cells with '…'. Files are named as inside the bundle (`openfire/debug.log:422`); where the
bundle lies is said once, under Inputs. Times: seconds in the summary parts, milliseconds in
the timeline. Colour (verdict, severities) only when asked for.
"""

from __future__ import annotations

import textwrap
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

import click
from tabulate import tabulate

from ..guidance import CLIENT_SIDE, SERVER_WIDE
from ..report import Evidence, Incident, Report, in_bundle
from .paths import common_dir

DEFAULT_WIDTH = 100
MIN_WIDTH = 40
MAX_EVIDENCE = 10
MAX_TIMELINE_ROWS = 60
MAX_WARNINGS = 30
ELLIPSIS = "…"

CAVEAT_WORDS = ("taken as UTC", "corrupt", "truncated", "cannot", "skipped", "no such file", "not a regular",
                "repeated DST", "decompress", "nested", "internal error", "timeTracker")  # fmt: skip
"""Warnings that change what the verdict can be trusted for: shown right after it."""

VERDICT_COLOURS = {
    "server-wide": "red",
    "mixed": "yellow",
    "client-side": "yellow",
    "no-disconnects": "green",
}
SEVERITY_COLOURS = {"critical": "red", "warning": "yellow", "info": "cyan"}


def cut(text: str, width: int) -> str:
    """`text` in at most `width` columns, ending with '…' when cut (kept within `width` bytes
    too, for tools that count the ellipsis's three bytes)."""
    if len(text) <= width:
        return text
    return text[: max(0, width - 3)] + ELLIPSIS if width > 3 else text[:width]


def browser(user_agent: str | None) -> str:
    """'Mozilla/5.0 ... Chrome/120.0.0.0 Safari/537.36' -> 'Chrome 120' (check it against the
    compatibility matrix); '-' when the client log has no User-Agent line."""
    if not user_agent:
        return "-"
    for token, name in (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
                        ("Trident/", "IE"), ("Safari/", "Safari")):  # fmt: skip
        at = user_agent.find(token)
        if at >= 0:
            version = user_agent[at + len(token) :].split(".", 1)[0].split(" ", 1)[0]
            return f"{name} {version}".strip()
    return cut(user_agent, 30)


def _sec(dt: datetime | None) -> str:
    return dt.strftime("%H:%M:%S") if dt else "-"


def _ms(dt: datetime | None) -> str:
    return f"{dt:%H:%M:%S}.{dt.microsecond // 1000:03d}" if dt else "-"


def _day(dt: datetime | None) -> str:
    return dt.strftime("%Y-%m-%d") if dt else "-"


def cut_middle(text: str, width: int) -> str:
    """A path in at most `width` characters, keeping its end (the file's line number)."""
    if len(text) <= width:
        return text
    if width < 7:
        return cut(text, width)
    head = (width - 3) // 5  # the end says most: the file and its line
    return text[:head] + ELLIPSIS + text[len(text) - (width - 3 - head) :]


PATH_COLUMNS = frozenset({"evidence", "file:line", "file", "from"})
"""Columns cut in the middle, so the line number stays."""
WHOLE_COLUMNS = frozenset({"UTC", "agent", "drop", "last poll", "idle close", "presence off", "logout"})
"""Columns never cut (times and agents are read whole or not at all)."""


def fit_table(
    rows: Sequence[Sequence[object]], headers: Sequence[str], width: int, drop: Sequence[str] = ()
) -> str:
    """A 'simple' table no wider than `width`: the columns named in `drop` go first (in that
    order) while it is too wide, then the widest column is cut, one character at a time, with
    '…' (paths in the middle)."""
    cols = list(headers)
    data = [[str(c) for c in r] for r in rows]
    for name in drop:
        if _table_width(data, cols) <= width:
            break
        if name in cols:
            i = cols.index(name)
            cols.pop(i)
            data = [r[:i] + r[i + 1 :] for r in data]
    widths = [max([len(r[i]) for r in data], default=0) for i in range(len(cols))]
    limits = list(widths)
    cuttable = [k for k, h in enumerate(cols) if h not in WHOLE_COLUMNS]
    while (
        cuttable
        and sum(max(lim, len(h) + 2) for lim, h in zip(limits, cols, strict=True)) + 2 * (len(cols) - 1)
        > width
    ):
        i = max(cuttable, key=lambda k: limits[k])
        if limits[i] <= max(len(cols[i]), 6):
            break  # nothing sensible left to cut
        limits[i] -= 1
    if limits != widths:
        data = [[(cut_middle if cols[i] in PATH_COLUMNS else cut)(c, limits[i]) for i, c in enumerate(r)]
                for r in data]  # fmt: skip
    return tabulate(data, headers=cols, tablefmt="simple", disable_numparse=True)


def _table_width(data: list[list[str]], cols: list[str]) -> int:
    """As tabulate lays it out: headers get two spaces of padding, columns two between."""
    widths = [max([len(h) + 2] + [len(r[i]) for r in data]) for i, h in enumerate(cols)]
    return sum(widths) + 2 * (len(cols) - 1)


class _Out:
    def __init__(self, width: int, color: bool) -> None:
        self.width = max(MIN_WIDTH, width)
        self.color = color
        self.lines: list[str] = []

    def line(self, text: str = "") -> None:
        self.lines.append(cut(text, self.width))

    def styled(self, text: str, **style: object) -> None:
        plain = cut(text, self.width)
        self.lines.append(click.style(plain, **style) if self.color else plain)  # type: ignore[arg-type]

    def para(self, text: str, indent: str = "", first: str | None = None) -> None:
        """Wrapped prose: `first` starts the first line, `indent` the others."""
        lead = indent if first is None else first
        self.lines.extend(
            textwrap.wrap(text, self.width, initial_indent=lead, subsequent_indent=indent,
                          break_long_words=True, break_on_hyphens=False) or [lead.rstrip()]
        )  # fmt: skip

    def block(self, text: str) -> None:
        self.lines.extend(text.splitlines())

    def heading(self, text: str) -> None:
        self.lines.append("")
        self.styled(text, bold=True)


def _where(ev: Evidence, nodes: int) -> str:
    """Evidence inside the bundle; with several nodes, prefixed by the node's host name."""
    return f"{short_node(ev.node)}:{ev.short}" if nodes > 1 and ev.node else ev.short


def short_node(node: str) -> str:
    """'fin1a.example.com' -> 'fin1a' (an address stays whole)."""
    return node if node.replace(".", "").isdigit() else node.split(".", 1)[0]


def _is_caveat(message: str) -> bool:
    return any(word in message for word in CAVEAT_WORDS)


def render(report: Report, width: int = DEFAULT_WIDTH, color: bool = False) -> str:
    """Verdict and counts, caveats, each incident, then the details, inputs, warnings and the
    technote's checklists."""
    out = _Out(width, color)
    _verdict(out, report)
    _messages(out, "Caveats", [m for m in report.warnings if _is_caveat(m)], "!")
    for inc in report.incidents:
        _incident(out, report, inc)
    _details(out, report)
    _inputs(out, report)
    _messages(out, "Warnings", [m for m in report.warnings if not _is_caveat(m)], "-")
    for cls in sorted({i.classification for i in report.incidents}):
        out.heading(f"The technote's {cls} checklist")
        for i, a in enumerate(CLIENT_SIDE if cls == "client-side" else SERVER_WIDE, 1):
            out.para(a, indent="      ", first=f"  {i:>2}. ")
    return "\n".join(out.lines) + "\n"


def _verdict(out: _Out, report: Report) -> None:
    """The verdict in one sentence, then the counts (of the whole bundle, also when filtered)."""
    tot = report.totals
    n_disc = tot.get("disconnects", len(report.disconnects))
    n_agents = tot.get("agents_with_disconnects", len({d.agent for d in report.disconnects}))
    n_inc = tot.get("incidents", len(report.incidents))
    n_srv = tot.get("server_events", len(report.server_events))
    verdict = f"{report.verdict.upper()}: {report.verdict_reason}"
    if out.color:
        first, *rest = textwrap.wrap(verdict, out.width, subsequent_indent="  ", break_on_hyphens=False) or [
            verdict
        ]
        head, _, tail = first.partition(":")
        out.lines.append(click.style(head, fg=VERDICT_COLOURS.get(report.verdict), bold=True) + ":" + tail)
        out.lines.extend(rest)
    else:
        out.para(verdict, indent="  ", first="")
    window = ""
    if report.window_start and report.window_end:
        window = f"; {_day(report.window_start)} {_sec(report.window_start)}-{_sec(report.window_end)} UTC"
    out.para(f"{n_disc} disconnect(s) of {n_agents} agent(s) among {report.agents_seen} seen; {n_inc} incident(s); "
             f"{n_srv} server event(s){window}", indent="  ", first="")  # fmt: skip
    if report.filter:
        out.para(f"shown: {report.filter.describe()}: {len(report.disconnects)} of {n_disc} disconnect(s), "
                 f"{len(report.incidents)} of {n_inc} incident(s); verdict and incidents cover the whole bundle",
                 indent="  ", first="")  # fmt: skip


def _incident(out: _Out, report: Report, inc: Incident) -> None:
    """Summary, agents, evidence (server evidence cited, then each drop's chain) and actions."""
    nodes = len(report.nodes)
    ds = [d for d in report.disconnects if d.incident == inc.id]
    span = _sec(inc.start) if _sec(inc.start) == _sec(inc.end) else f"{_sec(inc.start)}-{_sec(inc.end)}"
    out.heading(f"{inc.id}  {inc.classification}  {_day(inc.start)} {span} UTC")
    out.para(inc.summary, indent="  ", first="  ")
    if len(inc.agents) > 1:
        out.para(", ".join(inc.agents), indent="    ", first="  agents: ")
    rows = [[e.event, _sec(e.time), _where(e, nodes)] for e in inc.evidence]
    for d in ds:
        rows += [[f"{e.event} ({d.agent})", _sec(e.time), _where(e, nodes)] for e in d.evidence]
    if rows:
        shown = rows[:MAX_EVIDENCE]
        out.line("  evidence:")
        table = fit_table(shown, ["event", "UTC", "file:line"], out.width - 4)
        out.block(textwrap.indent("\n".join(table.splitlines()[2:]), "    "))
        if len(rows) > len(shown):
            out.line(f"    ... {len(rows) - len(shown)} more (finesse-logscan timeline --incident {inc.id})")
    generic = CLIENT_SIDE if inc.classification == "client-side" else SERVER_WIDE
    out.line("  recommended actions:")
    for a in [a for a in inc.recommended_actions if a not in generic]:
        out.para(a, indent="      ", first="    - ")
    out.line(f"    - and the technote's {inc.classification} checklist (end of report)")


def _details(out: _Out, report: Report) -> None:
    """The timeline of chain and server events, disconnects, client health, server events."""
    w, nodes = out.width, len(report.nodes)
    if report.timeline:
        rows_t = [[_ms(e.time), e.agent or "-", e.event, _where(e, nodes), e.server_local[11:23] or "-",
                   e.time_text or "-"] for e in report.timeline]  # fmt: skip
        out.heading(f"Timeline (UTC, {_day(report.timeline[0].time)})")
        out.block(fit_table(rows_t[:MAX_TIMELINE_ROWS], ["UTC", "agent", "event", "evidence", "server local", "as logged"],
                            w, drop=("as logged", "server local")))  # fmt: skip
        if len(rows_t) > MAX_TIMELINE_ROWS:
            out.line(f"... {len(rows_t) - MAX_TIMELINE_ROWS} more: finesse-logscan timeline")
    if report.disconnects:
        out.heading("Disconnects (UTC)")
        rows_d = [[d.agent, _sec(d.time), _sec(d.last_activity), _sec(d.idle_close), _sec(d.presence_unavailable),
                   _sec(d.forced_logout), d.reason_code if d.reason_code is not None else "-", d.resulting_state or "-",
                   d.outcome, d.incident, ", ".join(d.hints) or "-"] for d in report.disconnects]  # fmt: skip
        out.block(fit_table(rows_d, ["agent", "drop", "last poll", "idle close", "presence off", "logout", "reason",
                                     "state", "outcome", "incident", "hints"], w,
                            drop=("hints", "presence off", "idle close", "reason")))  # fmt: skip
    if report.clients:
        out.heading("Client drift and latency (ms)")
        rows_c = [[c.agent, c.samples, c.median_drift_ms, c.max_abs_drift_ms, c.median_rtt_ms, c.max_rtt_ms,
                   ", ".join(c.flags) or "-", browser(c.user_agent)] for c in report.clients]  # fmt: skip
        out.block(fit_table(rows_c, ["agent", "samples", "drift", "max |drift|", "rtt", "max rtt", "flags", "browser"],
                            w, drop=("samples", "max |drift|", "rtt")))  # fmt: skip
    if report.server_events:
        out.heading(f"Server events (UTC, {_day(report.server_events[0].time)})")
        rows_s = []
        for s in report.server_events:
            sev = click.style(s.severity, fg=SEVERITY_COLOURS.get(s.severity)) if out.color else s.severity
            rows_s.append([_sec(s.time), sev, s.kind, s.detail, _where(s.evidence, nodes)])
        out.block(fit_table(rows_s, ["UTC", "severity", "kind", "detail", "evidence"], w, drop=("severity",)))


def _messages(out: _Out, title: str, messages: list[str], mark: str) -> None:
    if not messages:
        return
    out.heading(f"{title} ({len(messages)})")
    for msg in messages[:MAX_WARNINGS]:
        out.para(msg, indent="    ", first=f"  {mark} ")
    if len(messages) > MAX_WARNINGS:
        out.line(f"  ... {len(messages) - MAX_WARNINGS} more (see --format json)")


def _inputs(out: _Out, report: Report) -> None:
    used = [f for f in report.files if f.skipped is None]
    skipped = len(report.files) - len(used) + len(report.skipped)
    lines = sum(f.lines for f in used)
    parsed = sum(f.parsed for f in used)
    out.heading("Inputs")
    base = common_dir([f.path for f in used])
    if base:
        out.para(base, indent="    ", first="  bundle: ")
    by_family: dict[str, int] = defaultdict(int)
    for f in used:
        by_family[f.family] += 1
    out.para(f"{len(used)} log file(s) read, {skipped} skipped; {lines} lines: {parsed} parsed, {lines - parsed} "
             f"unparsed; " + ", ".join(f"{k} ({v})" for k, v in sorted(by_family.items())), indent="    ",
             first="  ")  # fmt: skip
    for n in report.nodes:
        out.para(f"node {n.name}: UTC offset {', '.join(n.utc_offsets)} (from {n.utc_offset_source})", indent="    ",
                 first="  ")  # fmt: skip
    if len(used) <= 12:
        rows = [[in_bundle(f.path), f.lines, f.unparsed] for f in used]
        out.block(textwrap.indent(fit_table(rows, ["file", "lines", "unparsed"], out.width - 2), "  "))
