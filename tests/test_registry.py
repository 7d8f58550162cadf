"""Every parser and detector module is listed in its registry, once, with help text."""

from __future__ import annotations

import pkgutil

import pytest

from finesse_logscan import detectors, parsers
from finesse_logscan.cli import cli


def _modules(pkg: object) -> set[str]:
    return {m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_")}  # type: ignore[attr-defined]


def test_every_parser_module_is_registered() -> None:
    registered = {p.__name__.rsplit(".", 1)[-1] for p in parsers.PARSERS}  # type: ignore[attr-defined]
    assert _modules(parsers) == registered


def test_every_detector_module_is_registered() -> None:
    registered = {d.__name__.rsplit(".", 1)[-1] for d in detectors.DETECTORS}  # type: ignore[attr-defined]
    assert _modules(detectors) - {"findings"} == registered


@pytest.mark.parametrize("registry", [parsers.PARSERS, detectors.DETECTORS])
def test_names_unique_and_described(registry: tuple) -> None:  # type: ignore[type-arg]
    names = [m.NAME for m in registry]
    assert len(names) == len(set(names))
    assert all(m.DESCRIPTION for m in registry)


@pytest.mark.parametrize("command", sorted(cli.commands))  # type: ignore[attr-defined]
def test_every_command_has_help_and_is_in_readme(command: str) -> None:
    from .conftest import ROOT

    assert cli.commands[command].help  # type: ignore[attr-defined]
    assert f"finesse-logscan {command}" in (ROOT / "README.md").read_text()


def test_every_event_attribute_is_declared_in_attrs(monkeypatch: pytest.MonkeyPatch) -> None:
    """event.Attrs is the contract: every attribute any parser gives, on every sample, is
    declared there with its type."""
    import typing

    from finesse_logscan import scan
    from finesse_logscan.event import KIND_ATTRS, Attrs, Event, Kind
    from finesse_logscan.eventstore import ActivityBatch, EventStore

    from .conftest import SAMPLES

    seen: list[Event] = []
    add, add_batch = EventStore.add, EventStore.add_batch

    def spy(self: EventStore, ev: Event, fid: int) -> bool:
        seen.append(ev)
        return add(self, ev, fid)

    def spy_batch(self: EventStore, batch: ActivityBatch) -> None:
        seen.extend(batch.events()[:100])
        add_batch(self, batch)

    monkeypatch.setattr(EventStore, "add", spy)
    monkeypatch.setattr(EventStore, "add_batch", spy_batch)
    for sample in ("client-side", "server-wide", "notification-service-crash.zip", "two-node"):
        scan([str(SAMPLES / sample)])
    declared = typing.get_type_hints(Attrs)
    kinds = {ev.kind for ev in seen}
    assert len(kinds) >= 25  # most kinds are exercised
    for ev in seen:
        for key, value in ev.attrs.items():
            assert key in declared, (ev.kind, key)
            assert isinstance(value, declared[key]), (ev.kind, key, value)
            assert key in KIND_ATTRS[ev.kind], (ev.kind, key)  # and it is one its kind carries
    assert set(KIND_ATTRS) == set(Kind)  # every kind says what it carries
    assert set().union(*KIND_ATTRS.values()) <= set(declared)
