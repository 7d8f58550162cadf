"""Java heap dumps (*.hprof) left by an out-of-memory crash of the Notification Service
(under logs/openfire) or of Tomcat. Names carry no time: the archive member time or the
file's modification time is used, and the report says which. The content is never read."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..event import Event, Kind
from ..parsing import FileContext
from ..textlines import Line
from .coredump import file_time_event

NAME = "heapdump"
DESCRIPTION = "Java heap dumps (*.hprof) after an out-of-memory crash"
BY_NAME = True


def path_hint(path: str) -> bool:
    return path.lower().endswith(".hprof")


def sniff(head: list[str]) -> bool:
    return False


def parse(lines: Iterable[Line], ctx: FileContext) -> Iterator[Event]:
    low = ctx.path.lower()
    service = (
        "Notification Service"
        if "openfire" in low
        else ("Tomcat" if "tomcat" in low or "webservices" in low else "a Java service")
    )
    ev = file_time_event(ctx, Kind.HEAP_DUMP, f"heap dump of {service} ({ctx.path.rsplit('/', 1)[-1]})")
    if ev is not None:
        yield ev
