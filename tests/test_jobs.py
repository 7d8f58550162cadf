"""--jobs: the same report with one process or several (workers.py)."""

from __future__ import annotations

import functools
import gzip
import io
import os
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import pytest

from finesse_logscan import scan, workers
from finesse_logscan.options import ScanOptions
from finesse_logscan.pipeline import STRICT_ENV
from finesse_logscan.report import Report

from .builders import Node, at
from .conftest import SAMPLES

WS = "fin1a.example.com/20260304142100/activelog/desktop/logs/webservices"


def _json(paths: list[str], jobs: int) -> dict[str, object]:
    return scan(paths, ScanOptions(jobs=jobs)).to_dict()


def _files(report: Report) -> list[tuple[object, ...]]:
    return [(f.path, f.family, f.node, f.lines, f.parsed, f.unparsed, f.duplicates, f.warnings, f.skipped)
            for f in report.files]  # fmt: skip


@pytest.fixture
def submitted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The families handed to worker processes (the spy calls the real submit)."""
    seen: list[str] = []
    real = workers.Pool.submit

    def spy(self: workers.Pool, family: str, *args: object) -> None:
        seen.append(family)
        real(self, family, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(workers.Pool, "submit", spy)
    return seen


@pytest.mark.parametrize(
    "bundle", ["client-side", "server-wide", "notification-service-crash.zip", "two-node"]
)
def test_every_sample_reads_the_same_with_one_or_three_jobs(bundle: str, submitted: list[str]) -> None:
    path = str(SAMPLES / bundle)
    assert _json([path], 3) == _json([path], 1)
    assert submitted and set(submitted) == {"webservices"}


def _rotated_bundle(tmp_path: Path) -> Path:
    """The client-side sample with its web services log rotated into four files: two plain,
    a longer copy of the second (its events are repeats: the first file keeps them), and one
    gzipped and cut short, read between them; openfire first, in a tgz."""
    root = tmp_path / "b"
    shutil.copytree(SAMPLES / "client-side", root)
    ws = root / WS
    log = next(ws.iterdir())
    data = log.read_bytes()
    half = data.index(b"\n", len(data) // 2) + 1
    log.write_bytes(data[:half])
    (ws / "Desktop-webservices.2026-03-04T14-30-00.000.log").write_bytes(data[half:])
    longer = data[half:] + data[:half].split(b"\n", 1)[0] + b"\n"
    (ws / "Desktop-webservices.2026-03-04T14-31-00.000.log").write_bytes(longer)  # a longer copy
    packed = gzip.compress(data[half:] + data[:half])
    (ws / "Desktop-webservices.2026-03-04T14-20-00.000.log.gz").write_bytes(packed[: len(packed) // 2])
    tgz = tmp_path / "b.tgz"
    with tarfile.open(tgz, "w:gz") as tf:
        for p in sorted(root.rglob("*"), key=lambda p: ("webservices" in str(p), str(p))):
            tf.add(p, arcname=str(p.relative_to(tmp_path)), recursive=False)
    return tgz


def test_rotated_copied_and_damaged_logs_read_the_same(tmp_path: Path, submitted: list[str]) -> None:
    tgz = str(_rotated_bundle(tmp_path))
    one, three = scan([tgz], ScanOptions(jobs=1)), scan([tgz], ScanOptions(jobs=3))
    assert three.to_dict() == one.to_dict()
    assert _files(three) == _files(one)
    files = {Path(f.path).name: f for f in one.files}
    assert files["Desktop-webservices.2026-03-04T14-31-00.000.log"].duplicates > 0  # the longer copy
    assert three.errors == one.errors
    assert [e for e in one.errors if "14-20-00.000.log.gz" in e]  # reported, and the files after it read
    assert list(files) == [
        "agent1001003_2026-03-04T20-00-38.txt",
        "agent1001010_2026-03-04T20-01-27.txt",
        "debug.log",
        "info.log",
        "Desktop-webservices.2026-03-04T14-00-00.500.log",
        "Desktop-webservices.2026-03-04T14-30-00.000.log",
        "Desktop-webservices.2026-03-04T14-31-00.000.log",
    ]
    assert submitted.count("webservices") == 3


def test_a_parser_failing_in_a_worker_is_the_same_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from finesse_logscan.parsers import webservices

    def broken(lines, ctx):  # type: ignore[no-untyped-def]
        for n, _ in enumerate(lines, 1):
            if n == 3:
                raise KeyError("bug in our code")
        yield

    monkeypatch.setattr(webservices, "parse", broken)  # the workers are forked after this
    monkeypatch.delattr(webservices, "parse_chunks")  # so that parse is the one called
    monkeypatch.delenv(STRICT_ENV)
    path = str(SAMPLES / "client-side")
    one, three = scan([path], ScanOptions(jobs=1)), scan([path], ScanOptions(jobs=3))
    assert three.warnings == one.warnings and _files(three) == _files(one)
    failed = [w for f in one.files for w in f.warnings if "internal error in the webservices parser" in w]
    lines = len(next((SAMPLES / "client-side" / WS).iterdir()).read_bytes().splitlines())
    assert failed == [
        f"internal error in the webservices parser after line {lines}: KeyError: 'bug in our code'"
    ]
    note = next(w for w in one.warnings if "internal error" in w)  # a record, with its file and line
    assert (note.code, note.line, note.file) == ("file", lines, next(f.path for f in one.files if f.warnings))


def test_spooled_files_are_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    scan([str(SAMPLES / "two-node")], ScanOptions(jobs=2))
    assert list(tmp_path.iterdir()) == []


def test_a_spool_gives_back_its_chunks_and_goes() -> None:
    from finesse_logscan.textlines import Damage, iter_chunks

    data = b"".join(b"2026.03.04 08:00:%02d line %d\n" % (i % 60, i) for i in range(5000))
    chunks = list(iter_chunks(io.BytesIO(data), Damage(), size=4096))
    with tempfile.TemporaryDirectory() as folder:
        spool = workers.Spool(folder)
        for c in chunks:
            spool.add(c)
        assert list(spool.chunks()) == chunks
        assert list(Path(folder).iterdir()) == []


def test_without_worker_processes_or_with_a_broken_pool_the_report_is_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where no process can be started (a sandbox), or a worker dies (out of memory), the
    files meant for workers are parsed here."""
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    path = str(SAMPLES / "two-node")
    expected = _json([path], 1)

    def no_processes(*args: object, **kwargs: object) -> None:
        raise OSError("no processes here")

    monkeypatch.setattr(workers, "ProcessPoolExecutor", no_processes)
    assert _json([path], 3) == expected

    class Broken:
        def __init__(self, *args: object, **kwargs: object) -> None:
            pass

        def submit(self, *args: object) -> Future[object]:
            future: Future[object] = Future()
            future.set_exception(BrokenProcessPool("a worker died"))
            return future

        def shutdown(self, **kwargs: object) -> None:
            pass

    monkeypatch.setattr(workers, "ProcessPoolExecutor", Broken)
    assert _json([path], 3) == expected


def _busy_openfire(tmp_path: Path) -> str:
    """A node whose debug.log has many small blocks: three agents' polls (one drops), Jetty
    noise, and now and then a line the block path cannot read in bulk (times going back, ANSI
    colours, a record going on across blocks)."""
    n = Node(tmp_path)
    n.full_drop("1001003", "aa11", 0, 300)
    for i, (agent, sid) in enumerate((("1001010", "bb22"), ("1001011", "cc33"))):
        n.polls(agent, sid, i, 1200, 1300)
    for s in range(0, 1300, 7):
        n.of("debug.log", at(s), "scope null||/http-bind/ @ o.e.j.s.ServletContextHandler{/http-bind,null}")
        if s % 196 == 0:  # every 28th
            back = f"{n._local(at(s - 30)):%Y.%m.%d %H:%M:%S}"  # written among lines 30 s later
            n.openfire["debug.log"].append(
                (at(s), f"{back} Session (id=zz) was last active 5 ms ago: 7@f.com/d")
            )
            n.of("debug.log", at(s), "\x1b[32mcoloured\x1b[0m HTTP RECVD(aa11): <body/>")
            n.of(
                "debug.log",
                at(s),
                "java.lang.IllegalStateException: x\n\tat a.b(C.java:1)\n\tat d.e(F.java:2)",
            )
    return str(n.write())


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Blocks of 2 KB scanned one at a time (many blocks from a small file); records which
    functions went to the worker processes."""
    from finesse_logscan import pipeline, textlines

    monkeypatch.setattr(pipeline, "iter_chunks", functools.partial(textlines.iter_chunks, size=2048))
    monkeypatch.setattr(workers, "SCAN_BLOCK", 1)
    sent: list[str] = []
    real = workers.Pool._started

    def started(self: workers.Pool) -> Any:
        executor = real(self)

        class Spy:
            def submit(self, fn: Any, *args: Any) -> Any:
                sent.append(fn.__name__)
                return executor.submit(fn, *args)

        return Spy()

    monkeypatch.setattr(workers.Pool, "_started", started)
    return sent


def test_blocks_of_a_file_joined_here_may_be_scanned_by_workers(
    tmp_path: Path, small_blocks: list[str]
) -> None:
    root = _busy_openfire(tmp_path)
    one, three = scan([root], ScanOptions(jobs=1)), scan([root], ScanOptions(jobs=3))
    assert three.to_dict() == one.to_dict()
    assert _files(three) == _files(one)
    assert small_blocks.count("_scan_in_worker") > 5  # blocks were lent
    assert [d.agent for d in one.disconnects] == ["1001003"]


def test_a_block_no_worker_has_begun_is_taken_back(
    tmp_path: Path, small_blocks: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The join does not wait for a worker that has not begun its block: it scans it here."""
    from concurrent.futures import Future

    class Idle:  # workers that never begin anything
        def submit(self, fn: Any, *args: Any) -> Future[Any]:
            small_blocks.append(fn.__name__)
            return Future()

    monkeypatch.setattr(workers.Pool, "_started", lambda self: Idle())
    root = _busy_openfire(tmp_path)
    one = scan([root], ScanOptions(jobs=1))
    three = scan([root], ScanOptions(jobs=3))
    assert three.to_dict() == one.to_dict()
    assert small_blocks.count("_scan_in_worker") > 5


def test_a_block_a_worker_failed_on_is_scanned_here(
    tmp_path: Path, small_blocks: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _busy_openfire(tmp_path)

    def failing(*args: object) -> list[object]:
        raise RuntimeError("worker trouble")

    monkeypatch.setattr(workers, "_scan_in_worker", failing)  # the workers are forked after this
    one, three = scan([root], ScanOptions(jobs=1)), scan([root], ScanOptions(jobs=3))
    assert three.to_dict() == one.to_dict() and three.warnings == one.warnings
    assert small_blocks.count("failing") > 5


def test_an_archive_cut_inside_a_joined_file_reads_the_same(tmp_path: Path, small_blocks: list[str]) -> None:
    """Blocks read ahead for the workers: the error of an archive cut in the middle of the
    debug.log still comes after the lines read before it (same events, same 'after line N')."""
    root = Path(_busy_openfire(tmp_path / "b"))
    debug = next(root.rglob("debug.log"))
    with debug.open("a") as fh:  # hard to compress: the cut falls well inside the debug.log
        for i in range(100_000):
            fh.write(f"2026.03.04 14:40:00 scope {i} {os.urandom(24).hex()}\n")
    whole = tmp_path / "whole.tgz"
    with tarfile.open(whole, "w:gz") as tf:
        tf.add(root, arcname="bundle")
    data = whole.read_bytes()
    cut = tmp_path / "cut.tgz"
    cut.write_bytes(data[: len(data) * 2 // 3])
    one, three = scan([str(cut)], ScanOptions(jobs=1)), scan([str(cut)], ScanOptions(jobs=3))
    assert three.to_dict() == one.to_dict()
    assert _files(three) == _files(one)
    debug_log = next(f for f in one.files if f.path.endswith("debug.log"))
    assert 1000 < debug_log.lines < 100_000  # read up to the cut
    assert any("truncated" in w for w in one.warnings)


def test_the_files_parsed_at_the_end_move_the_progress_bar() -> None:
    seen: list[tuple[int, int, str]] = []
    opts = ScanOptions(jobs=3, progress=lambda pos, total, label: seen.append((pos, total, label)))
    scan([str(SAMPLES / "client-side")], opts)
    last = [s for s in seen if s[2].startswith("parsing ")]
    assert last and last[-1][0] == last[-1][1] > 0  # to the end of the files being settled
    assert [s[0] for s in last] == sorted(s[0] for s in last)
