"""Known-issue signatures, kept as data in data/signatures.toml (adding one needs no code)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

import regex as re  # the regex module: search timeouts for patterns from data

from .event import Attrs
from .report import Severity

SEVERITIES = tuple(Severity)
PATTERN_TIMEOUT_S = 0.25
"""Longest a signature pattern may search one record (the `regex` module's timeout)."""


class SignatureError(ValueError):
    pass


@dataclass(frozen=True)
class Signature:
    id: str
    title: str
    families: tuple[str, ...]
    literals: tuple[str, ...]
    pattern: re.Pattern[str]
    severity: str
    advice: str
    reference: str
    source: str = "built-in"  # where it was defined: built-in, or the user's file

    def event_attrs(self) -> Attrs:
        """The attributes every parser gives a known-defect event for this signature."""
        return Attrs(
            signature=self.id, title=self.title, severity=self.severity, detail=f"{self.id}: {self.title}"
        )

    def matches(self, text: str) -> bool:
        if not any(lit in text for lit in self.literals):
            return False
        try:  # patterns come from a data file: a runaway one must not hang the scan
            return self.pattern.search(text, timeout=PATTERN_TIMEOUT_S) is not None
        except TimeoutError:
            return False


def parse_signatures(text: str, source: str = "built-in") -> tuple[Signature, ...]:
    where = "signatures file" if source == "built-in" else source
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SignatureError(f"{where} is not valid TOML: {exc}") from exc
    out = []
    seen: set[str] = set()
    for i, item in enumerate(data.get("signature", []), 1):
        try:
            sig = Signature(
                id=str(item["id"]),
                title=str(item["title"]),
                families=tuple(item["families"]),
                literals=tuple(item["literals"]),
                pattern=re.compile(item["pattern"]),
                severity=str(item.get("severity", "warning")),
                advice=str(item.get("advice", "")),
                reference=str(item.get("reference", "")),
                source=source,
            )
        except (KeyError, TypeError, re.error) as exc:
            name = item.get("id", f"#{i}") if isinstance(item, dict) else f"#{i}"
            raise SignatureError(f"{where}: signature {name}: {type(exc).__name__}: {exc}") from exc
        if sig.severity not in SEVERITIES:
            raise SignatureError(
                f"{where}: signature {sig.id}: severity must be one of {', '.join(SEVERITIES)}"
            )
        if not sig.literals:
            raise SignatureError(f"{where}: signature {sig.id}: needs at least one literal pre-check")
        if sig.id in seen:
            raise SignatureError(f"{where}: duplicate signature id {sig.id}")
        seen.add(sig.id)
        out.append(sig)
    return tuple(out)


@cache
def builtin() -> tuple[Signature, ...]:
    text = resources.files("finesse_logscan").joinpath("data/signatures.toml").read_text(encoding="utf-8")
    return parse_signatures(text)


_extra: tuple[Signature, ...] = ()
"""Signatures the user added (--signatures FILE / the `signatures` setting) for this run."""


def load_file(path: str) -> tuple[Signature, ...]:
    """Read a user's signatures file (same layout as the built-in one)."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise SignatureError(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})") from exc
    return parse_signatures(text, source=path)


def use(extra: tuple[Signature, ...]) -> None:
    """Make `extra` active beside the built-in signatures (an id may not be taken twice)."""
    global _extra
    taken = {s.id for s in builtin()}
    for s in extra:
        if s.id in taken:
            raise SignatureError(f"{s.source}: signature {s.id}: this id is already taken ({s.id})")
        taken.add(s.id)
    _extra = tuple(extra)
    for_family.cache_clear()
    literals.cache_clear()


def active() -> tuple[Signature, ...]:
    """The signatures in use: built-in, then the user's."""
    return builtin() + _extra


@cache
def for_family(family: str) -> tuple[Signature, ...]:
    return tuple(s for s in active() if family in s.families)


@cache
def literals(family: str) -> tuple[str, ...]:
    """All literals of a family's signatures: a record holding none of them matches none.
    (One C substring search each beats one alternation regex: alternations defeat re's
    literal search; measured ~2x on long web services records.)"""
    return tuple(sorted({lit for s in for_family(family) for lit in s.literals}))


def match(family: str, text: str) -> list[Signature]:
    for lit in literals(family):
        if lit in text:
            break
    else:
        return []
    return [s for s in for_family(family) if s.matches(text)]
