"""Properties: parsers and the reader never raise on arbitrary bytes; lines always add up."""

from __future__ import annotations

import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finesse_logscan import scan
from finesse_logscan.bundle import BundleReader
from finesse_logscan.parsers import PARSERS
from finesse_logscan.parsing import FileContext
from finesse_logscan.textlines import Damage, iter_lines

PREFIXES = [
    b"",
    b"2017.06.17 00:16:04 ",
    b"0000000001: 10.1.1.1: Jun 17 2017 00:16:04.630 +0530: %CCBU_x-6-PRESENCE: %[",
    b"2019-03-04T08:15:02.114 -05:00: : f: Mar 04 2019 07:15:02.598 -0600: Container : Client: ",
]
blobs = st.tuples(st.sampled_from(PREFIXES), st.binary(max_size=600)).map(lambda t: t[0] + t[1])
texty = st.lists(st.tuples(st.sampled_from(PREFIXES), st.text(max_size=120)), max_size=20).map(
    lambda rows: "\n".join(p.decode() + t for p, t in rows).encode("utf-8", "surrogatepass") if rows else b""
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(blobs, texty))
def test_every_parser_accounts_for_every_line(data: bytes) -> None:
    for parser in PARSERS:
        damage = Damage()
        lines = list(iter_lines(io.BytesIO(data), damage, max_line=256))
        ctx = FileContext("f", "clientlogs/agent1.txt", parser.NAME, "n", head=[x.text for x in lines[:40]])
        list(parser.parse(iter(lines), ctx))
        if getattr(parser, "BY_NAME", False):  # dumps: recognised by name, content never read
            assert ctx.parsed + ctx.unparsed == 0
            continue
        assert ctx.parsed + ctx.unparsed == len(lines)
        parser.sniff(ctx.head)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.binary(max_size=3000),
    prefix=st.sampled_from([b"", b"PK\x03\x04", b"\x1f\x8b\x08", b"BZh9", b"\xfd7zXZ\x00"]),
)
def test_reader_and_scan_never_raise_on_arbitrary_files(tmp_path: Path, data: bytes, prefix: bytes) -> None:
    p = tmp_path / "input.bin"
    p.write_bytes(prefix + data)
    reader = BundleReader()
    for src in reader.iter_sources([str(p)]):
        src.stream.read()
    report = scan([str(p)])
    for f in report.files:
        assert f.lines == f.parsed + f.unparsed
