"""Parsing on more than one core (`--jobs`).

Archives are streams: only the main process can read them, in their order, and a busy node's
openfire debug.log (about 80 % of the bytes, and serial: its BOSH activity runs cross files)
often comes before the web services logs (most of the rest, and the slowest lines). With more
than one job:

- the main process reads every file as always (decompression, damage counts, routing), but
  keeps the blocks of a large family's files in a `Spool` (a temporary file: memory stays
  flat, the disk holds a copy meanwhile) instead of parsing them at once;
- a spooled file of a family whose parser says `PARALLEL = True` (its events depend on no
  other file's: web services) goes to a worker process as soon as it is read;
- a spooled file of a family parsed in blocks (openfire) is joined by the main process once
  every input has been read (its records in order: one may go on across blocks; the time
  order), while the workers parse the rest; a worker that is free scans blocks of it (the
  parser's `scanner`: the work that needs nothing from the blocks before), those just past
  the one the main process scans next, and, while the file is still being read, its first
  SCAN_AHEAD blocks. Results wait a few blocks at most: memory stays flat.

Families never share state in the event store (duplicates are recognised within a family;
only openfire events name BOSH sessions), results enter the store in file order within each
family, and the timeline sorts events by time, file and line: the report is the same with any
number of jobs (a test compares them).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import islice
from typing import IO, TYPE_CHECKING, cast

from . import signatures
from .textlines import Chunk, Line

if TYPE_CHECKING:
    from .event import Event
    from .eventstore import ActivityBatch
    from .parsing import FileContext, Parser

STRICT_ENV = "FINESSE_LOGSCAN_STRICT"
"""Set (tests and --debug do) to let an internal error in a parser raise instead of becoming
a warning."""


def parser_failed(family: str, line: int, error: str) -> str:
    """The warning for a parser that raised (a bug: reported, the rest of the bundle read)."""
    return f"internal error in the {family} parser after line {line}: {error}"


def lines_of(chunks: Iterable[Chunk]) -> Iterator[Line]:
    for chunk in chunks:
        yield from chunk.iter_lines()


def parse_file(
    parser: Parser,
    chunks: Iterable[Chunk],
    ctx: FileContext,
    scans: Callable[[Iterable[Chunk]], Iterator[tuple[Chunk, object]]] | None = None,
) -> Iterator[Event | ActivityBatch]:
    """Run `parser` over the chunks: given `scans` (Pool.scanning), its join of scanned blocks;
    else its block path when it has one, else line by line."""
    if scans is not None:
        parse_scanned = getattr(parser, "parse_scanned")  # noqa: B009 - an optional part of a parser
        return cast("Iterator[Event | ActivityBatch]", parse_scanned(scans(chunks), ctx))
    parse_chunks = getattr(parser, "parse_chunks", None)
    if parse_chunks is not None:
        return cast("Iterator[Event | ActivityBatch]", parse_chunks(chunks, ctx))
    return parser.parse(lines_of(chunks), ctx)


class Counted:
    """Counts the lines of the chunks handed out (every line read is accounted for; 'after line
    N' in warnings), and calls `tick` after each chunk (the progress bar)."""

    def __init__(self, chunks: Iterable[Chunk], tick: Callable[[], None] | None = None) -> None:
        self._chunks = chunks
        self._tick = tick
        self.count = 0

    def __iter__(self) -> Iterator[Chunk]:
        for chunk in self._chunks:
            self.count += chunk.count
            if self._tick is not None:
                self._tick()
            yield chunk


@dataclass
class Parsed:
    """What a worker gave for one file: its events in order, the filled-in context, and, when
    the parser failed, the error and how many lines it had been handed by then."""

    events: list[Event | ActivityBatch]
    ctx: FileContext
    error: str | None = None
    lines_when_failed: int = 0


def _parse_in_worker(family: str, spool: Spool, ctx: FileContext) -> Parsed:
    from .parsers import PARSERS

    parser = next(p for p in PARSERS if family == p.NAME)
    handed = Counted(spool.chunks())
    events: list[Event | ActivityBatch] = []
    try:
        events.extend(parse_file(parser, handed, ctx))
    except Exception as exc:  # as in the main process: a warning, or loud under STRICT
        if os.environ.get(STRICT_ENV):
            raise
        return Parsed(events, ctx, f"{type(exc).__name__}: {exc}", handed.count)
    return Parsed(events, ctx)


SCAN_BLOCK = 4
"""Chunks a worker scans at a time (16 MiB: about a quarter of a second of work)."""
SCAN_AHEAD = 8
"""Blocks of a file still being read that idle workers may scan before its join begins (their
results wait in memory: at most this many)."""
LEND_WINDOW = 6
"""Blocks past the one being joined that the workers may be scanning (results wait in memory:
at most this many)."""

_SCANNERS: dict[tuple[str, str], Callable[[Chunk], object]] = {}


def _scan_in_worker(family: str, path: str, offset: int, count: int, ctx: FileContext) -> list[object]:
    """Scan `count` chunks of a spool file from `offset` (a block of a file being joined by the
    main process): the parser's `scanner` results, in order."""
    scan = _SCANNERS.get((family, ctx.display))
    if scan is None:
        from .parsers import PARSERS

        _SCANNERS.clear()  # one file at a time
        parser = next(p for p in PARSERS if family == p.NAME)
        scan = _SCANNERS[(family, ctx.display)] = getattr(parser, "scanner")(ctx)  # noqa: B009
    with open(path, "rb") as fh:
        fh.seek(offset)
        return [scan(pickle.load(fh)) for _ in range(count)]


def _init_worker(signatures_file: str | None) -> None:
    signatures.use(signatures.load_file(signatures_file) if signatures_file else ())


class Spool:
    """The chunks of one file, kept in a temporary file until they are parsed (by this process
    or a worker: it travels as its path). Memory stays flat; the disk holds a copy meanwhile."""

    def __init__(self, folder: str) -> None:
        fd, self.path = tempfile.mkstemp(suffix=".chunks", dir=folder)
        self._fh: IO[bytes] | None = os.fdopen(fd, "wb")
        self.size = 0  # bytes of the file's lines
        self.offsets: list[int] = []  # where each chunk starts in the spool file
        self.lent: dict[int, Future[list[object]]] = {}  # blocks being scanned by workers, by number

    def add(self, chunk: Chunk) -> None:
        assert self._fh is not None
        self.offsets.append(self._fh.tell())
        pickle.dump(chunk, self._fh, protocol=pickle.HIGHEST_PROTOCOL)
        self.size += len(chunk.data)

    def flush(self) -> None:
        """Let another process read what was added so far."""
        if self._fh is not None:
            self._fh.flush()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __getstate__(self) -> dict[str, str]:  # what a worker is sent: the path
        return {"path": self.path}

    def __setstate__(self, state: dict[str, str]) -> None:
        self.path, self._fh, self.size, self.offsets, self.lent = state["path"], None, 0, [], {}

    def chunks(self) -> Iterator[Chunk]:
        """The chunks in order, read back one at a time; the file is removed at the end."""
        self.close()
        try:
            with open(self.path, "rb") as fh:
                while True:
                    try:
                        chunk = pickle.load(fh)
                    except EOFError:
                        return
                    yield chunk
        finally:
            with contextlib.suppress(OSError):
                os.unlink(self.path)


@dataclass
class _Task:
    """A file for a worker: waiting (no future yet), handed to the workers, or parsed here."""

    family: str
    spool: Spool
    ctx: FileContext
    done: Callable[[Parsed], None]
    future: Future[Parsed] | None = None
    result: Parsed | None = None


def _scans_of(future: Future[list[object]] | None) -> list[object] | None:
    """A lent block's scans; None (scan it here) when a worker failed on it or died."""
    if future is None:
        return None
    try:
        return future.result()
    except Exception:  # a parser bug shows again, with its line, when the block is scanned here
        return None


class Pool:
    """Worker processes for `jobs` > 1 (started on first use); with 1 job, none."""

    def __init__(
        self,
        jobs: int,
        signatures_file: str | None = None,
        progress: Callable[[int, int, str], None] | None = None,
    ) -> None:
        self.workers = max(jobs, 1) - 1
        self._progress = progress
        self.deferred_bytes = 0  # bytes of the spooled files this process parses at the end
        self._parsed_bytes = 0
        self._signatures_file = signatures_file
        self._executor: ProcessPoolExecutor | None = None
        self._pending: deque[_Task] = deque()  # files for workers, in the order they were read
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    def spool(self) -> Spool:
        """A new spool file, in this run's own temporary folder (removed by `close`)."""
        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix="finesse-logscan-")
        return Spool(self._folder.name)

    def parsing(self, spool: Spool, display: str) -> Iterator[Chunk]:
        """The chunks of a spooled file, parsed here: the progress bar follows them (a second
        pass over the bar: bytes parsed of the bytes spooled)."""
        label = "parsing " + display.rsplit("/", 1)[-1].rsplit("!", 1)[-1]
        for chunk in spool.chunks():
            self._parsed_bytes += len(chunk.data)
            if self._progress is not None:
                self._progress(self._parsed_bytes, self.deferred_bytes, label)
            yield chunk

    def scanning(
        self, spool: Spool, parser: Parser, ctx: FileContext
    ) -> Callable[[Iterable[Chunk]], Iterator[tuple[Chunk, object]]]:
        """For a spooled file this process joins (`parse_scanned`): pairs each of its chunks, read
        in order, with its scan, made here or, for the blocks lent to the workers, by them.
        Blocks within LEND_WINDOW past the one this process scans next go to the workers
        before any waiting file (the join is the critical path), each worker running one task
        with one more queued: results are used soon after they are made (memory stays flat)
        and this process seldom waits."""
        scan = getattr(parser, "scanner")(ctx)  # noqa: B009 - an optional part of a parser
        blocks = -(-len(spool.offsets) // SCAN_BLOCK)
        lent = spool.lent  # (lent_ahead may have lent the first blocks while the file was read)

        def lend(block: int) -> None:
            busy = self._busy(lent)
            mine = block if block not in lent else block + 1  # the next block scanned here
            for later in range(mine + 1, min(blocks, mine + 1 + LEND_WINDOW)):
                if busy >= 2 * self.workers:
                    return
                if later not in lent:
                    if not self._lend(spool, parser.NAME, ctx, later):
                        return  # no workers: scanned here
                    busy += 1
            self._feed()  # nothing more to lend: the workers may take a file meanwhile

        def pairs(chunks: Iterable[Chunk]) -> Iterator[tuple[Chunk, object]]:
            it = iter(chunks)
            for block in range(blocks):
                lend(block)
                scans = _scans_of(lent.pop(block, None))
                for i, chunk in enumerate(islice(it, SCAN_BLOCK)):
                    yield chunk, (scans[i] if scans is not None else scan(chunk))
            for chunk in it:  # none, unless the spool changed: scanned here
                yield chunk, scan(chunk)

        return pairs

    def lend_ahead(self, spool: Spool, parser: Parser, ctx: FileContext) -> None:
        """Called as each chunk of a spooled file is read: for a file this process will join, a
        block just completed goes to a worker to scan when one is idle (or has one task
        queued), up to SCAN_AHEAD blocks (a debug.log often comes first in an archive: the
        workers have nothing else to do while it is read); past those, or for another file,
        a waiting file goes to an idle worker."""
        done = len(spool.offsets)
        if done % SCAN_BLOCK:
            return
        if len(spool.lent) < SCAN_AHEAD and self.defers(parser) and hasattr(parser, "scanner"):
            if self._busy(spool.lent) < 2 * self.workers:
                spool.flush()
                self._lend(spool, parser.NAME, ctx, done // SCAN_BLOCK - 1)  # (else scanned at the join)
            return
        self._feed()  # a waiting file to an idle worker

    def _lend(self, spool: Spool, family: str, ctx: FileContext, block: int) -> bool:
        """Hand block number `block` of a spooled file to the workers to scan (spool.lent);
        False where no worker process can be started or the pool is broken."""
        start = block * SCAN_BLOCK
        count = min(SCAN_BLOCK, len(spool.offsets) - start)
        try:
            spool.lent[block] = self._started().submit(
                _scan_in_worker, family, spool.path, spool.offsets[start], count, ctx
            )
        except (OSError, NotImplementedError, BrokenProcessPool):
            return False
        return True

    def _busy(self, lent: dict[int, Future[list[object]]]) -> int:
        """Tasks handed to the workers and not finished."""
        working = sum(t.future is not None and not t.future.done() for t in self._pending)
        return sum(not f.done() for f in lent.values()) + working

    def takes(self, parser: Parser) -> bool:
        """Is a file of this family parsed by a worker?"""
        return self.workers > 0 and bool(getattr(parser, "PARALLEL", False))

    def defers(self, parser: Parser) -> bool:
        """Is a file of this family spooled and parsed once every input has been read?"""
        return self.workers > 0 and not self.takes(parser) and hasattr(parser, "parse_chunks")

    def submit(self, family: str, spool: Spool, ctx: FileContext, done: Callable[[Parsed], None]) -> None:
        """Parse a spooled file in a worker, or here (`settle`); `done` gets the result, in
        submission order, from `settle`. It waits until a worker has room and no block of a
        file being joined is to be scanned first (`_feed`)."""
        spool.close()
        self._pending.append(_Task(family, spool, ctx, done))
        self._feed()

    def _feed(self, tasks: Iterable[_Task] | None = None) -> None:
        """Hand waiting files to the workers, first read first, while a worker has room (one
        task running, one queued). Where no process can be started, or the pool is broken,
        the file is parsed here."""
        busy = self._busy({})
        for task in self._pending if tasks is None else tasks:
            if busy >= 2 * self.workers:
                return
            if task.future is not None or task.result is not None:
                continue
            try:
                task.future = self._started().submit(_parse_in_worker, task.family, task.spool, task.ctx)
            except (OSError, NotImplementedError, BrokenProcessPool):  # no worker processes here
                task.result = _parse_in_worker(task.family, task.spool, task.ctx)
                continue
            busy += 1

    def _started(self) -> ProcessPoolExecutor:
        """The worker processes, started on first use (OSError, NotImplementedError where
        processes cannot be started here)."""
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                self.workers, initializer=_init_worker, initargs=(self._signatures_file,)
            )
        return self._executor

    def settle(self, family: str | None = None) -> None:
        """Hand over the results of the files submitted so far (all, or up to the last one of
        `family`), in submission order. The files still waiting are shared: the workers take
        them first read first, this process the last one left, until none is left."""
        last = max(
            (i for i, t in enumerate(self._pending) if family is None or t.family == family), default=-1
        )
        tasks = list(islice(self._pending, last + 1))
        while True:
            self._feed(tasks)
            here = next((t for t in reversed(tasks) if t.future is None and t.result is None), None)
            if here is None:
                break
            here.result = _parse_in_worker(here.family, here.spool, here.ctx)
        for task in tasks:
            self._pending.popleft()
            task.done(task.result if task.result is not None else self._result(task))

    @staticmethod
    def _result(task: _Task) -> Parsed:
        assert task.future is not None
        try:
            return task.future.result()
        except BrokenProcessPool:  # the worker died (killed, out of memory): parse it here
            return _parse_in_worker(task.family, task.spool, task.ctx)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)
            self._executor = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None
