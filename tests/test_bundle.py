"""Bundles as they arrive: archives, nesting, compression, rotation, damage, unsafe members."""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from finesse_logscan import ScanOptions, scan
from finesse_logscan.bundle import MACOS_METADATA, BundleReader
from finesse_logscan.cli import cli
from finesse_logscan.options import Limits

from .builders import Node
from .conftest import ended_cleanly

OPENFIRE = "desktop/logs/openfire"


def bundle(tmp_path: Path) -> Path:
    n = Node(tmp_path / "src", name="fin1")
    n.full_drop("1001003", "aa11", 0, 300)
    n.polls("1001004", "bb22", 0, 900, 900)
    return n.write()


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def make_zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def make_tgz(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_700_000_000
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def summary(paths: list[str]) -> tuple[str, list[tuple[str, str]], list[str]]:
    r = scan(paths)
    return (
        r.verdict,
        [(d.agent, d.outcome) for d in r.disconnects],
        sorted(f.family for f in r.files if f.skipped is None),
    )


@pytest.mark.parametrize("kind", ["zip", "tgz", "zip-in-tgz", "tgz-in-zip", "gz-members"])
def test_archive_forms_give_the_same_diagnosis(tmp_path: Path, kind: str) -> None:
    src = bundle(tmp_path)
    expected = summary([str(src)])
    members = files_under(src)
    if kind == "zip":
        data, name = make_zip(members), "b.zip"
    elif kind == "tgz":
        data, name = make_tgz(members), "b.tgz"
    elif kind == "zip-in-tgz":
        data, name = make_tgz({"upload/inner.zip": make_zip(members)}), "b.tar.gz"
    elif kind == "tgz-in-zip":
        data, name = make_zip({"inner.tgz": make_tgz(members)}), "b.zip"
    else:
        data, name = make_zip({k + ".gz": gzip.compress(v) for k, v in members.items()}), "b.zip"
    archive = tmp_path / name
    archive.write_bytes(data)
    before = set(os.listdir(tmp_path))
    assert summary([str(archive)]) == expected
    assert set(os.listdir(tmp_path)) == before  # nothing written beside the input


def test_node_from_host_folder_and_two_bundles(tmp_path: Path) -> None:
    a = Node(tmp_path / "a", name="fin1a.example.com")
    a.full_drop("1001003", "aa11", 0, 300)
    b = Node(tmp_path / "b", name="fin1b.example.com")
    b.full_drop("1001004", "bb22", 0, 900)
    r = scan([str(a.write()), str(b.write())])
    assert [n.name for n in r.nodes] == ["fin1a.example.com", "fin1b.example.com"]
    assert {d.agent: d.node for d in r.disconnects} == {
        "1001003": "fin1a.example.com",
        "1001004": "fin1b.example.com",
    }


def test_overlapping_rotated_copies_count_events_once(tmp_path: Path) -> None:
    src = bundle(tmp_path)
    info = src / "fin1" / OPENFIRE / "info.log"
    text = info.read_text()
    # the rotated copy holds the same lines plus older ones; it is gzipped too
    (info.parent / "info.log.1.gz").write_bytes(
        gzip.compress(("2026.03.04 13:00:00 A session is closed for z@x/desktop\n" + text).encode())
    )
    r = scan([str(src)])
    assert len(r.disconnects) == 1
    assert any("counted once" in w for w in r.warnings)
    rotated = [f for f in r.files if f.path.endswith("info.log.1.gz")]
    assert (
        rotated
        and rotated[0].family == "openfire"
        and rotated[0].duplicates + next(f for f in r.files if f.path.endswith("info.log")).duplicates == 2
    )


def test_encodings_and_damage_are_counted_not_fatal(tmp_path: Path) -> None:
    src = bundle(tmp_path)
    debug = src / "fin1" / OPENFIRE / "debug.log"
    good = debug.read_bytes()
    junk = (
        b"\xef\xbb\xbf2026.03.04 13:59:00 caf\xe9 latin-1 line\r\n"  # BOM + Latin-1 + CRLF
        b"2026.03.04 13:59:01 nul\x00byte\n"
        b"\x00\x01\x02\x03\xff\xfe binary junk\n"
        b"2026.03.04 13:59:02 invalid xml char \x0b\x1f here\n"
        + b"2026.03.04 13:59:03 "
        + b"<x>" * 40000
        + b"\n"  # 120 KB line
    )
    debug.write_bytes(junk + good + b"2026.03.04 14:30:00 truncated mid-li")
    r = scan([str(src)])
    f = next(f for f in r.files if f.path.endswith("debug.log"))
    assert f.lines == f.parsed + f.unparsed
    assert f.lines == good.count(b"\n") + 6
    text = " ".join(f.warnings)
    assert "cp1252" in text and "NUL" in text and "longer than" in text and "no line ending" in text
    assert [d.agent for d in r.disconnects] == ["1001003"]


def test_unknown_and_empty_files_are_listed_as_skipped(tmp_path: Path, runner: CliRunner) -> None:
    src = bundle(tmp_path)
    (src / "fin1" / "notes.txt").write_text("some notes\n")
    (src / "fin1" / OPENFIRE / "empty.log").write_text("")
    (src / "fin1" / OPENFIRE / "warn.log").write_text("this is not openfire\n")
    r = scan([str(src)])
    reasons = {Path(f.path).name: f.skipped for f in r.files if f.skipped}
    assert reasons["notes.txt"] == "not a known Finesse log layout"
    assert reasons["empty.log"] == "empty file"
    assert "name suggests openfire" in (reasons["warn.log"] or "")
    out = runner.invoke(cli, ["files", str(src)]).output
    assert "skipped: empty file" in out


def test_symlinks_and_link_members_are_skipped(tmp_path: Path) -> None:
    src = bundle(tmp_path)
    target = tmp_path / "secret.txt"
    target.write_text("2026.03.04 14:00:00 Openfire stopped\n")
    (src / "fin1" / OPENFIRE / "link.log").symlink_to(target)
    r = scan([str(src)])
    assert any("symbolic link" in reason for _, reason in r.skipped)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        info = tarfile.TarInfo("desktop/logs/openfire/evil.log")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        tf.addfile(info)
        dev = tarfile.TarInfo("desktop/logs/openfire/dev")
        dev.type = tarfile.CHRTYPE
        tf.addfile(dev)
    (tmp_path / "t.tar").write_bytes(buf.getvalue())
    r2 = scan([str(tmp_path / "t.tar")])
    reasons = [reason for _, reason in r2.skipped]
    assert any("link member" in x for x in reasons) and any("special member" in x for x in reasons)


def test_member_names_are_sanitised(tmp_path: Path) -> None:
    data = make_zip(
        {"../../desktop/logs/openfire/\x1b[31mred.log": b"2026.03.04 14:00:00 Openfire stopped\n"}
    )
    (tmp_path / "z.zip").write_bytes(data)
    r = scan([str(tmp_path / "z.zip")])
    assert r.files and "\x1b" not in r.files[0].path and ".." not in r.files[0].path


def test_gzip_bomb_stops_with_clear_error(tmp_path: Path, runner: CliRunner) -> None:
    bomb = gzip.compress((b"2026.03.04 14:00:00 " + b"A" * 4075 + b"\n") * 16384)  # 64 MiB, packs ~700:1
    (tmp_path / "debug.log.gz").write_bytes(bomb)
    r = scan(
        [str(tmp_path / "debug.log.gz")], ScanOptions(limits=Limits(max_ratio=100, ratio_grace_bytes=1 << 20))
    )
    assert any("expands more than" in e for e in r.errors)
    r = scan([str(tmp_path / "debug.log.gz")], ScanOptions(limits=Limits(max_uncompressed_bytes=1 << 20)))
    assert any("--max-uncompressed" in e for e in r.errors)
    result = runner.invoke(cli, ["analyze", str(tmp_path / "debug.log.gz"), "--max-uncompressed", "1000000"])
    assert result.exit_code == 2 and ended_cleanly(result)


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_corrupt_archives_are_one_line_errors(tmp_path: Path, runner: CliRunner, damage: str) -> None:
    src = bundle(tmp_path)
    data = make_tgz(files_under(src))
    data = data[: len(data) // 2] if damage == "truncated" else b"\x1f\x8b" + os.urandom(2000)
    (tmp_path / "b.tgz").write_bytes(data)
    result = runner.invoke(cli, ["files", str(tmp_path / "b.tgz")])
    assert ended_cleanly(result)
    assert "b.tgz" in result.output
    bad_zip = tmp_path / "c.zip"
    bad_zip.write_bytes(b"PK\x03\x04" + os.urandom(100))
    result = runner.invoke(cli, ["analyze", str(bad_zip)])
    assert result.exit_code == 2 and "c.zip" in result.output and ended_cleanly(result)


def test_partial_input_reports_and_keeps_going(tmp_path: Path, runner: CliRunner) -> None:
    src = bundle(tmp_path)
    result = runner.invoke(cli, ["analyze", str(src), str(tmp_path / "missing.zip"), "--format", "json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert any("missing.zip" in w for w in data["warnings"])
    assert data["disconnects"]


def test_reader_streams_tar_members_without_extracting(tmp_path: Path) -> None:
    data = make_tgz({"a/desktop/logs/openfire/info.log": b"2026.03.04 14:00:00 Openfire stopped\n"})
    (tmp_path / "x.tgz").write_bytes(data)
    reader = BundleReader()
    seen = [(s.path, s.stream.read()) for s in reader.iter_sources([str(tmp_path / "x.tgz")])]
    assert seen == [("a/desktop/logs/openfire/info.log", b"2026.03.04 14:00:00 Openfire stopped\n")]


def test_each_file_says_which_archives_it_lies_in(tmp_path: Path) -> None:
    """`within`: the archives a file lies in inside its input (its path is inside the last of
    them); none for a folder's files, the archive given itself, or a file only gzipped."""
    line = b"2026.03.04 14:00:00 Openfire stopped\n"
    inner = make_zip({"x/desktop/logs/openfire/info.log": line})
    (tmp_path / "in" / "fin1").mkdir(parents=True)
    (tmp_path / "in" / "fin1" / "logs.zip").write_bytes(inner)
    (tmp_path / "in" / "debug.log.1.gz").write_bytes(gzip.compress(line))
    (tmp_path / "outer.tgz").write_bytes(make_tgz({"a.zip": inner, "b/c.tgz": make_tgz({"info.log": line})}))
    (tmp_path / "plain.zip").write_bytes(inner)
    paths = [str(tmp_path / name) for name in ("in", "outer.tgz", "plain.zip")]
    got = [(s.input_name, s.within, s.path) for s in BundleReader().iter_sources(paths)]
    assert got == [
        ("in", "", "debug.log.1"),
        ("in", "fin1/logs.zip", "x/desktop/logs/openfire/info.log"),
        ("outer.tgz", "a.zip", "x/desktop/logs/openfire/info.log"),
        ("outer.tgz", "b/c.tgz", "info.log"),
        ("plain.zip", "", "x/desktop/logs/openfire/info.log"),
    ]


def test_macos_metadata_is_skipped_and_told_once(tmp_path: Path) -> None:
    """A zip made by macOS's Finder holds a `__MACOSX/.../._name` companion for each file (and
    unpacked on a Mac, a folder has `._name` files): binary metadata, no log. They are skipped,
    told in one note (not one caveat per file), and the diagnosis is the bundle's own."""
    src = bundle(tmp_path)
    members = files_under(src)
    apple = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        \x00\x02com.apple.quarantine"
    for name in list(members):
        folder, _, base = name.rpartition("/")
        members[f"__MACOSX/{folder}/._{base}"] = apple
    (tmp_path / "mac.zip").write_bytes(make_zip(members))
    for f in list(src.rglob("*.log")):
        (f.parent / f"._{f.name}").write_bytes(apple)
    for path in (tmp_path / "mac.zip", src):
        r = scan([str(path)])
        assert summary([str(path)]) == summary([str(bundle(tmp_path / "plain"))])
        told = [w for w in r.warnings if "macOS" in w]
        assert told == [f"{len(files_under(tmp_path / 'plain' / 'src'))} file(s) of {MACOS_METADATA}"]
        assert not any("/._" in w or "!__MACOSX" in w for w in r.warnings)  # (no note per file)


def test_rotated_copies_are_read_oldest_first(tmp_path: Path) -> None:
    import shutil

    src = bundle(tmp_path)
    of = src / "fin1" / OPENFIRE
    shutil.copy(of / "debug.log", of / "debug.log.1")
    (of / "debug.log.2.gz").write_bytes(gzip.compress((of / "debug.log").read_bytes()))
    (of / "debug.log.10").write_bytes((of / "debug.log").read_bytes())
    order = [Path(f.path).name for f in scan([str(src)]).files if "debug" in f.path]
    assert order == ["debug.log.10", "debug.log.2.gz", "debug.log.1", "debug.log"]
    data = make_zip(files_under(src))
    (tmp_path / "r.zip").write_bytes(data)
    order = [f.path.rsplit("/", 1)[-1] for f in scan([str(tmp_path / "r.zip")]).files if "debug" in f.path]
    assert order == ["debug.log.10", "debug.log.2.gz", "debug.log.1", "debug.log"]
    r = scan([str(src)])
    assert len(r.disconnects) == 1  # four copies of the same lines: one disconnect


@pytest.mark.parametrize(
    ("name", "group", "index"),
    [
        ("logs/openfire/debug.log", "logs/openfire/debug.log", 0),
        ("logs/openfire/debug.log.3", "logs/openfire/debug.log", 3),
        ("logs/openfire/debug.log-3", "logs/openfire/debug.log", 3),
        ("logs/openfire/debug_3.log", "logs/openfire/debug.log", 3),
        ("logs/openfire/openfire.log-2.gz", "logs/openfire/openfire.log", 2),
        (
            "logs/webservices/Desktop-webservices.2026-03-04T14-00-00.500.startup.log",
            "logs/webservices/Desktop-webservices",
            0,
        ),
    ],
)
def test_rotation_groups(name: str, group: str, index: int) -> None:
    from finesse_logscan.rotation import rotation_group

    assert rotation_group(name) == (group, index)


def test_utf16_client_log_is_read(tmp_path: Path) -> None:
    text = (
        "Mozilla/5.0 (Windows NT 10.0) Chrome/120.0\r\n"
        "2019-03-04T08:15:02.114 -05:00: : fin1.example.com: Mar 04 2019 07:15:02.598 -0600: Container : "
        "Client: 2019-03-04T13:15:02.110Z, Server: 2019-03-04T13:15:02.591Z, Drift: 481ms, Network Latency (round trip): 22ms\r\n"
    )
    p = tmp_path / "fin1" / "desktop" / "logs" / "clientlogs" / "agent1001003_2019-03-04.txt"
    p.parent.mkdir(parents=True)
    p.write_bytes(text.encode("utf-16"))
    r = scan([str(tmp_path)])
    (f,) = r.files
    assert f.family == "clientlog" and (f.lines, f.parsed, f.unparsed) == (2, 2, 0)
    assert any("UTF-16" in w for w in f.warnings)
    assert r.clients[0].agent == "1001003" and r.clients[0].median_drift_ms == 481


def test_empty_folder_and_empty_archive_exit_2(tmp_path: Path, runner: CliRunner) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty.zip").write_bytes(make_zip({}))
    for p in ("empty", "empty.zip"):
        result = runner.invoke(cli, ["analyze", str(tmp_path / p)])
        assert result.exit_code == 2 and "no usable input" in result.output


def test_a_pipe_given_as_input_is_refused_not_read(tmp_path: Path, runner: CliRunner) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = runner.invoke(cli, ["analyze", str(fifo)])
    assert result.exit_code == 2 and "not a regular file" in result.output


def test_program_bugs_are_not_reported_as_damaged_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from finesse_logscan import bundle
    from finesse_logscan.parsers import openfire
    from finesse_logscan.pipeline import STRICT_ENV

    assert ValueError not in bundle.CORRUPT_ERRORS and RuntimeError not in bundle.CORRUPT_ERRORS
    n = Node(tmp_path)
    n.polls("1001003", "aa11", 0, 300, 300)
    root = str(n.write())

    def broken(lines, ctx):  # type: ignore[no-untyped-def]
        raise ValueError("bug in our code")
        yield

    monkeypatch.setattr(openfire, "parse", broken)
    monkeypatch.setattr(openfire, "parse_chunks", broken)
    with pytest.raises(ValueError, match="bug in our code"):  # tests: loud
        scan([root])
    monkeypatch.delenv(STRICT_ENV)
    report = scan([root])  # users: the rest of the bundle is still read, and it is not "corrupt"
    msgs = [w for w in report.warnings if "bug in our code" in w]
    assert msgs and all("internal error in the openfire parser" in w for w in msgs)
    assert not any("corrupt" in w for w in report.warnings)


def test_a_bug_while_reading_an_archive_is_not_swallowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = Node(tmp_path / "b")
    n.polls("1001003", "aa11", 0, 300, 300)
    root = n.write()
    tgz = tmp_path / "b.tgz"
    with tarfile.open(tgz, "w:gz") as tf:
        tf.add(root / "fin1", arcname="fin1")

    def broken(self, member):  # type: ignore[no-untyped-def]
        raise ValueError("bug in the reader")

    monkeypatch.setattr(tarfile.TarFile, "extractfile", broken)
    with pytest.raises(ValueError, match="bug in the reader"):
        scan([str(tgz)])


def test_bomb_of_valid_lines_is_stopped_soon_after_the_grace(tmp_path: Path) -> None:
    """Ratio measured on the compressed bytes read so far: a bomb is stopped after about the
    grace bytes, not after its whole expansion (here 600 MiB, which would take minutes)."""
    line = b"2017.06.17 00:16:04 Session (id=aa) was last active 0 ms ago: 1@f.com/desktop\n"
    path = tmp_path / "debug.log.gz"
    with gzip.open(path, "wb", compresslevel=9) as fh:
        block = line * 10_000
        for _ in range(800):
            fh.write(block)
    report = scan([str(path)], ScanOptions(limits=Limits(ratio_grace_bytes=4 << 20)))
    assert any("expands more than 200:1" in e for e in report.errors)
    from finesse_logscan.bundle import DecompressionLimitError

    reader, got = BundleReader(Limits(ratio_grace_bytes=4 << 20)), 0
    with pytest.raises(DecompressionLimitError):
        for src in reader.iter_sources([str(path)]):
            while chunk := src.stream.read(1 << 20):
                got += len(chunk)
    assert 4 << 20 <= got < 16 << 20  # stopped within a few MiB of the 4 MiB grace


def test_a_cut_gzip_member_inside_a_tgz_is_reported_and_the_next_members_read(tmp_path: Path) -> None:
    members = files_under(bundle(tmp_path))
    cut = gzip.compress(b"".join(members.values()))
    damaged = {"fin1/activelog/desktop/logs/openfire/debug.log.1.gz": cut[: len(cut) // 2], **members}
    (tmp_path / "b.tgz").write_bytes(make_tgz(damaged))
    r = scan([str(tmp_path / "b.tgz")])
    assert [e for e in r.errors if "debug.log.1.gz" in e and "truncated" in e]
    assert len([f for f in r.files if f.skipped is None]) == len(members)  # every member after it read
    assert r.verdict == summary([str(tmp_path / "src")])[0]


def test_a_gzip_bomb_inside_a_tgz_is_measured_on_its_own_compressed_bytes(tmp_path: Path) -> None:
    """A .gz member of a tgz: the ratio cap reads how far into the member its reader is (the
    member is read in pieces: that position must still be told)."""
    bomb = gzip.compress((b"2026.03.04 14:00:00 " + b"A" * 4075 + b"\n") * 16384)  # 64 MiB
    tgz = tmp_path / "b.tgz"
    with tarfile.open(tgz, "w:gz") as tf:
        info = tarfile.TarInfo("n1/desktop/logs/openfire/debug.log.gz")
        info.size = len(bomb)
        tf.addfile(info, io.BytesIO(bomb))
    r = scan([str(tgz)], ScanOptions(limits=Limits(max_ratio=100, ratio_grace_bytes=1 << 20)))
    assert any("debug.log.gz: expands more than 100:1" in e for e in r.errors)
    reader, got = BundleReader(Limits(max_ratio=100, ratio_grace_bytes=1 << 20)), 0
    with pytest.raises(Exception, match="expands more than"):
        for src in reader.iter_sources([str(tgz)]):
            while block := src.stream.read(1 << 16):
                got += len(block)
    assert got < 8 << 20  # stopped soon after the grace, not at the end of the 64 MiB
