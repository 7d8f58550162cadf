from __future__ import annotations

from finesse_logscan.classification import classify
from finesse_logscan.options import Thresholds
from finesse_logscan.report import Disconnect, Evidence, ServerEvent

from .builders import at


def d(agent: str, seconds: float) -> Disconnect:
    t = at(seconds)
    return Disconnect(agent, t, "fin1", None, None, t, None, None, None, None, "unknown", [])


def spans(n: int) -> dict[str, tuple]:  # type: ignore[type-arg]
    return {f"a{i}": (at(-3600), at(7200)) for i in range(n)}


def test_storm_of_many_agents_is_server_wide() -> None:
    ds = [d(f"a{i}", i * 3) for i in range(12)]
    incidents, verdict, classified = classify(ds, [], spans(14), [], Thresholds())
    assert verdict.verdict == "server-wide"
    assert len(incidents) == 1 and incidents[0].classification == "server-wide"
    assert [(x.agent, x.incident, x.classification) for x in classified] == [
        (x.agent, "INC-001", "server-wide") for x in ds
    ]
    assert all(x.incident == "" for x in ds)  # the disconnects given are not changed


def test_couple_of_coincidental_drops_in_large_centre_stay_client_side() -> None:
    ds = [d("a1", 0), d("a2", 20)]
    incidents, verdict, _ = classify(ds, [], spans(500), [], Thresholds())
    assert verdict.verdict == "client-side"
    assert [i.classification for i in incidents] == ["client-side"]


def test_five_agents_is_not_enough_when_they_are_under_ten_percent_of_live() -> None:
    ds = [d(f"a{i}", i) for i in range(6)]
    _, verdict, _ = classify(ds, [], spans(100), [], Thresholds())
    assert verdict.verdict == "client-side"
    _, verdict, _ = classify(ds, [], spans(60), [], Thresholds())
    assert verdict.verdict == "server-wide"


def test_the_storm_thresholds_are_inclusive() -> None:
    """Exactly storm_min_agents agents, exactly storm_min_fraction of those live: server-wide;
    one agent fewer, or one more live agent: client-side."""
    th = Thresholds()  # 5 agents, 10 %
    five = [d(f"a{i}", i) for i in range(th.storm_min_agents)]
    assert classify(five, [], spans(50), [], th).verdict.verdict == "server-wide"  # 5 of 50 = 10 %
    assert classify(five[:-1], [], spans(40), [], th).verdict.verdict == "client-side"  # 4 agents
    assert classify(five, [], spans(51), [], th).verdict.verdict == "client-side"  # 5 of 51 < 10 %


def test_drops_spread_in_time_are_client_side_incidents() -> None:
    ds = [d(f"a{i}", i * 600) for i in range(8)]
    incidents, verdict, _ = classify(ds, [], spans(10), [], Thresholds())
    assert verdict.verdict == "client-side"
    assert len(incidents) == 8


def test_mixed_verdict() -> None:
    ds = [d(f"a{i}", i) for i in range(6)] + [d("a9", 5000)]
    incidents, verdict, _ = classify(ds, [], spans(10), [], Thresholds())
    assert verdict.verdict == "mixed"
    assert [i.classification for i in incidents] == ["server-wide", "client-side"]


def test_server_evidence_makes_two_agents_server_wide_and_is_cited() -> None:
    ev = Evidence("openfire/info.log", 7, "openfire-stopped", at(100))
    se = ServerEvent(at(100), "fin1", "notification-service-stopped", "Openfire stopped", ev, "critical")
    ds = [d("a1", 110), d("a2", 150), d("a3", 5000)]
    incidents, verdict, _ = classify(ds, [se], spans(500), [], Thresholds())
    assert verdict.verdict == "mixed"
    sw = incidents[0]
    assert sw.classification == "server-wide" and sw.agents == ["a1", "a2"]
    assert "notification-service-stopped" in sw.summary
    assert [e.where for e in sw.evidence] == ["openfire/info.log:7"]
    assert "notification-service-stopped" in verdict.reason


def test_no_disconnects_but_server_event_is_still_said() -> None:
    ev = Evidence("x.log", 1, "openfire-stopped", at(0))
    se = ServerEvent(at(0), "fin1", "notification-service-stopped", "stop", ev, "critical")
    incidents, verdict, _ = classify([], [se], {}, [], Thresholds())
    assert incidents == [] and verdict.verdict == "no-disconnects"
    assert "server event" in verdict.reason


def test_window_is_configurable() -> None:
    ds = [d(f"a{i}", i * 50) for i in range(6)]  # 250 s from first to last
    _, verdict, _ = classify(ds, [], spans(10), [], Thresholds())
    assert verdict.verdict == "client-side"
    _, verdict, _ = classify(ds, [], spans(10), [], Thresholds(storm_window_s=300))
    assert verdict.verdict == "server-wide"
