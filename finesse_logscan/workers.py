"""Parsing on more than one core (`--jobs`).

Archives are streams: only the main process can read them, in their order, and a busy node's
openfire debug.log (about 80 % of the bytes, and serial: its BOSH activity runs cross files)
often comes before the web services logs (most of the rest, and the slowest lines). With more
than one job:

- the main process reads every file as always (decompression, damage counts, routing);
- a file of a family whose parser says `PARALLEL = True` (its events depend on no other
  file's: web services) is kept in a `Spool` (a temporary file: memory stays flat, the disk
  holds a copy meanwhile) and parsed by a worker process, or, at the end, by the main process
  when the workers have more than they can do (`settle`);
- a file of a family parsed in blocks (openfire: a `scanner` for the work that needs nothing
  from the blocks before, `parse_scanned` for the join in order: a record going on across
  blocks, the time order) is joined by the main process as it is read, while the workers scan
  the blocks read ahead of the join (`Pool.scans`: at most LIVE_WINDOW blocks are held;
  memory stays flat). A worker's scan of a block is handed over as its result; a worker that
  fails leaves the block to be scanned here.

The join goes first: the workers take a waiting file only when no block is to be scanned.
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
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
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
    """Run `parser` over the chunks: given `scans` (Pool.scans), its join of scanned blocks;
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
            self.hand(chunk)
            yield chunk

    def unread(self) -> Iterator[Chunk]:
        """The chunks, not counted: for a reader ahead of its parser, which counts each chunk
        with `hand` as the parser gets it ('after line N' stays the parser's line)."""
        return iter(self._chunks)

    def hand(self, chunk: Chunk) -> None:
        self.count += chunk.count
        if self._tick is not None:
            self._tick()


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


SCAN_BLOCK = 1
"""Chunks a worker scans at a time (4 MiB: about a twentieth of a second of work, ten times
what sending it and its scan between processes costs)."""
LIVE_WINDOW = 6
"""Blocks of a file being joined that are held at once: the one joined, and those read ahead of
it for the workers to scan (memory: LIVE_WINDOW * SCAN_BLOCK chunks, and their scans)."""

_SCANNERS: dict[tuple[str, str], Callable[[Chunk], object]] = {}


def _scan_in_worker(family: str, spool: Spool, ctx: FileContext) -> list[object]:
    """The parser's `scanner` results for a block of a file the main process joins (the block
    comes in a spool file: see Spool.holding)."""
    scan = _SCANNERS.get((family, ctx.display))
    if scan is None:
        from .parsers import PARSERS

        _SCANNERS.clear()  # one file at a time
        parser = next(p for p in PARSERS if family == p.NAME)
        scan = _SCANNERS[(family, ctx.display)] = getattr(parser, "scanner")(ctx)  # noqa: B009
    return [scan(chunk) for chunk in spool.chunks()]


def _init_worker(signatures_file: str | None) -> None:
    signatures.use(signatures.load_file(signatures_file) if signatures_file else ())


class Spool:
    """The chunks of one file, kept in a temporary file until they are parsed (by this process
    or a worker: it travels as its path). Memory stays flat; the disk holds a copy meanwhile."""

    def __init__(self, folder: str) -> None:
        fd, self.path = tempfile.mkstemp(suffix=".chunks", dir=folder)
        self._fh: IO[bytes] | None = os.fdopen(fd, "wb")
        self.size = 0  # bytes of the file's lines

    def add(self, chunk: Chunk) -> None:
        assert self._fh is not None
        pickle.dump(chunk, self._fh, protocol=pickle.HIGHEST_PROTOCOL)
        self.size += len(chunk.data)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __getstate__(self) -> dict[str, str]:  # what a worker is sent: the path
        return {"path": self.path}

    def __setstate__(self, state: dict[str, str]) -> None:
        self.path, self._fh, self.size = state["path"], None, 0

    @classmethod
    def holding(cls, folder: str, chunk: Chunk) -> Spool:
        """A spool of one chunk: a block handed to another process (through the pool's pipe,
        4 MiB cost the process sending them ~5 ms of CPU and the one reading them ~15, through
        a file ~1-2 each: measured)."""
        spool = cls(folder)
        spool.add(chunk)
        spool.close()
        return spool

    def discard(self) -> None:
        """Remove the file unread (its chunks were used otherwise)."""
        self.close()
        with contextlib.suppress(OSError):
            os.unlink(self.path)

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
            self.discard()


@dataclass
class _Task:
    """A file for a worker: waiting (no future yet), handed to the workers, or parsed here."""

    family: str
    spool: Spool
    ctx: FileContext
    done: Callable[[Parsed], None]
    future: Future[Parsed] | None = None
    result: Parsed | None = None


@dataclass
class _Block:
    """Chunks of a file being joined, read ahead: lent to a worker, or scanned here."""

    chunks: list[Chunk]
    lent: Future[list[object]] | None = None
    scans: list[object] | None = None
    spool: Spool | None = None  # the copy a worker reads them from


def _not_begun(future: Future[Parsed] | Future[list[object]] | None) -> bool:
    """Not handed to a worker, or handed and taken back before any began it."""
    return future is None or future.cancel()


class _Done(Exception):
    """The end of a file read ahead (not an error)."""


def _scans_of(future: Future[list[object]]) -> list[object] | None:
    """A finished lent block's scans; None (scan it here) when a worker failed on it or died."""
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
        self._signatures_file = signatures_file
        self._executor: ProcessPoolExecutor | None = None
        self._pending: deque[_Task] = deque()  # files for workers, in the order they were read
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    def spool(self) -> Spool:
        """A new spool file, in this run's own temporary folder (removed by `close`)."""
        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix="finesse-logscan-")
        return Spool(self._folder.name)

    def joins(self, parser: Parser) -> bool:
        """Are blocks of this family's files scanned by workers while they are joined here?"""
        return self.workers > 0 and hasattr(parser, "scanner") and hasattr(parser, "parse_scanned")

    def scans(
        self, parser: Parser, ctx: FileContext
    ) -> Callable[[Iterable[Chunk]], Iterator[tuple[Chunk, object]]]:
        """For a file this process joins as it reads it (`parse_scanned`): pairs each of its
        chunks, in order, with its scan, made here or by a worker. Up to LIVE_WINDOW blocks are
        held: the one joined next, and those read ahead of it. Workers with room (one task
        running, one queued) take the newest of them, before any waiting file; this process
        scans the oldest: the one joined next, or, while a worker is still on that one, the
        next not lent (its scan waits for its turn). A block no worker has begun when the join
        reaches it is taken back. A reading error comes after the chunks read before it, as
        it would without workers."""
        scan_chunk = getattr(parser, "scanner")(ctx)  # noqa: B009 - an optional part of a parser
        family = parser.NAME

        def scan(block: _Block) -> list[object]:
            return [scan_chunk(chunk) for chunk in block.chunks]

        def pairs(chunks: Iterable[Chunk]) -> Iterator[tuple[Chunk, object]]:
            counted = chunks if isinstance(chunks, Counted) else None
            source = counted.unread() if counted is not None else iter(chunks)
            ahead: deque[_Block] = deque()
            error: BaseException | None = None
            while True:
                while error is None and len(ahead) < LIVE_WINDOW:
                    block = _Block([])
                    try:
                        for chunk in source:
                            block.chunks.append(chunk)
                            if len(block.chunks) == SCAN_BLOCK:
                                break
                    except Exception as exc:  # raised after the chunks read before it
                        error = exc
                    if block.chunks:
                        ahead.append(block)
                    if len(block.chunks) < SCAN_BLOCK:
                        error = error or _Done()
                if not ahead:
                    break
                self._lend(ahead, family, ctx)
                front = ahead[0]
                while front.scans is None:
                    if front.lent is None or _not_begun(front.lent):
                        if front.spool is not None:
                            front.spool.discard()  # (taken back)
                        front.scans = scan(front)
                    elif front.lent.done():
                        front.scans = _scans_of(front.lent) or scan(front)
                    else:  # a worker is on it: scan the next block not lent meanwhile, or wait
                        other = next((b for b in ahead if b.lent is None and b.scans is None), None)
                        if other is None:
                            wait([front.lent], return_when=FIRST_COMPLETED)
                        else:
                            other.scans = scan(other)
                ahead.popleft()
                for chunk, scanned in zip(front.chunks, front.scans, strict=True):
                    if counted is not None:
                        counted.hand(chunk)
                    yield chunk, scanned
            if error is not None and not isinstance(error, _Done):
                raise error

        return pairs

    def _lend(self, ahead: deque[_Block], family: str, ctx: FileContext) -> None:
        """Hand the newest blocks read ahead (never the one joined next) to workers with room;
        then, with room left, a waiting file."""
        busy = self._busy(b.lent for b in ahead if b.lent is not None)
        for block in reversed(ahead):
            if busy >= 2 * self.workers or block is ahead[0]:
                break
            if block.lent is not None or block.scans is not None:
                continue
            try:
                executor = self._started()
                block.spool = self.spool()
                for chunk in block.chunks:
                    block.spool.add(chunk)
                block.spool.close()
                block.lent = executor.submit(_scan_in_worker, family, block.spool, ctx)
            except (OSError, NotImplementedError, BrokenProcessPool):
                if block.spool is not None:
                    block.spool.discard()
                return  # no workers: scanned here
            busy += 1
        self._feed()

    def _busy(self, lent: Iterable[Future[list[object]]] = ()) -> int:
        """Tasks handed to the workers and not finished."""
        working = sum(t.future is not None and not t.future.done() for t in self._pending)
        return sum(not f.done() for f in lent) + working

    def takes(self, parser: Parser) -> bool:
        """Is a file of this family parsed by a worker?"""
        return self.workers > 0 and bool(getattr(parser, "PARALLEL", False))

    def submit(self, family: str, spool: Spool, ctx: FileContext, done: Callable[[Parsed], None]) -> None:
        """Parse a spooled file in a worker, or here (`settle`); `done` gets the result, in
        submission order, from `settle`. It waits until a worker has room and no block of a
        file being joined is to be scanned first (`_feed`)."""
        spool.close()
        self._pending.append(_Task(family, spool, ctx, done))
        self._feed()

    def _feed(self, tasks: Iterable[_Task] | None = None) -> None:
        """Hand waiting files to idle workers, first read first (one at a time each: a file
        queued behind another could not be taken back by `settle`, as the executor passes one
        task more than it has workers to them at once). Where no process can be started, or
        the pool is broken, the file is parsed here."""
        busy = self._busy()
        for task in self._pending if tasks is None else tasks:
            if busy >= self.workers:
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
        them first read first, this process the last one left (or one handed to the workers
        that none has begun: it is taken back), until none is left."""
        last = max(
            (i for i, t in enumerate(self._pending) if family is None or t.family == family), default=-1
        )
        tasks = list(islice(self._pending, last + 1))
        self._show(tasks)
        while True:
            self._feed(tasks)
            here = next((t for t in reversed(tasks) if t.result is None and _not_begun(t.future)), None)
            if here is None:
                break
            here.future = None
            here.result = _parse_in_worker(here.family, here.spool, here.ctx)
            self._show(tasks)
        for task in tasks:
            self._pending.popleft()
            task.done(task.result if task.result is not None else self._result(task))
            self._show(tasks)

    def _show(self, tasks: list[_Task]) -> None:
        """The progress bar's last pass: bytes of the files parsed of those being settled."""
        if self._progress is None or not tasks:
            return
        done = sum(t.spool.size for t in tasks if t.result is not None or (t.future and t.future.done()))
        files = f"{len(tasks)} file" + ("s" if len(tasks) > 1 else "")
        self._progress(done, sum(t.spool.size for t in tasks), f"parsing {files}")

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
