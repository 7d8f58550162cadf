"""Finesse desktop client logs (Send Error Report / locallog): desktop/logs/clientlogs/.

The first line is the browser User-Agent. Records (Finesse 11.x):
  <client ISO time +-HH:MM>: <empty>: <server FQDN>: <server time Mon DD YYYY HH:MM:SS.mmm +-HHMM>: <source> : <message>
The server time is a dashed placeholder until the first time sync; the technote's variant has no
empty field. Old (10.x) gadget lines are `HH:MM:SS: <gadgetId> : <message>` (no date).
About once a minute: `Client: <iso>, Server: <iso>, Drift: <n>ms, Network Latency (round trip): <n>ms`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ..agents import find_agent, normalize
from ..event import Attrs, Event, Kind
from ..parsing import FileContext
from ..textlines import Line
from ..timestamps import parse_iso

NAME = "clientlog"
DESCRIPTION = "Finesse desktop client logs (Send Error Report / locallog)"

RECORD = re.compile(
    r"""
    ^(?P<ct>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)\s*(?P<cto>Z|[+-]\d{2}:?\d{2})?\s*:\s*
    (?P<rest>.*)$
    """,
    re.VERBOSE,
)
_SERVER_TIME = re.compile(
    r"(?P<st>[A-Z][a-z]{2} \d{1,2} \d{4} \d{2}:\d{2}:\d{2}(?:\.\d+)?\s*[+-]\d{4}"
    r"|-{3} -{2} -{4} -{2}:-{2}:-{2}\.-{3} -{5})\s*:\s*"
)
_GADGET = re.compile(r"^(?P<hms>\d{2}:\d{2}:\d{2})(?:\.\d+)?:\s*(?P<gadget>[^:]{1,80}?)\s*:\s*(?P<msg>.*)$")
_DRIFT = re.compile(
    r"Client:\s*(?P<client>\S+?),\s*Server:\s*(?P<server>\S+?),\s*Drift:\s*(?P<drift>-?\d+)\s*ms"
    r"(?:,\s*Network Latency(?:\s*\(round trip\))?:\s*(?P<rtt>-?\d+)\s*ms)?",
    re.I,
)
_STATUS = re.compile(r"Connection status:?\s*(?P<status>[A-Za-z_]+)", re.I)
_UA_HINTS = ("Mozilla/", "AppleWebKit", "Gecko", "Chrome/", "Safari/", "Edg/", "Trident/", "MSIE")
_FILE_DATE = re.compile(r"(?P<date>\d{4}-\d{2}-\d{2})")
_DATE_LIKE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T_ ]\d{2}[-:.]\d{2}[-:.]\d{2}(?:\.\d+)?Z?)?|\d{14}|\d{8}T?\d{6}"
)
_ID_IN_NAME = re.compile(r"(?:^|[^0-9A-Za-z])(?:agent|user|usr|id)?[-_]?(?P<id>\d{3,12})(?=[^0-9]|$)", re.I)


def path_hint(path: str) -> bool:
    low = path.lower()
    return "clientlog" in low or "client-log" in low or "locallog" in low


def sniff(head: list[str]) -> bool:
    """One record with the server's time or a drift line in the first lines is enough."""
    for line in head:
        m = RECORD.match(line)
        if m and (_SERVER_TIME.search(m["rest"]) or _DRIFT.search(line)):
            return True
    return False


def agent_from_path(path: str) -> str | None:
    """Agent login ID from a client-log file or folder name, dates and times removed first."""
    parts = path.split("/")
    for part in reversed(parts[-2:]):
        stripped = _DATE_LIKE.sub(" ", part.rsplit(".", 1)[0] if "." in part else part)
        m = _ID_IN_NAME.search(stripped)
        if m:
            return normalize(m["id"])
    return None


_NAME_WORDS = {"agent", "user", "usr", "id", "clientlog", "clientlogs", "client", "log", "logs", "txt",
               "desktop", "finesse", "locallog", "console", "errorreport", "report"}  # fmt: skip


def name_candidates(path: str) -> list[str]:
    """Every word of the file and folder name that could be a login ID (UCCX IDs are words),
    so the scan can pick the one the server logs know when the name is ambiguous; then each
    piece between underscores and spaces that holds a dot or a dash (a login such as
    'john.smith', or a redacted copy's 'agent-1f2e3d')."""
    out: list[str] = []
    for part in path.split("/")[-2:]:
        stem = _DATE_LIKE.sub(" ", part.rsplit(".", 1)[0] if "." in part else part)
        for word in re.split(r"[^0-9A-Za-z]+", stem):
            low = word.lower()
            for prefix in ("agent", "user", "usr"):
                if low.startswith(prefix) and len(word) > len(prefix) and word[len(prefix) :].isdigit():
                    word, low = word[len(prefix) :], low[len(prefix) :]
            if len(word) >= 2 and low not in _NAME_WORDS and word not in out:
                out.append(word)
        for piece in re.split(r"[_\s]+", stem):
            piece = piece.strip(".-")
            if re.fullmatch(r"[0-9A-Za-z]+(?:[.-][0-9A-Za-z]+)+", piece) and piece not in out:
                out.append(piece)
    return out


def parse(lines: Iterable[Line], ctx: FileContext) -> Iterator[Event]:
    agent = agent_from_path(ctx.path)
    candidates = ",".join(name_candidates(ctx.path))
    if agent is None:
        for h in ctx.head:
            agent = find_agent(h) if "/User/" in h else None
            if agent:
                break
    if agent is None:
        ctx.warn("no agent ID in the file name or the first lines; events carry no agent")
    file_date = _FILE_DATE.search(ctx.path.rsplit("/", 1)[-1])
    warned_no_date = False
    for line in lines:
        text = line.text
        m = RECORD.match(text) if text[:2].isdigit() else None
        if m:
            ctx.ok()
            yield from _record(m, line.no, text, agent, ctx, candidates)
            continue
        if line.no == 1 and any(h in text for h in _UA_HINTS):
            ctx.ok()
            yield Event(None, "", ctx.display, line.no, NAME, Kind.CLIENT_USER_AGENT, agent, ctx.node,
                        None, {"user_agent": text.strip()[:400], "name_candidates": candidates})  # fmt: skip
            continue
        g = _GADGET.match(text) if text[:2].isdigit() else None
        if g:
            ctx.ok()
            if file_date is None and not warned_no_date:
                ctx.warn("old gadget-style lines carry only a time of day and the file name no date")
                warned_no_date = True
            continue
        if text.strip() == "":
            ctx.ok() if line.no > 1 else ctx.bad()
            continue
        ctx.bad()


def _record(
    m: re.Match[str], no: int, text: str, agent: str | None, ctx: FileContext, candidates: str
) -> Iterator[Event]:
    client = parse_iso(m["ct"] + (m["cto"] or "")) if m["cto"] else None
    stamp = m["ct"] + (" " + m["cto"] if m["cto"] else "")
    if client is None:
        ctx.warn(f"line {no}: client time without UTC offset")
        return
    ctx.seen(client)
    rest = m["rest"]
    st = _SERVER_TIME.search(rest)
    body = rest[st.end() :] if st else rest
    source, sep, message = body.partition(" : ")
    if not sep:
        source, message = "", body
    attrs = Attrs(name_candidates=candidates) if candidates else Attrs()
    if st and not st["st"].startswith("-"):
        attrs["server_time"] = st["st"]
    if "Drift" in message:
        d = _DRIFT.search(message)
        if d:
            attrs.update(Attrs(drift_ms=int(d["drift"]), client_clock=d["client"], server_clock=d["server"]))
            if d["rtt"] is not None:
                attrs["rtt_ms"] = int(d["rtt"])
            attrs["source"] = source.strip()
            yield Event(client, stamp, ctx.display, no, NAME, Kind.CLIENT_DRIFT, agent, ctx.node, None, attrs)
            return
    low = message.lower()
    status: str | None = None
    if "connection status" in low:
        s = _STATUS.search(message)
        status = s["status"].lower() if s else None
    elif "lost connection" in low:
        status = "lost"
    elif "establishing bosh connection" in low:
        status = "connecting"
    if status:
        attrs.update(Attrs(status=status, message=message.strip()[:200]))
        server = [f.strip() for f in rest[: st.start()].split(":") if f.strip()] if st else []
        if server:  # the Finesse node the desktop was talking to
            attrs["server"] = server[-1]
        yield Event(
            client, stamp, ctx.display, no, NAME, Kind.CLIENT_CONNECTION, agent, ctx.node, None, attrs
        )
