"""Unit tests of the stages between parsing and detection: the event store (activity runs,
repeats, session -> agent), the timeline (placing and ordering) and the offset resolver."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from finesse_logscan.event import Event, Kind
from finesse_logscan.eventstore import ActivityBatch, ActivityItem, ActivitySource, EventStore
from finesse_logscan.parsing import OffsetRun
from finesse_logscan.timeline import build
from finesse_logscan.timezones import OffsetResolver, parse_zone

T0 = datetime(2026, 3, 4, 14, 0, 0)  # server wall time (naive), as openfire writes it


def poll(second: int, sid: str = "aa", agent: str | None = "1001", ms: int = 0, line: int = 0) -> Event:
    local = T0 + timedelta(seconds=second)
    attrs: dict[str, str | int] = {"sid": sid, "ms_ago": ms}
    return Event(None, f"{local:%Y.%m.%d %H:%M:%S}", "debug.log", line or second + 1, "openfire",
                 Kind.SESSION_ACTIVITY, agent, "n", local, attrs)  # fmt: skip


def edges(store: EventStore) -> list[tuple[str, int]]:
    return [(str(e.attrs["run"]), e.line) for e in store.events if "run" in e.attrs]


# -- event store -------------------------------------------------------------------------------


def test_activity_keeps_only_the_edges_of_each_run() -> None:
    store = EventStore()
    for s in (0, 30, 60, 90):  # one run...
        store.add(poll(s), 0)
    for s in (200, 230):  # ...a gap of 110 s (> 40 s), a second run
        store.add(poll(s), 0)
    store.finish()
    assert sorted(edges(store), key=lambda e: e[1]) == [
        ("start", 1),
        ("end", 91),
        ("start", 201),
        ("end", 231),
    ]


def test_a_check_showing_the_session_idle_is_kept_as_the_idle_check() -> None:
    store = EventStore()
    store.add(poll(0), 0)
    store.add(poll(30), 0)
    store.add(poll(60, ms=30_000), 0)  # written at 60 s: last really active at 30 s
    store.finish()
    assert sorted(edges(store), key=lambda e: e[1]) == [("start", 1), ("end", 31), ("idle-check", 61)]


def activity_item(ev: Event) -> ActivityItem:
    a = ev.attrs
    assert set(a) <= {"sid", "ms_ago", "rid", "jid"}
    return (ev.line, ev.time_text, ev.local_time, ev.kind, ev.agent, a.get("sid"), a.get("ms_ago"), a.get("rid"),
            a.get("jid"))  # type: ignore[return-value]  # fmt: skip


def test_a_batch_gives_the_events_its_lines_would() -> None:
    lines = [poll(s, sid="s1" if s % 60 else "s2", ms=s % 7) for s in range(0, 600, 10)]
    one = EventStore()
    for ev in lines:
        one.add(ev, 0)
    one.finish()
    source = ActivitySource("debug.log", "openfire", "n")
    items = [activity_item(e) for e in lines]
    batched = EventStore()
    batched.add_batch(ActivityBatch(source, items[:25]))  # type: ignore[arg-type]
    batched.add_batch(ActivityBatch(source, items[25:]))  # type: ignore[arg-type]
    batched.finish()
    assert batched.events == one.events
    assert ActivityBatch(source, items).events() == lines  # type: ignore[arg-type]


def test_repeats_from_another_file_of_the_node_and_family_are_dropped_and_counted() -> None:
    idle = Event(None, "2026.03.04 14:05:00", "info.log", 3, "openfire", Kind.IDLE_CLOSE, "1001", "n", T0,
                 {"sid": "aa"})  # fmt: skip
    store = EventStore()
    assert store.add(idle, 0)
    assert not store.add(idle, 1)  # the same line in an overlapping rotated copy
    assert store.add(Event(**{**_fields(idle), "family": "webservices"}), 2)  # another family: kept
    assert store.add(Event(**{**_fields(idle), "node": "m"}), 3)  # another node: kept
    assert store.duplicates == 1 and store.repeats == {(1, 0): 1}
    assert len(store.events) == 3


def test_activity_already_read_from_another_copy_is_ignored() -> None:
    store = EventStore()
    for s in (0, 30, 60):
        store.add(poll(s), 0)
    store.add(poll(200), 0)  # closes the first run (0-60 s)
    store.add(poll(30, line=999), 1)  # a copy of the log: inside the stretch already read
    store.finish()
    assert 999 not in [line for _, line in edges(store)]


def test_session_only_events_get_the_agent_their_session_names() -> None:
    store = EventStore()
    store.add(poll(0, sid="aa", agent="1001"), 0)
    close = Event(None, "x", "info.log", 1, "openfire", Kind.IDLE_CLOSE, None, "n", T0, {"sid": "aa"})
    other = Event(None, "x", "info.log", 2, "openfire", Kind.IDLE_CLOSE, None, "m", T0, {"sid": "aa"})
    store.add(close, 0)
    store.add(other, 0)  # the same sid on another node is another session
    store.finish()
    agents = {e.line: e.agent for e in store.events if e.kind == Kind.IDLE_CLOSE}
    assert agents == {1: "1001", 2: None}


def _fields(ev: Event) -> dict[str, object]:
    return {f: getattr(ev, f) for f in ev.__dataclass_fields__}


# -- offsets and the timeline ------------------------------------------------------------------


def _resolver_with_dst() -> OffsetResolver:
    """Web services said -05:00 until 07:00 UTC on 1 Nov 2026, -06:00 after (US fall back)."""
    r = OffsetResolver()
    r.add_runs(
        "n",
        [
            OffsetRun(-300, datetime(2026, 10, 31, 20, 0), datetime(2026, 11, 1, 1, 59), "webservices"),
            OffsetRun(-360, datetime(2026, 11, 1, 1, 0), datetime(2026, 11, 1, 8, 0), "webservices"),
        ],
    )
    return r


def test_offsets_place_local_times_by_the_nearest_stretch() -> None:
    r = _resolver_with_dst()
    assert r.place("n", datetime(2026, 10, 31, 22, 0)).utc == datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
    assert r.place("n", datetime(2026, 11, 1, 5, 0)).utc == datetime(2026, 11, 1, 11, 0, tzinfo=UTC)
    assert r.offsets_for("n") == ["-06:00", "-05:00"] and r.source_for("n") == "webservices"


def test_a_repeated_wall_time_follows_the_line_before_it() -> None:
    r = _resolver_with_dst()
    first = r.place("n", datetime(2026, 11, 1, 1, 30), after=datetime(2026, 11, 1, 6, 20, tzinfo=UTC))
    assert first.utc == datetime(2026, 11, 1, 6, 30, tzinfo=UTC) and first.offset_minutes == -300
    second = r.place("n", datetime(2026, 11, 1, 1, 30), after=datetime(2026, 11, 1, 6, 59, tzinfo=UTC))
    assert second.utc == datetime(2026, 11, 1, 7, 30, tzinfo=UTC) and second.offset_minutes == -360


def test_without_any_offset_times_are_taken_as_utc_and_said_so() -> None:
    r = OffsetResolver()
    assert r.place("n", T0).utc == T0.replace(tzinfo=UTC)
    assert r.source_for("n") == "assumed-utc" and r.offset_at("n", T0.replace(tzinfo=UTC)) is None


def test_a_given_zone_wins_and_the_disagreement_is_reported() -> None:
    r = _resolver_with_dst()
    r.zone = parse_zone("Asia/Kolkata")
    assert r.place("n", datetime(2026, 3, 4, 20, 0)).utc == datetime(2026, 3, 4, 14, 30, tzinfo=UTC)
    assert r.disagreements() == [("n", "+05:30", "-05:00", "webservices")]
    assert r.source_for("n") == "option"


def test_the_timeline_places_and_sorts_by_time_file_line_and_kind() -> None:
    r = OffsetResolver()
    r.add_runs("n", [OffsetRun(-360, T0, T0 + timedelta(hours=1), "webservices")])
    ws = Event(T0.replace(tzinfo=UTC) + timedelta(hours=6, seconds=5), "x", "a-ws.log", 9, "webservices",
               Kind.PRESENCE_UNAVAILABLE, "1001", "n")  # fmt: skip
    late, early = poll(5, line=2), poll(5, line=1)  # same second: by line
    no_time = Event(None, "?", "x.log", 1, "openfire", Kind.IDLE_CLOSE, None, "n")
    tl = build([late, ws, early, no_time], r)
    assert [(e.file, e.line) for e in tl.events] == [("a-ws.log", 9), ("debug.log", 1), ("debug.log", 2)]
    assert tl.events[1].time == datetime(2026, 3, 4, 20, 0, 5, tzinfo=UTC)  # 14:00:05 at -06:00
    assert tl.offsets_used == {"n": {-360}}
    assert tl.agent_spans() == {"1001": (tl.start, tl.end)}
