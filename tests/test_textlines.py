"""The block reader gives exactly the lines and damage counts of a plain one-line-at-a-time
reader (kept here as the oracle), whatever the block size and wherever lines are cut."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import BinaryIO

from hypothesis import given, settings
from hypothesis import strategies as st

from finesse_logscan.textlines import _BOM, Damage, Line, decode_line, iter_chunks, iter_lines


def oracle(stream: BinaryIO, damage: Damage, max_line: int) -> Iterator[Line]:
    """The reader as it was before block reads: readline(max_line) per line."""
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
            while True:
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


pieces = st.sampled_from(
    [b"\n", b"\r\n", b"a", b"2017.06.17 00:16:04 x", b"\x00", b"\x07", b"\t", b"\x1f", b"\x1b[32m", b"\xe9", b"\xc3\xa9",
     _BOM, b"z" * 40, b"y" * 300]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    data=st.lists(pieces, max_size=60).map(b"".join),
    max_line=st.sampled_from([8, 64, 256]),
    size=st.sampled_from([1, 7, 64, 1000]),
)
def test_block_reader_equals_line_reader(data: bytes, max_line: int, size: int) -> None:
    want_damage, got_damage = Damage(), Damage()
    want = list(oracle(io.BytesIO(data), want_damage, max_line))
    got = list(iter_lines(io.BytesIO(data), got_damage, max_line, size))
    assert got == want
    assert got_damage == want_damage


def test_clean_chunks_are_whole_lines_and_counted() -> None:
    data = b"".join(b"2017.06.17 00:16:%02d line %d\n" % (i % 60, i) for i in range(1000))
    chunks = list(iter_chunks(io.BytesIO(data), Damage(), size=4096))
    assert len(chunks) > 1 and all(c.lines is None and c.data.endswith(b"\n") for c in chunks)
    assert sum(c.count for c in chunks) == 1000
    assert [c.first for c in chunks[:2]] == [1, 1 + chunks[0].count]


def test_damaged_chunk_is_repaired_line_by_line() -> None:
    damage = Damage()
    chunks = list(iter_chunks(io.BytesIO(b"ok\nnul\x00here\nlast"), damage))
    assert all(c.lines is not None for c in chunks)
    assert [x.text for c in chunks for x in c.iter_lines()] == ["ok", "nulhere", "last"]
    assert damage.nul_lines == 1 and damage.unterminated_last_line


def test_a_huge_line_is_cut_without_holding_it() -> None:
    data = b"head\n" + b"x" * 5_000_000 + b"\ntail\n"
    damage = Damage()
    lines = list(iter_lines(io.BytesIO(data), damage, max_line=1000, size=65536))
    assert [(x.no, len(x.text)) for x in lines] == [(1, 4), (2, 1000), (3, 4)]
    assert damage.overlong_lines == 1
