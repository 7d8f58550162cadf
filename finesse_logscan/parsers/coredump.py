"""Core dumps: core/core.<pid>.<signal>.<process>.<epoch-seconds> (and core.jvm.core).

Recognised by name only; the (binary, often huge) content is never read. The epoch in the
name gives the crash time in UTC; core.jvm.core has none, so the file or archive member time
is used and said.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from ..event import Event, Kind
from ..parsing import FileContext
from ..textlines import Line

NAME = "coredump"
DESCRIPTION = "core dump files (crash time from the epoch in the name)"
BY_NAME = True

CORE = re.compile(r"^core\.(?P<pid>\d+)\.(?P<sig>\d+)\.(?P<proc>[\w.-]+?)\.(?P<epoch>\d{9,11})$")


def path_hint(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return bool(CORE.match(name)) or name == "core.jvm.core"


def sniff(head: list[str]) -> bool:
    return False  # content is never used to recognise a core file


def parse(lines: Iterable[Line], ctx: FileContext) -> Iterator[Event]:
    name = ctx.path.rsplit("/", 1)[-1]
    m = CORE.match(name)
    if m:
        t = datetime.fromtimestamp(int(m["epoch"]), UTC)
        detail = f"{m['proc']} (pid {m['pid']}) dumped core on signal {m['sig']}"
        yield Event(t, f"epoch {m['epoch']} in file name", ctx.display, 0, NAME, Kind.CORE_DUMP,
                    None, ctx.node, None, {"detail": detail, "process": m["proc"]})  # fmt: skip
        return
    ev = file_time_event(ctx, Kind.CORE_DUMP, "JVM core dump (core.jvm.core)")
    if ev is not None:
        yield ev


def file_time_event(ctx: FileContext, kind: Kind, detail: str) -> Event | None:
    """An event at the file's own time: archive member time or file modification time."""
    if ctx.mtime_local is not None:
        return Event(None, f"{ctx.mtime_local:%Y-%m-%d %H:%M:%S} (zip member time, server local)",
                     ctx.display, 0, ctx.family, kind, None, ctx.node, ctx.mtime_local, {"detail": detail})  # fmt: skip
    if ctx.mtime is None:
        ctx.warn("no time for this dump: the container records none")
        return None
    t = datetime.fromtimestamp(ctx.mtime, UTC)
    if "!" in ctx.display:
        source = "archive member time"
    else:
        source = "file modification time"
        ctx.warn(
            "dump time is the file's modification time, which copying or extracting the bundle may have changed"
        )
    return Event(t, f"{t:%Y-%m-%d %H:%M:%S} UTC ({source})", ctx.display, 0, ctx.family, kind, None,
                 ctx.node, None, {"detail": detail})  # fmt: skip
