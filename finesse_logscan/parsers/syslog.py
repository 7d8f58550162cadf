"""CiscoSyslog (Event Viewer - Application Log): service failures, stops and starts.

  Jun 17 16:14:19 <host> local7 2 : 6: <fqdn>: Jun 17 2019 14:14:19.781 UTC : %UC_SERVICEMANAGER-2-ServiceFailed: %[ServiceName=Cisco CTIManager][Reason=...]: Service terminated.
Any VOS host name (with or without a domain), facility localN, severity 0-7, and any product's
mnemonic (`%UC_ReplWatcher-1-DuplicateUserid`, `%CCBU_...`). A line that does not fit is
counted unparsed; the file is still read.
The header is server local time without year or zone; the body is UTC (milliseconds optional,
spacing varies). Header minus body gives the server's UTC offset: an offset source ("syslog")
for the node's openfire logs when web services lines are missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

from .. import signatures
from ..event import Attrs, Event, Kind
from ..parsing import FileContext
from ..textlines import Line
from ..timestamps import MONTHS, ciscolog_local

NAME = "syslog"
DESCRIPTION = "CiscoSyslog / Event Viewer application log (service failures, stops, starts)"

LINE = re.compile(
    r"""
    ^(?P<hmon>[A-Z][a-z]{2})\s+(?P<hday>\d{1,2})\s+(?P<hhms>\d{2}:\d{2}:\d{2})\s+(?P<host>\S+)\s+
    (?P<rest>.*?)
    (?P<bmon>[A-Z][a-z]{2})\s+(?P<bday>\d{1,2})\s+(?P<byear>\d{4})\s+(?P<bhms>\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d{1,6}))?\s*
    (?P<bzone>UTC|GMT)\s*:\s*
    %(?P<fac>[A-Za-z][^\s%:]*?)-(?P<sev>[0-7])-(?P<mn>[A-Za-z][\w.]*)\s*:?\s*(?P<body>.*)$
    """,
    re.VERBOSE,
)
_SERVICE = re.compile(r"\[ServiceName=(?P<name>[^\]]*)\]")
_REASON = re.compile(r"\[Reason=(?P<reason>[^\]]*)\]")
_FAIL_WORDS = ("Fail", "Terminat", "Crash", "Down", "Error", "CoreDump")


def path_hint(path: str) -> bool:
    low = path.lower()
    return "ciscosyslog" in low or "/syslog/" in low or low.startswith("syslog/")


def sniff(head: list[str]) -> bool:
    return any("%" in line and ("UTC" in line or "GMT" in line) and LINE.match(line) for line in head)


def parse(lines: Iterable[Line], ctx: FileContext) -> Iterator[Event]:
    for line in lines:
        text = line.text
        m = LINE.match(text) if ("%" in text and ("UTC" in text or "GMT" in text)) else None
        if m is None:
            ctx.bad()
            continue
        utc_naive = ciscolog_local(m["bmon"], m["bday"], m["byear"], m["bhms"], m["frac"])
        hmonth = MONTHS.get(m["hmon"])
        if utc_naive is None or hmonth is None:
            ctx.bad()
            continue
        ctx.ok()
        utc = utc_naive.replace(tzinfo=UTC)
        ctx.seen(utc)
        header = _header_time(utc_naive, hmonth, int(m["hday"]), m["hhms"])
        if header is not None:
            offset = round((header - utc_naive).total_seconds() / 900) * 15
            if abs(offset) <= 14 * 60:
                ctx.observe_offset(header, offset, NAME)
        body = m["body"]
        mn = m["mn"]
        service = _SERVICE.search(body)
        reason = _REASON.search(body)
        detail = f"{m['fac']}-{m['sev']}-{mn}"
        if service:
            detail += f": {service['name']}"
        if reason and reason["reason"]:
            detail += f" ({reason['reason'][:120]})"
        stamp = text[m.start("bmon") : m.end("bzone")]
        attrs = Attrs(detail=detail, mnemonic=mn, service=service["name"] if service else "")
        for sig in signatures.match(NAME, text):
            yield Event(utc, stamp, ctx.display, line.no, NAME, Kind.KNOWN_DEFECT, None, ctx.node, None,
                        {**attrs, **sig.event_attrs()})  # fmt: skip
        kind = _kind(mn, int(m["sev"]))
        if kind is not None:
            yield Event(utc, stamp, ctx.display, line.no, NAME, kind, None, ctx.node, None, attrs)


def _kind(mnemonic: str, severity: int) -> Kind | None:
    """Service lifecycle by mnemonic; any other alert (severity 0-2) is kept as a syslog alert,
    not as a service failure (an IM and Presence `DuplicateUserid` stops no service)."""
    if any(w in mnemonic for w in _FAIL_WORDS):
        return Kind.SERVICE_FAILURE
    if "Stopped" in mnemonic or "Stop" in mnemonic:
        return Kind.SERVICE_STOPPED
    if "Started" in mnemonic or "Start" in mnemonic:
        return Kind.SERVICE_STARTED
    return Kind.SYSLOG_ALERT if severity <= 2 else None


def _header_time(utc: datetime, month: int, day: int, hms: str) -> datetime | None:
    """The header's local time; its year is the body's, moved by one across New Year."""
    best = None
    for year in (utc.year - 1, utc.year, utc.year + 1):
        try:
            cand = datetime(year, month, day, int(hms[0:2]), int(hms[3:5]), int(hms[6:8]))
        except ValueError:
            continue
        if best is None or abs(cand - utc) < abs(best - utc):
            best = cand
    if best is None or abs(best - utc) > timedelta(hours=15):
        return None
    return best
