"""Turn a binary stream into numbered text lines, counting every kind of damage on the way.

Lines are read one at a time (never the whole file). Each line is decoded as UTF-8, falling
back to cp1252 for that line only; a UTF-8 BOM is dropped; CR/LF endings are removed; NUL
bytes are removed and counted; a line longer than `MAX_LINE_BYTES` is cut at that size and
the rest of it is skipped (counted as an over-long line).
"""

from __future__ import annotations

import io
import re
from collections.abc import Generator, Iterator
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


CHUNK_BYTES = 4 * 1024 * 1024
"""Bytes read at a time. Parsers see whole lines: a chunk ends at a line end."""

_NOT_CONTROL = bytes(b for b in range(256) if not _CONTROL.match(bytes([b])))
_WINDOW = 16 * 1024
"""Long-line probe: an aligned window this size with no line end holds part of a long line."""


@dataclass(slots=True)
class Chunk:
    """Consecutive whole lines of one file.

    `data` is the raw bytes of `count` lines starting at line `first` (each ends with b"\n"
    except, at the end of the file, the last). A clean chunk (`lines` is None) has nothing to
    repair: valid UTF-8, no NUL or other control bytes, no BOM, no line of `max_line` bytes or
    more; parsers may search its bytes in bulk. Otherwise `lines` holds its lines decoded one by
    one, with every repair counted in the file's `Damage`.
    """

    data: bytes
    first: int
    count: int
    lines: list[Line] | None = None

    def iter_lines(self) -> Iterator[Line]:
        if self.lines is not None:
            yield from self.lines
            return
        parts = self.data.split(b"\n")
        if len(parts) > self.count:  # the piece after the final line end is empty
            parts.pop()
        no = self.first
        for raw in parts:
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            yield Line(no, raw.decode("utf-8"))
            no += 1


def _lines_and_controls(data: bytes) -> tuple[int, bool]:
    """The line ends in `data`, and whether it may hold control bytes other than line ends (a
    byte below 0x20 that is not one): two vectorised passes instead of a count and a
    translate (a third of the time of reading a folder)."""
    import numpy as np

    codes = np.frombuffer(data, dtype=np.uint8)
    ends = int(np.count_nonzero(codes == 10))
    return ends, int(np.count_nonzero(codes < 32)) > ends


def _is_clean(data: bytes, max_line: int, first: int, controls: bool = True) -> bool:
    if controls and (b"\x00" in data or data.translate(None, _NOT_CONTROL)):
        return False
    if first == 1 and data.startswith(_BOM):
        return False
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return False
    if len(data) >= max_line:  # a line of max_line bytes or more spans an aligned window
        step = min(_WINDOW, max(1, max_line // 2))
        for i in range(0, len(data) - step + 1, step):
            if data.find(b"\n", i, i + step) < 0:
                return False  # a long line (perhaps not too long): let the careful path decide
    return True


def _repair(data: bytes, first: int, damage: Damage, max_line: int, at_eof: bool) -> list[Line]:
    """Decode lines one by one, counting every repair (the careful path)."""
    out: list[Line] = []
    parts = data.split(b"\n")
    terminated = data.endswith(b"\n")
    if terminated:
        parts.pop()
    no = first
    for i, raw in enumerate(parts):
        if len(raw) >= max_line:
            damage.overlong_lines += 1
            raw = raw[:max_line]
        elif at_eof and not terminated and i == len(parts) - 1:
            damage.unterminated_last_line = True
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if no == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        out.append(Line(no, decode_line(raw, damage)))
        no += 1
    return out


def iter_chunks(
    stream: BinaryIO, damage: Damage, max_line: int = MAX_LINE_BYTES, size: int = CHUNK_BYTES
) -> Iterator[Chunk]:
    """Read `stream` in large blocks and hand out whole lines, numbered from 1.

    A line of `max_line` bytes or more keeps its first `max_line` bytes; the rest is skipped
    and counted (memory stays bounded however long it is)."""
    first = 1
    pending = b""  # the start of a line not yet ended
    overlong = False  # `pending` is already cut to max_line bytes; skip to the line end
    while True:
        block = stream.read(size)
        if not block:
            break
        if overlong:  # the rest of a cut line is skipped; its start is kept
            nl = block.find(b"\n")
            if nl < 0:
                continue
            block, pending, overlong = pending + block[nl:], b"", False
        cut = block.rfind(b"\n") + 1
        if cut == 0:  # no line end at all yet
            block = pending + block if pending else block
            if len(block) > max_line:
                pending, overlong = block[:max_line], True
            else:
                pending = block
            continue
        # the start of a line read before, then this block to its last line end: one copy
        data = b"".join((pending, memoryview(block)[:cut])) if pending else block[:cut]
        pending = block[cut:]
        if len(pending) > max_line:
            pending, overlong = pending[:max_line], True
        first = yield from _emit(data, first, damage, max_line, at_eof=False)
    if pending:
        yield from _emit(pending, first, damage, max_line, at_eof=True)


def _emit(
    data: bytes, first: int, damage: Damage, max_line: int, at_eof: bool
) -> Generator[Chunk, None, int]:
    count, controls = _lines_and_controls(data)
    if at_eof and not data.endswith(b"\n"):
        count += 1
    if _is_clean(data, max_line, first, controls) and not (at_eof and not data.endswith(b"\n")):
        yield Chunk(data, first, count)
    else:
        yield Chunk(data, first, count, _repair(data, first, damage, max_line, at_eof))
    return first + count


def iter_lines(
    stream: BinaryIO, damage: Damage, max_line: int = MAX_LINE_BYTES, size: int = CHUNK_BYTES
) -> Iterator[Line]:
    """Yield the lines of `stream`, numbered from 1."""
    for chunk in iter_chunks(stream, damage, max_line, size):
        yield from chunk.iter_lines()
