"""`redact()`: the two passes over the inputs (learn, then write the copy), each over several
processes with its effects in file order, so the copy and the mapping do not depend on --jobs."""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
import zipfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import workers
from ..bundle import (
    ARCHIVE_SUFFIXES,
    CORRUPT_ERRORS,
    BundleReader,
    DecompressionLimitError,
    SourceFile,
    input_name,
    strip_suffix,
)
from ..options import Limits
from ..routing import SNIFF_LINES, route, route_by_name
from ..textlines import CHUNK_BYTES, Chunk, Damage, as_utf8_stream, iter_chunks
from .archive import _ZipWriter
from .redactor import Redactor
from .rules import RedactError, Rule, builtin_rules
from .tokens import Pseudonyms


@dataclass
class Result:
    files: int = 0
    lines: int = 0
    left_out: list[tuple[str, str]] = field(default_factory=list)
    replaced: dict[str, int] = field(default_factory=dict)


def redact(
    paths: list[str],
    out: str,
    key: bytes,
    rules: tuple[Rule, ...] | None = None,
    limits: Limits | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    jobs: int = 1,
) -> tuple[Result, Pseudonyms]:
    """Write the redacted copy of `paths` to the zip `out`; return what was done and the
    pseudonyms (for the mapping file). With `jobs` > 1, files are learnt from in worker
    processes too (the same values and kinds as one process learns)."""
    _check_input_names(paths)
    limits = limits or Limits()
    names = Pseudonyms(key)
    red = Redactor(rules or builtin_rules(), names)
    result = Result()
    learning = _Progress(progress, "learning ") if progress is not None else None
    learner = Redactor(red.ruleset, Pseudonyms(key))  # pass 1: learn the values
    reader = BundleReader(limits)
    ticking = learning.ticking(reader, paths) if learning is not None else _chunks
    found: list[SourceFile] = []  # (dumps: their names are copied)
    unused: list[tuple[str, str]] = []
    with _Learning(learner, jobs) as learnt:
        for src in _text_sources(paths, limits, unused, found, reader=reader):
            found.append(src)
            learnt.name(_member_name(src))
            _blocks(ticking(src), learnt)
        learnt.finish()
    if not found:  # (before anything is written)
        raise no_usable_input(paths, unused)
    red.learned = learner.learned
    red.freeze()
    dumps: list[SourceFile] = []
    reader = BundleReader(limits)
    writing = _Progress(progress, "writing ").ticking(reader, paths) if progress is not None else _chunks
    writer = _ZipWriter(out)  # (the file is made here: removed below only if made)
    try:
        with writer as zf, _Writing(red, jobs, zf) as written:
            for src in _text_sources(paths, limits, result.left_out, dumps, reader):  # pass 2: write
                written.name(_member_name(src))
                result.lines += _blocks(writing(src), written, src.display, result.left_out)
                result.files += 1
            written.finish()
            for dump in dumps:  # the name (and, from a zip, the time) is what the diagnosis reads
                zf.empty(zipfile.ZipInfo(red.path(_member_name(dump)), date_time=_zip_time(dump)))
    except BaseException:  # an error, Ctrl-C: no half-written copy is left to be shared by mistake
        with contextlib.suppress(OSError):
            Path(out).unlink()
        raise
    result.replaced = dict(red.counts)
    return result, names


def _text_sources(
    paths: list[str],
    limits: Limits,
    left_out: list[tuple[str, str]],
    dumps: list[SourceFile] | None = None,
    reader: BundleReader | None = None,
) -> Iterator[SourceFile]:
    """Every text file of the inputs (valid until the iterator moves on); dumps go to `dumps`;
    files of no log family that are not text (a capture, an image, macOS's ._ files) are left
    out, noted in `left_out` with NOT_TEXT: their bytes cannot be redacted as lines."""
    reader = reader or BundleReader(limits)
    for src in reader.iter_sources(paths):
        if route_by_name(src.path) is not None:
            left_out.append(
                (src.display, "a dump: its bytes are left out (an empty file keeps its name and time)")
            )
            if dumps is not None:
                dumps.append(src)
            continue
        try:
            head = src.stream.read(SNIFF_BYTES)
        except DecompressionLimitError:
            raise
        except CORRUPT_ERRORS as exc:  # (a .gz cut short in its first bytes)
            left_out.append((src.display, f"cannot read: {exc}"))
            continue
        if not_text(head, src.path):
            left_out.append((src.display, NOT_TEXT))
            continue
        src.stream = io.BufferedReader(_Prefixed(head, src.stream))
        yield src
    for display, reason in reader.notes.skipped:
        left_out.append((display, reason))
    for err in reader.notes.errors:
        left_out.append(("", err))


SNIFF_BYTES = 8192
NOT_TEXT = "not text: its bytes are left out (they cannot be redacted as lines)"


def not_text(head: bytes, path: str) -> bool:
    """Is a file that starts with `head` binary: neither named nor read as a log (a log with
    junk in it, even at its start, is still a log: its lines are copied, as analyze reads
    them), no UTF-16 text, and holding a NUL or more than 2 % other control bytes (text has
    tabs, line ends and ANSI colours, little else)? macOS's `._` files are never logs."""
    name = path.rsplit("/", 1)[-1]
    if not head or head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    if _LOG_NAME.search(name) and not name.startswith("._"):
        return False
    lines = head.decode("utf-8", "replace").splitlines()[:SNIFF_LINES]
    if route(path, lines).parser is not None:
        return False
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return b"\0" in head or controls > len(head) // 50


_LOG_NAME = re.compile(r"(?i)\.(?:log|txt|out)(?:[._-]?\d+)?$|syslog")
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27)) + b"\x7f"


class _Prefixed(io.RawIOBase):
    """The bytes already read from a stream (`head`), then the rest of it."""

    def __init__(self, head: bytes, rest: Any) -> None:
        self._head, self._rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        if self._head:
            n = min(len(b), len(self._head))
            b[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(b))
        b[: len(data)] = data
        return len(data)


BLOCK_BYTES = CHUNK_BYTES
"""Bytes read (and redacted) at a time."""


def _chunks(src: SourceFile) -> Iterator[Chunk]:
    stream, _ = as_utf8_stream(src.stream)
    return iter_chunks(stream, Damage(), size=BLOCK_BYTES)


def no_usable_input(paths: list[str], unused: list[tuple[str, str]]) -> RedactError:
    """The error for inputs of which nothing could be read, naming the first reasons."""
    why = "; ".join(f"{display}: {reason}" if display else reason for display, reason in unused[:3])
    return RedactError(f"no usable input in {', '.join(paths)}: {why or 'no files'}")


def _check_input_names(paths: list[str]) -> None:
    """Raise RedactError when two inputs have one name: the copy keeps each input's files in a
    folder of its name (see _member_name), where they would be mixed."""
    given = [strip_suffix(input_name(Path(p)), ARCHIVE_SUFFIXES) for p in paths]
    twice = sorted({name for name in given if given.count(name) > 1})  # (debug.log, debug.log.gz: one name)
    if twice:
        raise RedactError(
            f"two inputs are named {twice[0]}: the copy keeps each input in a folder of its name; rename one"
        )


def _blocks(
    chunks: Iterable[Chunk],
    ordered: _InOrder,
    display: str = "",
    stopped: list[tuple[str, str]] | None = None,
) -> int:
    """Give a file's blocks to a pass; returns its number of lines. A file that cannot be read
    to its end (a cut .gz) gives the lines before the damage, as analyze reads them; `stopped`
    is told where reading stopped."""
    lines = 0
    try:
        for chunk in chunks:
            if chunk.lines is None:
                ordered.block(chunk.data, chunk.count)
            else:
                ordered.lines([line.text for line in chunk.lines])
            lines += chunk.count
    except DecompressionLimitError:
        raise
    except CORRUPT_ERRORS as exc:
        if stopped is not None:
            stopped.append(
                (display, f"reading stopped after line {lines}: {exc}" if lines else f"cannot read: {exc}")
            )
    return lines


class _Progress:
    """The progress bar for a pass: bytes of the inputs read so far, after each block."""

    def __init__(self, report: Callable[[int, int, str], None], verb: str) -> None:
        self.report, self.verb = report, verb

    def ticking(self, reader: BundleReader, paths: list[str]) -> Callable[[SourceFile], Iterator[Chunk]]:
        total = BundleReader.total_bytes(paths)

        def chunks(src: SourceFile) -> Iterator[Chunk]:
            label = self.verb + src.display.rsplit("/", 1)[-1].rsplit("!", 1)[-1]
            for chunk in _chunks(src):
                yield chunk
                self.report(reader.position(), total, label)

        return chunks


class _Item:
    """Something a pass does, in file order: a file's name, the lines of a block that is not
    clean (both done when their turn comes), or a clean block: given to a worker (`future`),
    done on its own here (`done`), or neither yet."""

    __slots__ = ("data", "done", "future", "sent", "what")

    def __init__(self, what: str, data: Any) -> None:
        self.what, self.data = what, data
        self.future: Any = None
        self.sent: workers.Spool | None = None  # the file the block went to its worker in
        self.done: Any = None


def _free(item: _Item) -> bool:
    """A block no one has begun."""
    return item.what == "block" and item.future is None and item.done is None


_WORKER: Redactor | None = None
"""A worker process's redactor (made by _start_worker)."""


def _start_worker(rules: tuple[Rule, ...], key: bytes, learned: dict[str, str]) -> None:
    global _WORKER
    _WORKER = _copy_of(rules, key, learned)


def _copy_of(rules: tuple[Rule, ...], key: bytes, learned: dict[str, str]) -> Redactor:
    red = Redactor(rules, Pseudonyms(key))
    red.learned = dict(learned)
    red.freeze()
    return red


def _learn_in_worker(spool: workers.Spool) -> list[tuple[str, str]]:
    assert _WORKER is not None
    (block,) = spool.chunks()
    return _WORKER.learn_on_its_own(block.data, block.count)


def _redact_in_worker(
    spool: workers.Spool, known: dict[tuple[str, str], str]
) -> tuple[workers.Spool, list[tuple[str, str, str]], dict[str, int]]:
    """The block redacted on its own; the copy goes back in a spool beside the block's."""
    assert _WORKER is not None
    (block,) = spool.chunks()
    out, given, counts = _WORKER.on_its_own(block.data, block.count, known)
    return workers.Spool.holding(os.path.dirname(spool.path), Chunk(out, 1, block.count)), given, counts


class _InOrder:
    """A pass over several processes, its effects in file order. Clean blocks are done on their
    own (as if each were the first) by workers, which take the latest blocks, and, while it
    waits for them, by this process; then, in file order, `_take` makes each block's effect,
    from what was done apart or (a block no one began: its turn has come) doing it here, as
    one process going through them all does. File names and blocks that are not clean are
    done here when their turn comes. At most `window` blocks wait (memory is flat)."""

    JOB: Callable[..., Any]  # a block done on its own, in a worker (module level), given _job_args too

    def __init__(self, red: Redactor, jobs: int) -> None:
        self.red = red
        self.pending: deque[_Item] = deque()
        self.workers = max(jobs - 1, 0)
        # blocks the workers hold at a time (one worker: 4 - measured best on 2 cores; more: 2 each)
        self.ahead = 4 if self.workers <= 1 else 2 * self.workers
        self.window = max(12, self.ahead + 4)  # blocks waiting at most: 4 MiB each, and their copies
        self.pool: Any = None
        self.folder: tempfile.TemporaryDirectory[str] | None = None  # blocks to and from workers
        self.here: Redactor | None = None  # this process's redactor for blocks on their own

    def __enter__(self) -> _InOrder:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
        if self.folder is not None:
            self.folder.cleanup()

    def name(self, name: str) -> None:
        self._add(_Item("name", name))

    def lines(self, texts: list[str]) -> None:
        self._add(_Item("lines", texts))

    def block(self, data: bytes, count: int) -> None:
        self._add(_Item("block", (data, count)))

    def finish(self) -> None:
        while self.pending:
            self._turn(final=True)

    def _add(self, item: _Item) -> None:
        self.pending.append(item)
        while self.pending and self._turn(final=False):
            pass

    def _top_up(self) -> None:
        """Give the workers the latest blocks no one has begun, up to `ahead` in all (this
        process takes the earliest: the next to be taken)."""
        while self.workers:
            busy = sum(1 for i in self.pending if i.future is not None and not i.future.done())
            if busy >= self.ahead:
                return
            free = next((i for i in reversed(self.pending) if _free(i)), None)
            if free is None:
                return
            self._submit(free)

    def _submit(self, item: _Item) -> None:
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        data, count = item.data
        try:
            if self.pool is None:
                red = self.red
                self.folder = tempfile.TemporaryDirectory(prefix="finesse-logscan-")
                self.pool = ProcessPoolExecutor(
                    self.workers,
                    initializer=_start_worker,
                    initargs=(red.ruleset, red.names.key, self._words()),
                )
            assert self.folder is not None
            item.sent = workers.Spool.holding(self.folder.name, Chunk(data, 1, count))
            item.future = self.pool.submit(type(self).JOB, item.sent, *self._job_args())
        except (OSError, NotImplementedError, BrokenProcessPool):  # no workers: done here
            self.workers = 0

    def _turn(self, final: bool) -> bool:
        """Take the first waiting item if it can be; else, when too many wait (or at the end),
        do a later block on its own meanwhile, or wait. False when it is time to read on."""
        from concurrent.futures import CancelledError, wait
        from concurrent.futures.process import BrokenProcessPool

        self._top_up()
        head = self.pending[0]
        future = head.future
        if future is not None and not future.done() and not future.cancel():  # a worker is on it
            if not final and len(self.pending) <= self.window:
                return False
            later = next((i for i in self.pending if _free(i)), None)
            if later is None:
                wait([future])  # (its error, if any, is met when it is taken)
                return True
            if self.here is None:
                self.here = _copy_of(self.red.ruleset, self.red.names.key, self._words())
            later.done = self._apart(self.here, *later.data)
            return True
        self.pending.popleft()
        done = head.done
        if future is not None:
            try:
                done = future.result()
            except CancelledError:  # taken back before a worker began it
                if head.sent is not None:
                    head.sent.discard()
            except BrokenProcessPool:  # a worker died (killed, out of memory): done here
                self.workers = 0
            except Exception:  # the worker's error (a full temporary folder...): done here,
                pass  # where an error of the redaction itself is raised again
        self._take(head, done)
        return True

    def _job_args(self) -> tuple[Any, ...]:
        """What JOB takes after a block's bytes and number of lines."""
        return ()

    def _words(self) -> dict[str, str]:
        """The learned values a redactor doing blocks on their own needs."""
        return self.red.learned

    def _apart(self, red: Redactor, data: bytes, count: int) -> Any:
        """The block done on its own by `red` (as JOB does in a worker)."""
        raise NotImplementedError

    def _take(self, item: _Item, done: Any) -> None:
        """The item's effect, in file order; `done`: the block done on its own, or None."""
        raise NotImplementedError


class _Learning(_InOrder):
    """Pass 1 over several processes: what a block adds, learnt on its own, given in file
    order to `learn_one` gives what one process learns (a value's kind is the first one found,
    or agent if any block finds it so)."""

    JOB = staticmethod(_learn_in_worker)

    def _words(self) -> dict[str, str]:
        return {}  # (learning starts from nothing)

    def _apart(self, red: Redactor, data: bytes, count: int) -> Any:
        return red.learn_on_its_own(data, count)

    def _take(self, item: _Item, done: Any) -> None:
        red = self.red
        if item.what == "name":
            red.learn(item.data)
        elif item.what == "lines":
            for text in item.data:
                red.learn(text)
        elif done is not None:
            for value, kind in done:
                red.learn_one(value, kind)
        else:
            red.learn_block(*item.data)


class _Writing(_InOrder):
    """Pass 2 over several processes. A token depends on the values given one before it (a
    token taken is not given again), so the copy one process writes depends on the order it
    meets values in: each block redacted on its own (`Redactor.on_its_own`) is checked with
    `Pseudonyms.agree`, in file order, to have given every value the token one process going
    through them all gives it, and written, or (rarely: two values whose first tokens
    collide) redacted again here. So the copy, the counts and the mapping are those of one
    process whatever `jobs` is. Where a block was redacted again, the tokens it had wrong
    (a value whose first token another value holds: it appears in many blocks) are given,
    with the value holding that token, to the blocks begun after (`known`)."""

    JOB = staticmethod(_redact_in_worker)

    def __init__(self, red: Redactor, jobs: int, zf: _ZipWriter) -> None:
        super().__init__(red, jobs)
        self.zf = zf
        self.known: dict[tuple[str, str], str] = {}

    def _job_args(self) -> tuple[Any, ...]:
        return (self.known,)

    def _apart(self, red: Redactor, data: bytes, count: int) -> Any:
        return red.on_its_own(data, count, self.known)

    def _take(self, item: _Item, done: Any) -> None:
        red, zf = self.red, self.zf
        if item.what == "name":
            zf.open(red.path(item.data))
        elif item.what == "lines":
            zf.write("".join(red.line(text) + "\n" for text in item.data).encode("utf-8"))
        elif done is not None and red.names.agree(done[1]):
            out, _, counts = done
            for kind, n in counts.items():
                red.counts[kind] = red.counts.get(kind, 0) + n
            if isinstance(out, workers.Spool):  # (a worker's copy)
                (copy,) = out.chunks()
                out = copy.data
            zf.write(out)
        else:
            if done is not None and isinstance(done[0], workers.Spool):
                done[0].discard()  # (a worker's copy not taken)
            zf.write(red.block(*item.data))
            tokens, taken = red.names.tokens, red.names.taken
            for kind, value, token in done[1] if done is not None else ():
                right = tokens.get((kind, value))
                if right is not None and right != token:
                    self.known[(kind, value)] = right
                    if token in taken:
                        self.known[taken[token]] = token


def _member_name(src: SourceFile) -> str:
    """A file's name in the copy (before it is redacted): under a folder named as its input was
    (inputs stay apart), then one named as each archive it lay in (two nested archives'
    members of one name stay apart; `analyze` takes neither for a host folder). A file given
    as an input (`debug.log`, `debug.log.1.gz`) is that file alone, at the top."""
    if not src.within and src.path in (src.input_name, strip_suffix(src.input_name, ARCHIVE_SUFFIXES)):
        return src.path
    return "/".join(part for part in (src.input_name, src.within, src.path) if part)


def _zip_time(src: SourceFile) -> tuple[int, int, int, int, int, int]:
    when = src.mtime_local
    if when is None and src.mtime is not None:
        when = datetime.fromtimestamp(src.mtime)  # this machine's wall time, as zip stores it
    if when is None or when.year < 1980:
        return (1980, 1, 1, 0, 0, 0)
    return (when.year, when.month, when.day, when.hour, when.minute, when.second)
