"""The pipeline: bundle -> routing -> parsers -> event store -> timeline -> detectors ->
classification -> Report. `scan()` is the library's entry point; the CLI only renders it."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from itertools import chain, islice
from typing import Any

from . import __version__, nodes, signatures, workers
from .agents import reconcile_client_agents
from .bundle import CORRUPT_ERRORS, MACOS_METADATA, BundleReader, DecompressionLimitError, SourceFile
from .classification import classify
from .detectors import DETECTORS, Findings
from .event import Event, Kind
from .eventstore import ActivityBatch, EventStore
from .options import ScanOptions
from .parsing import FileContext, OffsetRun, Parser
from .report import ClientStats, Disconnect, Evidence, FileInfo, Filter, NodeInfo, Note, Report, ServerEvent
from .routing import SNIFF_LINES, place_node, route, route_by_name
from .textlines import Chunk, Damage, as_utf8_stream, iter_chunks
from .timeline import Timeline, build
from .timestamps import format_offset, iso_z
from .timezones import OffsetResolver, parse_zone

logger = logging.getLogger(__name__)

STRICT_ENV = workers.STRICT_ENV


class _Copies:
    """Recognises a file reached twice (a folder and an archive of it, two overlapping
    bundles, a renamed copy) by the text of its first lines and its size."""

    def __init__(self) -> None:
        self._first: dict[tuple[str, bytes], tuple[str, str | None, int | None]] = {}
        self.displays: dict[int, str] = {}

    def check(
        self, family: str, head: list[str], display: str, node: str | None, size: int | None
    ) -> tuple[str | None, str | None]:
        """(display of the earlier identical file or None, node to use). A file that only
        starts like an earlier one (a longer copy of the same log) takes that file's node so
        its repeated events are recognised."""
        digest = hashlib.blake2b("\n".join(head).encode("utf-8", "replace"), digest_size=16).digest()
        key = (family, digest)
        earlier = self._first.get(key)
        if earlier is None:
            self._first[key] = (display, node, size)
            return None, node
        first_display, first_node, first_size = earlier
        if size is not None and size == first_size:
            return first_display, first_node
        return None, first_node


def scan(paths: Sequence[str], options: ScanOptions | None = None) -> Report:
    """Read every input, rebuild disconnect chains and classify them. (One straight run of the
    stages, each a call; the Report's fields are filled here once.)"""
    opts = options or ScanOptions()
    signatures.use(signatures.load_file(opts.signatures_file) if opts.signatures_file else ())
    resolver = OffsetResolver(parse_zone(opts.server_tz) if opts.server_tz else None)
    reader = BundleReader(opts.limits)
    store = EventStore()
    copies = _Copies()
    entries = _read_all(list(paths), opts, reader, store, copies)
    store.finish()
    files, node_notes = _settle_nodes(entries, store, resolver)
    naive_families: dict[str | None, set[str]] = {}
    for info in files:
        if info.skipped is None and info.first is not None and info.first.tzinfo is None:
            naive_families.setdefault(info.node, set()).add(info.family)
    store.events, agent_notes = reconcile_client_agents(store.events)
    files = [
        _placed_times(info, resolver) for info in files
    ]  # naive first/last (openfire), like their events

    timeline = build(store.events, resolver)  # filters narrow the report, not the analysis
    findings = Findings.combine(detector.run(timeline, opts) for detector in DETECTORS)
    incidents, verdict, disconnects = classify(
        _with_hints(findings.disconnects, findings.clients),
        list(findings.server_events),
        timeline.agent_spans(),
        list(findings.clients),
        opts.thresholds,
        sorted({f.node for f in files if f.skipped is None and f.node}),
    )
    view = Filter(tuple(opts.agents), opts.since, opts.until)
    warnings = [
        *_warnings(reader, files, store, resolver, naive_families, copies),
        *_filter_warnings(view, timeline),
        *_zone_warnings(opts, resolver),
        *(Note("node", n) for n in node_notes),
        *(Note("client-log-agent", n) for n in agent_notes),
        *(Note("agent-inferred", w) for w in findings.warnings),
    ]
    return Report(
        tool_version=__version__,
        verdict=verdict.verdict,
        verdict_reason=verdict.reason,
        window_start=timeline.start,
        window_end=timeline.end,
        nodes=_nodes(files, resolver, timeline),
        files=files,
        disconnects=disconnects,
        incidents=incidents,
        clients=_with_browsers(findings.clients, store.events),
        server_events=list(findings.server_events),
        warnings=warnings,
        timeline=_chain_timeline(disconnects, findings.server_events, resolver),
        events=_all_events(timeline, resolver) if opts.keep_events else [],
        event_table=_event_table(timeline, resolver) if opts.keep_events else [],
        skipped=list(reader.notes.skipped),
        errors=list(reader.notes.errors),
        agents_seen=len({e.agent for e in timeline.events if e.agent}),
        filter=view,
    )


def _read_all(
    paths: list[str], opts: ScanOptions, reader: BundleReader, store: EventStore, copies: _Copies
) -> list[_Read]:
    """Every file of the inputs into the store (workers.py: some parsed by other processes
    or after the others), in file order."""
    tick = None
    if opts.progress is not None:
        report_progress, total = opts.progress, BundleReader.total_bytes(paths)
        current = [""]

        def tick() -> None:
            report_progress(reader.position(), total, current[0])

    read: dict[int, _Read] = {}
    pool = workers.Pool(opts.jobs, opts.signatures_file, opts.progress)
    try:
        for fid, src in enumerate(reader.iter_sources(paths)):
            if tick is not None:
                current[0] = src.display
                tick()
            try:
                got = _read_source(src, fid, store, copies, pool, read.__setitem__, tick)
            except DecompressionLimitError as exc:
                reader.notes.error(str(exc))
                break
            if got is not None:
                read[fid] = got
        pool.settle()
    finally:
        pool.close()
    return [read[fid] for fid in sorted(read)]


def _settle_nodes(
    entries: list[_Read], store: EventStore, resolver: OffsetResolver
) -> tuple[list[FileInfo], list[str]]:
    """The files with their settled nodes (and the notes on how they were named)."""
    settled, notes = _place_nodes([(i, p, o) for i, p, o in entries if p is not None], store, resolver)
    files = [
        replace(i, node=settled[i.path][0], node_source=settled[i.path][1]) if p else i for i, p, _ in entries
    ]
    return files, notes


def _zone_warnings(opts: ScanOptions, resolver: OffsetResolver) -> list[Note]:
    return [
        Note(
            "zone-disagrees",
            f"node {node}: --server-tz {opts.server_tz} means UTC{zone_off} there, but its "
            f"{source} lines say UTC{log_off}; openfire times were placed with {zone_off} as asked",
        )
        for node, zone_off, log_off, source in resolver.disagreements()
    ]


def _with_browsers(clients: Sequence[ClientStats], events: Sequence[Event]) -> list[ClientStats]:
    """Each agent's client stats with the browser its client log names."""
    user_agents = {e.agent: str(e.attrs.get("user_agent")) for e in events
                   if e.kind == Kind.CLIENT_USER_AGENT and e.agent}  # fmt: skip
    return [replace(c, user_agent=user_agents.get(c.agent)) for c in clients]


def _filter_warnings(view: Filter, timeline: Timeline) -> list[Note]:
    out = []
    known = {e.agent for e in timeline.events if e.agent}
    for agent in view.agents:
        if agent not in known:
            out.append(
                Note("filter", f"--agent {agent}: no such agent in the bundle; nothing of it is shown")
            )
    if (view.since is not None or view.until is not None) and not any(
        view.in_window(e.time) for e in timeline.events
    ):
        out.append(Note("filter", f"{view.describe()}: no event of the bundle falls in this time window"))
    return out


_Read = tuple[FileInfo, "nodes.Placed | None", list[OffsetRun]]


def _read_source(
    src: SourceFile,
    fid: int,
    store: EventStore,
    copies: _Copies,
    pool: workers.Pool,
    finished: Callable[[int, _Read], None],
    tick: Callable[[], None] | None = None,
) -> _Read | None:
    """Read one file into the store. Its node is settled later, when every file has been seen
    (nodes.assign); the UTC offsets its lines carry are handed back for that node. None when
    the file is parsed by a worker (workers.py): its result goes to `finished`, in file order
    within its family."""
    node: str | None
    node, by_path = place_node(src.path, src.input_name, src.within)
    source = nodes.PATH if by_path else nodes.INPUT
    copies.displays[fid] = src.display
    by_name = route_by_name(src.path)
    if by_name is not None:  # a dump: the name says what it is; the content is never read
        return _read_dump(src, fid, by_name, store, copies, node, source)
    file = _TextFile(src, fid, store, tick)
    try:
        head = file.head()
    except DecompressionLimitError:
        raise
    except CORRUPT_ERRORS as exc:
        return FileInfo(src.display, "unknown", node, skipped=f"cannot read: {exc}"), None, []
    r = route(src.path, head)
    if r.parser is None:
        return FileInfo(src.display, "unknown", node, skipped=r.reason), None, []
    same, node = copies.check(r.parser.NAME, head, src.display, node, src.size)
    if same is not None:
        return (
            FileInfo(src.display, r.parser.NAME, node, skipped=f"same content as {same}; read once"),
            None,
            [],
        )
    file.routed(r.parser, node, source)
    if pool.takes(r.parser):
        return file.spooled(pool, finished)
    return file.parse_here(file.chunks, pool.scans(r.parser, file.ctx) if pool.joins(r.parser) else None)


def _read_dump(
    src: SourceFile,
    fid: int,
    parser: Parser,
    store: EventStore,
    copies: _Copies,
    node: str | None,
    source: str,
) -> _Read:
    same, node = copies.check(parser.NAME, [src.path.rsplit("/", 1)[-1]], src.display, node, src.size)
    if same is not None:
        return FileInfo(src.display, parser.NAME, node, skipped=f"same file as {same}; read once"), None, []
    ctx = FileContext(src.display, src.path, parser.NAME, node, mtime=src.mtime, mtime_local=src.mtime_local)
    for ev in parser.parse(iter(()), ctx):
        store.add(ev, fid)
        if ev.time is not None:
            ctx.seen(ev.time)
        elif ev.local_time is not None:
            ctx.seen(ev.local_time)
    info = FileInfo(src.display, parser.NAME, node, first=ctx.first, last=ctx.last, warnings=ctx.warnings)
    return info, nodes.Placed(src.display, src.input_name, node, source, nodes.Hints()), []


class _TextFile:
    """One text log on its way into the store: its lines are counted as they are read, its
    first lines tell its family, then it is parsed here, or spooled (workers.py)."""

    def __init__(self, src: SourceFile, fid: int, store: EventStore, tick: Callable[[], None] | None) -> None:
        self.src, self.fid, self.store = src, fid, store
        self.damage = Damage()
        stream, self.note = as_utf8_stream(src.stream)
        self.counted = workers.Counted(iter_chunks(stream, self.damage), tick)
        self.chunks: Iterable[Chunk] = ()
        self.head_text: list[str] = []

    def head(self) -> list[str]:
        """The first lines (for routing); the chunks read for them stay first in `chunks`."""
        it = iter(self.counted)
        opened: list[Chunk] = []
        try:
            for chunk in it:
                opened.append(chunk)
                more = SNIFF_LINES - len(self.head_text)
                self.head_text.extend(line.text for line in islice(chunk.iter_lines(), more))
                if len(self.head_text) >= SNIFF_LINES:
                    break
        finally:
            self.chunks = chain(opened, it)
        return self.head_text

    def routed(self, parser: Parser, node: str | None, source: str) -> None:
        src = self.src
        self.parser, self.node, self.source = parser, node, source
        self.ctx = FileContext(src.display, src.path, parser.NAME, node, head=self.head_text, mtime=src.mtime,
                               mtime_local=src.mtime_local)  # fmt: skip

    def parse_here(
        self,
        chunks: Iterable[Chunk],
        scans: Callable[[Iterable[Chunk]], Iterator[tuple[Chunk, object]]] | None = None,
    ) -> _Read:
        handed = workers.Counted(chunks)
        events = workers.parse_file(self.parser, handed, self.ctx, scans)
        return self.finish(events, self.ctx, lambda: handed.count)

    def spooled(self, pool: workers.Pool, finished: Callable[[int, _Read], None]) -> _Read | None:
        """Keep the file's blocks on disk, to be parsed by a worker (or here, `Pool.settle`)."""
        spool = pool.spool()
        try:
            for chunk in self.chunks:
                spool.add(chunk)
        except Exception as exc:  # parsed now, up to the trouble, which is then handled as always
            pool.settle(self.parser.NAME)  # after the files of its family read before it
            return self.parse_here(chain(spool.chunks(), _raise(exc)))
        self.chunks = ()

        def done(result: workers.Parsed) -> None:
            if result.error is not None:  # the worker's parser failed: as here, a warning
                result.ctx.warn(
                    workers.parser_failed(self.parser.NAME, result.lines_when_failed, result.error)
                )
            finished(self.fid, self.finish(result.events, result.ctx, lambda: 0))

        pool.submit(self.parser.NAME, spool, self.ctx, done)
        return None

    def finish(
        self, events: Iterable[Event | ActivityBatch], ctx: FileContext, handed: Callable[[], int]
    ) -> _Read:
        """The file's events into the store, and what the report says of the file."""
        store, src, name = self.store, self.src, self.parser.NAME
        kept_before = store.duplicates
        jid_events: list[Event] = []  # a few, for the node's name (JID domains)
        failed = _add_all(events, self.chunks, store, self.fid, jid_events, handed, name, src.display)
        if failed is not None:
            ctx.warn(failed)
        lines = self.counted.count
        ctx.unparsed += max(0, lines - ctx.parsed - ctx.unparsed)  # what a parser left unread
        info = FileInfo(
            path=src.display, family=name, node=self.node, lines=lines, parsed=ctx.parsed,
            unparsed=ctx.unparsed, first=ctx.first, last=ctx.last, duplicates=store.duplicates - kept_before,
            warnings=[*([self.note] if self.note else []), *self.damage.describe(), *ctx.warnings],
        )  # fmt: skip
        hints = nodes.hints(name, self.head_text, jid_events)
        return (
            info,
            nodes.Placed(src.display, src.input_name, self.node, self.source, hints, name),
            ctx.offsets,
        )


def _raise(exc: Exception) -> Iterator[Chunk]:
    raise exc
    yield  # pragma: no cover - makes this a generator


def _add_all(
    events: Iterable[Event | ActivityBatch],
    rest: Iterable[Chunk],
    store: EventStore,
    fid: int,
    jid_events: list[Event],
    handed: Callable[[], int],
    family: str,
    display: str,
) -> str | None:
    """Put a file's events in the store; the warning to give when reading or parsing failed."""
    try:
        for got in events:
            if isinstance(got, ActivityBatch):
                store.add_batch(got)
                for item in got.items if len(jid_events) < 200 else ():
                    if item[8] is not None:  # its JID
                        jid_events.append(got.source.event(item))
                        if len(jid_events) == 200:
                            break
                continue
            store.add(got, fid)
            if len(jid_events) < 200 and "jid" in got.attrs:
                jid_events.append(got)
        for _ in rest:  # a parser that stopped early leaves lines: they count as unparsed
            pass
    except DecompressionLimitError:
        raise
    except CORRUPT_ERRORS as exc:
        return f"reading stopped after line {handed()}: {exc}"
    except Exception as exc:  # a parser bug must not lose the rest of the bundle...
        if os.environ.get(workers.STRICT_ENV):  # ...but fails loudly in tests
            raise
        logger.debug("parser %s failed on %s", family, display, exc_info=True)
        return workers.parser_failed(family, handed(), f"{type(exc).__name__}: {exc}")
    return None


def _place_nodes(
    placed: list[tuple[FileInfo, nodes.Placed, list[OffsetRun]]], store: EventStore, resolver: OffsetResolver
) -> tuple[dict[str, tuple[str | None, str]], list[str]]:
    """Settle each file's node (path, else content), move its events there, and give each node
    the UTC offsets its files carry. Returns file path -> (node, where its name came from)."""
    mapping, notes = nodes.assign([p for _, p, _ in placed])
    moved: dict[str, str | None] = {}
    settled: dict[str, tuple[str | None, str]] = {}
    for info, place, offsets in placed:
        node, source = mapping[place.display]
        if node != info.node:
            moved[info.path] = node
        settled[info.path] = (node, source)
        resolver.add_runs(node, offsets)
    if moved:
        store.events = [replace(e, node=moved[e.file]) if e.file in moved else e for e in store.events]
    return settled, notes


def _placed_times(info: FileInfo, resolver: OffsetResolver) -> FileInfo:
    """The file's first and last times in UTC (openfire's are server wall times until now)."""
    first, last = info.first, info.last
    if first is not None and first.tzinfo is None:
        first = resolver.place(info.node, first).utc
    if last is not None and last.tzinfo is None:
        last = resolver.place(info.node, last).utc
    return replace(info, first=first, last=last)


def _with_hints(disconnects: Sequence[Disconnect], clients: Sequence[ClientStats]) -> list[Disconnect]:
    """Each disconnect with the hints its agent's client health and its own chain give."""
    flags = {c.agent: c.flags for c in clients}
    out = []
    for d in disconnects:
        hints = list(flags.get(d.agent, []))
        if d.idle_close is not None or d.last_activity is not None:
            hints.append("client-stopped-polling")
        if d.outcome == "recovered":
            hints.append("back-on-new-session")
        out.append(replace(d, hints=hints))
    return out


def _nodes(files: list[FileInfo], resolver: OffsetResolver, timeline: Timeline) -> list[NodeInfo]:
    names = sorted({f.node for f in files if f.skipped is None and f.node is not None})
    out = []
    for name in names:
        source = resolver.source_for(name)
        if source == "option":
            offsets = [format_offset(o) for o in sorted(timeline.offsets_used.get(name, set()))]
        else:
            offsets = resolver.offsets_for(name)
        name_source = next((f.node_source for f in files if f.node == name and f.skipped is None), "path")
        out.append(NodeInfo(name, source, offsets, name_source))
    return out


def _warnings(
    reader: BundleReader,
    files: list[FileInfo],
    store: EventStore,
    resolver: OffsetResolver,
    naive: dict[str | None, set[str]],
    copies: _Copies,
) -> list[Note]:
    out = [Note("read-error", e) for e in reader.notes.errors]
    metadata = 0
    for display, reason in reader.notes.skipped:
        if reason == MACOS_METADATA:  # (one per file zipped on a Mac: told once)
            metadata += 1
        else:
            out.append(Note("skipped", reason, display))
    if metadata:
        out.append(Note("skipped", f"{metadata} file(s) of {MACOS_METADATA}"))
    for f in files:
        if f.skipped is not None:
            out.append(Note("skipped", f.skipped, f.path))
        out.extend(Note.in_file(f.path, w) for w in f.warnings)
    for node, fams in sorted(naive.items(), key=lambda kv: str(kv[0])):
        if resolver.source_for(node) == "assumed-utc":
            out.append(Note("assumed-utc",
                            f"node {node}: no web services or syslog lines give its UTC offset; "
                            f"{', '.join(sorted(fams))} times were taken as UTC (use --server-tz to say otherwise)"))  # fmt: skip
    for node, times in sorted(resolver.ambiguous.items(), key=lambda kv: str(kv[0])):
        out.append(Note("dst-ambiguous",
                        f"node {node}: {len(times)} local time(s) fall in a repeated DST hour with no earlier line "
                        "in the file to tell which; placed at the first occurrence"))  # fmt: skip
    for (fid, first), count in sorted(store.repeats.items()):
        out.append(Note("repeated-events",
                        f"{count} event(s) already read from {copies.displays.get(first, first)} (overlapping copies "
                        "of one log) were counted once", str(copies.displays.get(fid, fid))))  # fmt: skip
    if not any(f.skipped is None for f in files):
        out.append(Note("no-finesse-log", "no Finesse log found in the inputs"))
    return out


def _event_table(timeline: Timeline, resolver: OffsetResolver) -> list[dict[str, Any]]:
    """Every event of the timeline as a flat row of the export schema (export.COLUMNS)."""
    import json

    rows: list[dict[str, Any]] = []
    for ev in timeline.events:
        attrs = {k: v for k, v in ev.attrs.items() if k not in ("sid", "name_candidates")}
        rows.append({
            "time_utc": iso_z(ev.time), "time_server_local": resolver.server_local(ev.node, ev.time),
            "time_as_logged": ev.time_text, "node": ev.node, "agent": ev.agent,
            "session": str(ev.attrs["sid"]) if "sid" in ev.attrs else None, "kind": str(ev.kind),
            "family": ev.family, "attributes": json.dumps(attrs, sort_keys=True, ensure_ascii=False),
            "file": ev.file, "line": ev.line,
        })  # fmt: skip
    return rows


def _all_events(timeline: Timeline, resolver: OffsetResolver) -> list[Evidence]:
    """Every event of the timeline as a row (activity as the edges the store kept)."""
    from .detectors.disconnects import evidence_of

    return [
        replace(e, server_local=resolver.server_local(e.node, e.time))
        for e in (evidence_of(ev) for ev in timeline.events)
    ]


def _chain_timeline(
    disconnects: Sequence[Disconnect], server_events: Sequence[ServerEvent], resolver: OffsetResolver
) -> list[Evidence]:
    """Chain and server events in time order, each with its server-local time beside the UTC."""
    rows: dict[tuple[str, int | None, str], Evidence] = {}
    for d in disconnects:
        for e in d.evidence:
            rows.setdefault((e.file, e.line, e.event), e)
    for s in server_events:
        e = s.evidence
        rows.setdefault(
            (e.file, e.line, s.kind), Evidence(e.file, e.line, s.kind, s.time, e.time_text, s.node)
        )
    placed = [replace(e, server_local=resolver.server_local(e.node, e.time)) for e in rows.values()]
    return sorted(placed, key=lambda e: (e.time or datetime.min, e.file, e.line or 0))
