"""Turn a binary stream into numbered text lines, counting every kind of damage on the way.

Lines are read one at a time (never the whole file). Each line is decoded as UTF-8, falling
back to cp1252 for that line only; a UTF-8 BOM is dropped; CR/LF endings are removed; NUL
bytes are removed and counted; a line longer than `MAX_LINE_BYTES` is cut at that size and
the rest of it is skipped (counted as an over-long line).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

MAX_LINE_BYTES = 64 * 1024
"""Longest line kept, in bytes; the remainder of a longer line is skipped and counted."""

_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class Line:
    no: int
    text: str


@dataclass(slots=True)
class Damage:
    """What was wrong with the bytes of one file (counts of lines)."""

    non_utf8_lines: int = 0
    nul_lines: int = 0
    control_lines: int = 0
    overlong_lines: int = 0
    unterminated_last_line: bool = False

    def describe(self) -> list[str]:
        out = []
        if self.non_utf8_lines:
            out.append(f"{self.non_utf8_lines} line(s) not UTF-8, read as cp1252")
        if self.nul_lines:
            out.append(f"{self.nul_lines} line(s) with NUL bytes (removed)")
        if self.control_lines:
            out.append(
                f"{self.control_lines} line(s) with characters XML does not allow (kept; see CSCva72280)"
            )
        if self.overlong_lines:
            out.append(
                f"{self.overlong_lines} line(s) longer than {MAX_LINE_BYTES} bytes (cut; rest skipped)"
            )
        if self.unterminated_last_line:
            out.append("last line has no line ending (truncated file?)")
        return out


_XML_INVALID = re.compile(rb"[\x01-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f]")  # ESC (ANSI colours) allowed


_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f]")


def decode_line(raw: bytes, damage: Damage) -> str:
    if _CONTROL.search(raw):  # one search for the common clean line; details only when needed
        if b"\x00" in raw:
            damage.nul_lines += 1
            raw = raw.replace(b"\x00", b"")
        if _XML_INVALID.search(raw):
            damage.control_lines += 1
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        damage.non_utf8_lines += 1
        return raw.decode("cp1252", errors="replace")


class _Utf16AsUtf8(io.RawIOBase):
    """Re-encodes a UTF-16 stream (Windows tools write client logs so) as UTF-8, streaming."""

    def __init__(self, stream: BinaryIO) -> None:
        self._text = io.TextIOWrapper(stream, encoding="utf-16", errors="replace", newline="")
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = self._text.read(16384)
            if not chunk:
                return 0
            self._pending = chunk.encode("utf-8")
        n = min(len(b), len(self._pending))
        b[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def as_utf8_stream(stream: BinaryIO) -> tuple[BinaryIO, str | None]:
    """The stream itself, or a UTF-8 re-encoding of it when it starts with a UTF-16 BOM."""
    peek = getattr(stream, "peek", None)
    head = peek(2)[:2] if peek else b""
    if head in (b"\xff\xfe", b"\xfe\xff"):
        return io.BufferedReader(_Utf16AsUtf8(stream)), "UTF-16 file, read as text"
    return stream, None


def iter_lines(stream: BinaryIO, damage: Damage, max_line: int = MAX_LINE_BYTES) -> Iterator[Line]:
    """Yield the lines of `stream`, numbered from 1."""
    no = 0
    while True:
        raw = stream.readline(max_line)
        if not raw:
            return
        no += 1
        if raw.endswith(b"\n"):
            raw = raw[:-1]
        elif len(raw) >= max_line:
            damage.overlong_lines += 1
            while True:  # skip the rest of this line without keeping it
                more = stream.readline(max_line)
                if not more or more.endswith(b"\n"):
                    break
        else:
            damage.unterminated_last_line = True
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if no == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        yield Line(no, decode_line(raw, damage))
