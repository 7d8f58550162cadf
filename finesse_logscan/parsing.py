"""What every parser is given (a `FileContext`) and what every parser module provides."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from .event import Event
from .textlines import Line

MAX_RECORD_CHARS = 16 * 1024
"""Text of one multi-line record kept for matching; further continuation lines still count."""

MAX_WARNINGS_PER_FILE = 20


class Record:
    """One log record as read so far: its first line's number and time as written, and its
    text, continuation lines joined with newlines up to MAX_RECORD_CHARS. Parsers subclass it
    for what their header says."""

    __slots__ = ("line", "text", "time_text")

    def __init__(self, line: int, time_text: str, text: str) -> None:
        self.line = line
        self.time_text = time_text
        self.text = text

    @property
    def full(self) -> bool:
        return len(self.text) >= MAX_RECORD_CHARS

    def add(self, text: str) -> None:
        """A continuation line (dropped once the record is full; the line still counts)."""
        if len(self.text) < MAX_RECORD_CHARS:
            self.text = f"{self.text}\n{text}"[:MAX_RECORD_CHARS]


@dataclass(slots=True)
class OffsetRun:
    """A stretch of server-local wall time seen with one UTC offset (from a log that has one)."""

    offset_minutes: int
    first_local: datetime
    last_local: datetime
    source: str  # "webservices" | "syslog"


@dataclass
class FileContext:
    """Per-file state shared between the pipeline and one parser run."""

    display: str
    path: str
    family: str
    node: str | None
    head: list[str] = field(default_factory=list)
    mtime: float | None = None  # epoch seconds (folder file or tar member)
    mtime_local: datetime | None = None  # zip member time: server wall time, no zone
    parsed: int = 0
    unparsed: int = 0
    warnings: list[str] = field(default_factory=list)
    first: datetime | None = None  # aware UTC, or naive local for families without offsets
    last: datetime | None = None
    offsets: list[OffsetRun] = field(default_factory=list)

    def ok(self, n: int = 1) -> None:
        self.parsed += n

    def bad(self, n: int = 1) -> None:
        self.unparsed += n

    def warn(self, message: str) -> None:
        if len(self.warnings) < MAX_WARNINGS_PER_FILE:
            self.warnings.append(message)
        elif len(self.warnings) == MAX_WARNINGS_PER_FILE:
            self.warnings.append("further warnings for this file suppressed")

    def seen(self, t: datetime) -> None:
        if self.first is None or t < self.first:
            self.first = t
        if self.last is None or t > self.last:
            self.last = t

    def observe_offset(self, local: datetime, offset_minutes: int, source: str) -> None:
        """Keep runs of equal offsets only, so memory does not grow with the file."""
        if self.offsets:
            run = self.offsets[-1]
            if run.offset_minutes == offset_minutes and run.source == source:
                run.first_local = min(run.first_local, local)
                run.last_local = max(run.last_local, local)
                return
        self.offsets.append(OffsetRun(offset_minutes, local, local, source))


class Parser(Protocol):
    """A parser module: a family name, a path hint, a content sniff and a parse function."""

    NAME: str
    DESCRIPTION: str

    def path_hint(self, path: str) -> bool: ...

    def sniff(self, head: list[str]) -> bool: ...

    def parse(self, lines: Iterable[Line], ctx: FileContext) -> Iterator[Event]: ...
