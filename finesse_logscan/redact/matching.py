"""What the redactor's block paths are made of: RE2 matches read as spans, the checks that a
match in lines joined by line ends is one the rule would take on its line alone, the learned
values as word patterns, and the openfire stamp split off each line (one line or a block)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, cast

import re2

from ..timestamps import looks_like_openfire_stamp

if TYPE_CHECKING:
    from .rules import Rule


_UNANCHORED = getattr(getattr(re2, "_Anchor", None), "UNANCHORED", None)


def _matcher(pattern: Any) -> Callable[[Any, bytes, int, int], list[tuple[int, int]]]:
    """`match(anchor, data, pos, end)`: the spans of the first match of an RE2 `pattern` in
    data[pos:end] (the whole match's, then each group's; (-1, -1) for a group that took no
    part, and for no match), read from RE2's C++ layer: its Python match objects cost more
    than the matching (profiled: 6 of 20 s of a redact run went to them)."""
    match = getattr(getattr(pattern, "_regexp", None), "Match", None)
    if match is not None and _UNANCHORED is not None:
        return cast(Callable[[Any, bytes, int, int], list[tuple[int, int]]], match)

    def public(anchor: Any, data: bytes, pos: int, end: int) -> list[tuple[int, int]]:  # pragma: no cover
        m = pattern.search(data, pos, end)  # another version of the wrapper: its public API
        return [m.span(g) for g in range(pattern.groups + 1)] if m else [(-1, -1)]

    return public


def _spans(pattern: Any, data: bytes) -> Iterator[list[tuple[int, int]]]:
    """The spans of each match of an RE2 `pattern` in `data`, as its finditer walks them
    (see _matcher)."""
    match = _matcher(pattern)
    pos, end = 0, len(data)
    while True:
        spans = match(_UNANCHORED, data, pos, end)
        if spans[0][0] < 0:
            return
        yield spans
        if pos == end:
            return
        pos = pos + 1 if pos == spans[0][1] else spans[0][1]  # an empty match moves on by one


def _sub_spans(pattern: Any, data: bytes, swap: Callable[[bytes, list[tuple[int, int]]], bytes]) -> bytes:
    """`pattern.sub(...)` on bytes, each match replaced by what `swap` makes of its spans."""
    pieces: list[bytes] = []
    done = 0
    for spans in _spans(pattern, data):
        lo, hi = spans[0]
        pieces.append(data[done:lo])
        pieces.append(swap(data, spans))
        done = hi
    if not pieces:
        return data
    pieces.append(data[done:])
    return b"".join(pieces)


class _Crossing(Exception):
    """A match ran across a line end: the lines are redacted one by one."""


def _line_around(blob: bytes, lo: int, hi: int) -> tuple[int, int]:
    """Where the line holding blob[lo:hi] starts and ends."""
    end = blob.find(b"\n", hi)
    return blob.rfind(b"\n", 0, lo) + 1, len(blob) if end < 0 else end


def _holds_literal(literals: tuple[bytes, ...], blob: bytes, lo: int, hi: int) -> bool:
    """Does the line holding blob[lo:hi] hold one of the literals (a rule's pre-check)?"""
    for lit in literals:
        if blob.find(lit, lo, hi) >= 0:  # in the match (the usual case), so in its line
            return True
    ls, le = _line_around(blob, lo, hi)
    return any(blob.find(lit, ls, le) >= 0 for lit in literals)


def _stands(rule: Rule, blob: bytes, lo: int, hi: int, start: int, end: int, literals: bool = True) -> bool:
    """Is the value blob[start:end] of a match blob[lo:hi] of `rule`, in lines joined by line
    ends, one that running the rule on its line alone would take: not empty, in a line holding
    one of the rule's literals (its pre-check; not asked for with `literals` False, as
    `_values` does not), not left alone (`not_after`; a line's first character follows nothing,
    `unless`)? Raises _Crossing for a match across a line end."""
    if blob.find(b"\n", lo, hi) >= 0:
        raise _Crossing
    if start >= end:
        return False
    if literals and rule.literal_bytes and not _holds_literal(rule.literal_bytes, blob, lo, hi):
        return False
    if rule.not_after and start > 0 and blob[start - 1] != 10 and rule.left_alone(blob, start):
        return False
    return not rule.spares(blob[start:end])


def _values(rule: Rule, text: str) -> Iterator[tuple[Any, str]]:
    """Each match of `rule` in `text` with its non-empty value (its `v` group), unless the
    rule leaves it alone (`not_after`)."""
    for m in rule.pattern.finditer(text):
        value = m.group(rule.group)
        if value and not rule.left_alone(text, m.start(rule.group)) and not rule.spares(value):
            yield m, value


def _words_pattern(values: list[str]) -> tuple[str, str]:
    """The learned values (longest first) as words, in two patterns run one after the other:
    standing alone (\\b where a value starts or ends with a letter, digit or underscore: RE2's
    \\b is ASCII, so a name ending in 'é' ends where it ends), then right after a URL escape
    (Isaac%20Newton, ?id%3D1001003: the escape is kept). Group 1 is the value. The values are
    grouped by the boundaries they take, each group one alternation between shared \\b; one
    pattern for both cases made RE2's automaton several times slower (0.67 s against 0.15 s for
    a 4 MiB web services block with 3 000 values), the escaped one alone takes 1 ms."""
    by_ends: dict[tuple[bool, bool], list[str]] = {}
    for value in values:
        ends = (bool(_ASCII_WORD.match(value[0])), bool(_ASCII_WORD.match(value[-1])))
        by_ends.setdefault(ends, []).append(re.escape(value))

    def branches(start: bool) -> str:
        out = []
        for (word_start, word_end), escaped in by_ends.items():
            before = r"\b" if start and word_start else ""
            after = r"\b" if word_end else ""
            out.append(f"{before}(?:{'|'.join(escaped)}){after}")
        return "|".join(out)

    return f"({branches(True)})", f"%[0-9A-Fa-f]{{2}}({branches(False)})"


def _compiled_words(pattern: str) -> Any:
    """The learned words compiled by RE2 with room for thousands of values (a site of 600
    agents learns ~3 000): with RE2's default 8 MiB its automaton runs out of memory, logs a
    line to stderr on every search and falls back to a slower one."""
    import re2

    options = re2.Options()
    options.max_mem = 256 << 20
    options.log_errors = False
    return re2.compile(pattern.encode(), options)


_ASCII_WORD = re.compile(r"[A-Za-z0-9_]")


def _split_stamp(text: str) -> tuple[str, str]:
    """('YYYY.MM.DD HH:MM:SS ', message) for an openfire line, else ('', text). A debug log
    repeats the same few hundred messages (Jetty noise around every BOSH poll) under new
    times: each message is redacted once. A timestamp identifies nobody and is kept."""
    if len(text) > 20 and text[19] == " " and looks_like_openfire_stamp(text):
        return text[:20], text[20:]
    return "", text


_STAMP_BYTES = re.compile(
    rb"\d{4}\.[\x00-\x7f]{2}\.[\x00-\x7f]{2}[ T][\x00-\x7f]{2}:[\x00-\x7f]{2}:[\x00-\x7f]{2} (?=[\x00-\xff])"
)
"""What _split_stamp takes for a stamp, in a line whose first 20 bytes are ASCII (and that goes
on after them)."""


_STAMP_AT_LINE = re.compile(rb"\n\d{4}\.")


def _unstamped(data: bytes) -> bool:
    """Is no line of a clean block one whose stamp `_split_stamp` would take off (no line
    starts with 4 digits and a dot, or with a non-ASCII character), and none ends in CR? Its
    lines are then its messages, as they stand."""
    return (
        data.isascii()
        and b"\r" not in data
        and _STAMP_AT_LINE.search(data) is None
        and not (data[4:5] == b"." and data[:4].isdigit())
    )


def _split_stamp_bytes(raw: bytes) -> tuple[bytes, bytes]:
    """_split_stamp for the bytes of a line (the usual stamped line is told by _STAMP_BYTES
    alone: the callers try it first)."""
    if len(raw) > 20 and not raw.isascii() and not raw[:20].isascii():
        stamp, message = _split_stamp(raw.decode())  # characters and bytes do not line up
        return stamp.encode(), message.encode()
    if _STAMP_BYTES.match(raw):
        return raw[:20], raw[20:]
    return b"", raw


def _stamp_flags(data: bytes, lines: list[bytes]) -> list[bool]:
    """Which of the lines (those of `data`, ASCII, no CR) `_STAMP_BYTES` matches, for all of
    them at once: the 20 bytes at each line start of 21 bytes or more, checked column by column
    (a line's own bytes: ASCII, no line end, so each `[\\x00-\\x7f]` holds)."""
    import numpy as np

    codes = np.frombuffer(data, dtype=np.uint8)
    sizes = np.fromiter(map(len, lines), dtype=np.int64, count=len(lines))
    starts = np.zeros(len(lines), dtype=np.int64)
    np.cumsum(sizes[:-1] + 1, out=starts[1:])
    long_enough = np.flatnonzero(sizes > 20)
    window = codes[starts[long_enough, None] + np.arange(20)]  # (lines, 20 bytes)
    digits = (window[:, :4] >= 48) & (window[:, :4] <= 57)
    fits = (
        digits.all(axis=1)
        & (window[:, 4] == 46) & (window[:, 7] == 46)  # '.'
        & ((window[:, 10] == 32) | (window[:, 10] == 84))  # ' ' or 'T'
        & (window[:, 13] == 58) & (window[:, 16] == 58)  # ':'
        & (window[:, 19] == 32)
    )  # fmt: skip
    flags = np.zeros(len(lines), dtype=bool)
    flags[long_enough[fits]] = True
    found: list[bool] = flags.tolist()
    return found


def _block_lines(data: bytes, count: int) -> list[bytes]:
    """The `count` lines of a clean block, without their line ends (as iter_lines reads them)."""
    lines = data.split(b"\n")
    if len(lines) > count:
        lines.pop()
    if b"\r" not in data:
        return lines
    return [raw[:-1] if raw.endswith(b"\r") else raw for raw in lines]
