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
from .bundle import CORRUPT_ERRORS, BundleReader, DecompressionLimitError, SourceFile
from .classification import classify
from .detectors import DETECTORS, Findings
from .event import Event, Kind
from .eventstore import ActivityBatch, EventStore
from .options import ScanOptions
from .parsing import FileContext, OffsetRun
from .report import ClientStats, Disconnect, Evidence, FileInfo, Filter, NodeInfo, Report, ServerEvent
from .routing import SNIFF_LINES, node_for, node_from_path, route, route_by_name
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


class _Counted:
    """Counts the lines of the chunks handed out, so every line read is accounted for, and
    reports progress after each chunk."""

    def __init__(self, chunks: Iterator[Chunk], tick: Callable[[], None] | None = None) -> None:
        self._chunks = chunks
        self._tick = tick
        self.count = 0

    def __iter__(self) -> Iterator[Chunk]:
        for chunk in self._chunks:
            self.count += chunk.count
            if self._tick is not None:
                self._tick()
            yield chunk


def scan(paths: Sequence[str], options: ScanOptions | None = None) -> Report:
    """Read every input, rebuild disconnect chains and classify them."""
    opts = options or ScanOptions()
    signatures.use(signatures.load_file(opts.signatures_file) if opts.signatures_file else ())
    resolver = OffsetResolver(parse_zone(opts.server_tz) if opts.server_tz else None)
    reader = BundleReader(opts.limits)
    store = EventStore()
    copies = _Copies()
    naive_families: dict[str | None, set[str]] = {}
    tick = None
    if opts.progress is not None:
        report_progress, total = opts.progress, BundleReader.total_bytes(list(paths))
        current = [""]

        def tick() -> None:
            report_progress(reader.position(), total, current[0])

    read: dict[int, _Read] = {}
    deferred: list[tuple[int, Callable[[], _Read]]] = []  # spooled files, parsed last
    pool = workers.Pool(opts.jobs, opts.signatures_file, opts.progress)
    try:
        for fid, src in enumerate(reader.iter_sources(list(paths))):
            if tick is not None:
                current[0] = src.display
                tick()
            try:
                got = _read_source(
                    src,
                    fid,
                    store,
                    copies,
                    pool,
                    lambda i, f: deferred.append((i, f)),
                    read.__setitem__,
                    tick,
                )
            except DecompressionLimitError as exc:
                reader.notes.error(str(exc))
                break
            if got is not None:
                read[fid] = got
        for fid, finish in sorted(deferred, key=lambda d: d[0]):  # while the workers work
            read[fid] = finish()
        pool.settle()
    finally:
        pool.close()
    entries = [read[fid] for fid in sorted(read)]
    store.finish()
    settled, node_notes = _place_nodes([(i, p, o) for i, p, o in entries if p is not None], store, resolver)
    files = [
        replace(i, node=settled[i.path][0], node_source=settled[i.path][1]) if p else i for i, p, _ in entries
    ]
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
    warnings = _warnings(reader, files, store, resolver, naive_families, copies)
    view = Filter(tuple(opts.agents), opts.since, opts.until)
    warnings += _filter_warnings(view, timeline)
    for node, zone_off, log_off, source in resolver.disagreements():
        warnings.append(
            f"node {node}: --server-tz {opts.server_tz} means UTC{zone_off} there, but its {source} lines say "
            f"UTC{log_off}; openfire times were placed with {zone_off} as asked"
        )
    user_agents = {
        e.agent: str(e.attrs.get("user_agent"))
        for e in store.events
        if e.kind == Kind.CLIENT_USER_AGENT and e.agent
    }
    clients = [replace(c, user_agent=user_agents.get(c.agent)) for c in findings.clients]
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
        clients=clients,
        server_events=list(findings.server_events),
        warnings=warnings + node_notes + agent_notes + list(findings.warnings),
        timeline=_chain_timeline(disconnects, findings.server_events, resolver),
        events=_all_events(timeline, resolver) if opts.keep_events else [],
        event_table=_event_table(timeline, resolver) if opts.keep_events else [],
        skipped=list(reader.notes.skipped),
        errors=list(reader.notes.errors),
        agents_seen=len({e.agent for e in timeline.events if e.agent}),
        filter=view,
    )


def _filter_warnings(view: Filter, timeline: Timeline) -> list[str]:
    out = []
    known = {e.agent for e in timeline.events if e.agent}
    for agent in view.agents:
        if agent not in known:
            out.append(f"--agent {agent}: no such agent in the bundle; nothing of it is shown")
    if (view.since is not None or view.until is not None) and not any(
        view.in_window(e.time) for e in timeline.events
    ):
        out.append(f"{view.describe()}: no event of the bundle falls in this time window")
    return out


_Read = tuple[FileInfo, "nodes.Placed | None", list[OffsetRun]]


def _read_source(
    src: SourceFile,
    fid: int,
    store: EventStore,
    copies: _Copies,
    pool: workers.Pool,
    later: Callable[[int, Callable[[], _Read]], None],
    finished: Callable[[int, _Read], None],
    tick: Callable[[], None] | None = None,
) -> _Read | None:
    """Read one file into the store. Its node is settled later, when every file has been seen
    (nodes.assign); the UTC offsets its lines carry are handed back for that node. None when
    the file is parsed elsewhere or later (workers.py): a worker's result goes to `finished`
    (in file order within its family, before any later file of the family is read), a
    spooled file's parse to `later`, to be run once every input has been read."""
    node: str | None = node_for(src.path, src.input_name)
    source = nodes.PATH if node_from_path(src.path) else nodes.INPUT
    copies.displays[fid] = src.display
    by_name = route_by_name(src.path)
    if by_name is not None:  # a dump: the name says what it is; the content is never read
        same, node = copies.check(by_name.NAME, [src.path.rsplit("/", 1)[-1]], src.display, node, src.size)
        if same is not None:
            return (
                FileInfo(src.display, by_name.NAME, node, skipped=f"same file as {same}; read once"),
                None,
                [],
            )
        ctx = FileContext(
            src.display, src.path, by_name.NAME, node, mtime=src.mtime, mtime_local=src.mtime_local
        )
        for ev in by_name.parse(iter(()), ctx):
            store.add(ev, fid)
            if ev.time is not None:
                ctx.seen(ev.time)
            elif ev.local_time is not None:
                ctx.seen(ev.local_time)
        info = FileInfo(
            src.display, by_name.NAME, node, first=ctx.first, last=ctx.last, warnings=ctx.warnings
        )
        return info, nodes.Placed(src.display, src.input_name, node, source, nodes.Hints()), []
    damage = Damage()
    stream, note = as_utf8_stream(src.stream)
    counted = _Counted(iter_chunks(stream, damage), tick)
    it = iter(counted)
    opened: list[Chunk] = []  # the chunks read to sniff the first lines
    head_text: list[str] = []
    try:
        for chunk in it:
            opened.append(chunk)
            head_text.extend(line.text for line in islice(chunk.iter_lines(), SNIFF_LINES - len(head_text)))
            if len(head_text) >= SNIFF_LINES:
                break
    except DecompressionLimitError:
        raise
    except CORRUPT_ERRORS as exc:
        return FileInfo(src.display, "unknown", node, skipped=f"cannot read: {exc}"), None, []
    r = route(src.path, head_text)
    if r.parser is None:
        return FileInfo(src.display, "unknown", node, skipped=r.reason), None, []
    parser = r.parser
    same, node = copies.check(parser.NAME, head_text, src.display, node, src.size)
    if same is not None:
        return (
            FileInfo(src.display, parser.NAME, node, skipped=f"same content as {same}; read once"),
            None,
            [],
        )
    ctx = FileContext(
        src.display, src.path, parser.NAME, node, head=head_text, mtime=src.mtime, mtime_local=src.mtime_local
    )
    chunks: Iterable[Chunk] = chain(opened, it)

    def finish(events: Iterable[Event | ActivityBatch], ctx: FileContext, handed: Callable[[], int]) -> _Read:
        """The file's events into the store, and what the report says of the file."""
        kept_before = store.duplicates
        jid_events: list[Event] = []  # a few, for the node's name (JID domains)
        failed = _add_all(events, chunks, store, fid, jid_events, handed, parser.NAME, src.display)
        if failed is not None:
            ctx.warn(failed)
        accounted = ctx.parsed + ctx.unparsed
        if accounted < counted.count:
            ctx.unparsed += counted.count - accounted
        info = FileInfo(
            path=src.display,
            family=parser.NAME,
            node=node,
            lines=counted.count,
            parsed=ctx.parsed,
            unparsed=ctx.unparsed,
            first=ctx.first,
            last=ctx.last,
            duplicates=store.duplicates - kept_before,
            warnings=[*([note] if note else []), *damage.describe(), *ctx.warnings],
        )
        hints = nodes.hints(parser.NAME, head_text, jid_events)
        return info, nodes.Placed(src.display, src.input_name, node, source, hints, parser.NAME), ctx.offsets

    def parse_here(chunks: Iterable[Chunk]) -> _Read:
        handed = workers.Handed(chunks)
        return finish(workers.parse_file(parser, handed, ctx), ctx, lambda: handed.count)

    if pool.takes(parser) or pool.defers(parser):  # spooled: parsed by a worker, or here at the end
        spool = pool.spool()
        try:
            for chunk in chunks:
                spool.add(chunk)
        except Exception as exc:  # parsed now, up to the trouble, which is then handled as always
            pool.settle(parser.NAME)  # after the files of its family read before it
            return parse_here(chain(spool.chunks(), _raise(exc)))
        chunks = ()
        if pool.defers(parser):
            pool.deferred_bytes += spool.size
            later(fid, lambda: parse_here(pool.parsing(spool, src.display)))
            return None

        def done(result: workers.Parsed) -> None:
            if result.error is not None:  # the worker's parser failed: as here, a warning
                result.ctx.warn(
                    f"internal error in the {parser.NAME} parser after line {result.lines_when_failed}: "
                    f"{result.error}"
                )
            finished(fid, finish(result.events, result.ctx, lambda: 0))

        pool.submit(parser.NAME, spool, ctx, done)
        return None
    return parse_here(chunks)


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
                    if item[5].get("jid") is not None:
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
        return f"internal error in the {family} parser after line {handed()}: {type(exc).__name__}: {exc}"
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
) -> list[str]:
    out = list(reader.notes.errors)
    for display, reason in reader.notes.skipped:
        out.append(f"skipped {display}: {reason}")
    for f in files:
        if f.skipped is not None:
            out.append(f"skipped {f.path}: {f.skipped}")
        for w in f.warnings:
            out.append(f"{f.path}: {w}")
    for node, fams in sorted(naive.items(), key=lambda kv: str(kv[0])):
        if resolver.source_for(node) == "assumed-utc":
            out.append(
                f"node {node}: no web services or syslog lines give its UTC offset; "
                f"{', '.join(sorted(fams))} times were taken as UTC (use --server-tz to say otherwise)"
            )
    for node, times in sorted(resolver.ambiguous.items(), key=lambda kv: str(kv[0])):
        out.append(
            f"node {node}: {len(times)} local time(s) fall in a repeated DST hour with no earlier line in "
            "the file to tell which; placed at the first occurrence"
        )
    for (fid, first), count in sorted(store.repeats.items()):
        out.append(
            f"{copies.displays.get(fid, fid)}: {count} event(s) already read from "
            f"{copies.displays.get(first, first)} (overlapping copies of one log) were counted once"
        )
    if not any(f.skipped is None for f in files):
        out.append("no Finesse log found in the inputs")
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
