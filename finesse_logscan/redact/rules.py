"""The redaction rules and [[keep]] entries: data (data/redact_rules.toml and the user's
--rules file), each a pattern with a kind, compiled by RE2 for text, bytes and blocks of lines."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from .matching import _UNANCHORED, _matcher

KINDS = ("agent", "name", "extension", "phone", "email", "host", "ip", "user_agent", "call_data", "secret")


SECRET = "secret"
"""The kind of a password, a credential or a session token: replaced by one fixed token, never
kept in the mapping (see Pseudonyms.token)."""
KEEP = "keep"
"""The kind of a [[keep]] entry: text the learned-words pass leaves as it is (see Redactor._kept)."""


class RedactError(ValueError):
    pass


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    pattern: Any  # compiled by RE2 when it can, else by re (same match API)
    learn: bool = False
    source: str = "built-in"
    literals: tuple[str, ...] = ()
    group: int = 1  # the number of the `v` group (RE2 matches take numbers, not names)
    on_bytes: Any = None
    """The same pattern compiled by RE2 for UTF-8 bytes (None when RE2 refused it). RE2 reads
    UTF-8 either way; given bytes, its Python wrapper skips converting every offset between
    characters and bytes: about twice as fast on long lines."""
    not_after: str = ""
    """A value right after one of these characters is left as it is (and not learned)."""
    on_block: Any = None
    """The same for the lines of a block joined by line ends (RE2, `^`/`$` at each line; None
    when it cannot be: RE2 refused it, or it says \\A or \\z): see Redactor.block."""
    unless: Any = None
    """A value this (compiled) pattern wholly matches is not one of the rule's kind: left as it
    is and not learned (a call variable's <name>callVariable1</name> is no person's name)."""

    literal_bytes: tuple[bytes, ...] = field(init=False, repr=False, compare=False)
    literal_finder: Any = field(init=False, repr=False, compare=False)
    """The literals as one RE2 alternation (a DFA: one scan of a block for them all), when
    there are several."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "literal_bytes", tuple(lit.encode() for lit in self.literals))
        several = len(self.literal_bytes) > 1
        finder = _fast(b"|".join(re.escape(lit) for lit in self.literal_bytes)) if several else None
        object.__setattr__(self, "literal_finder", finder)

    def left_alone(self, text: str | bytes, start: int) -> bool:
        """Is the value starting at `start` right after a `not_after` character?"""
        if not self.not_after or start <= 0:
            return False
        before = text[start - 1 : start]
        return (before.decode("utf-8", "replace") if isinstance(before, bytes) else before) in self.not_after

    def spares(self, value: str | bytes) -> bool:
        """Is `value` (a match's v group) one the rule leaves alone (`unless`)?"""
        if self.unless is None:
            return False
        return (
            self.unless.fullmatch(value.decode("utf-8", "replace") if isinstance(value, bytes) else value)
            is not None
        )

    def may_match(self, text: str) -> bool:
        if not self.literals:
            return True
        for lit in self.literals:  # noqa: SIM110 - a loop: any() over a generator costs 30 % more here
            if lit in text:
                return True
        return False

    def may_match_bytes(self, data: bytes) -> bool:
        if not self.literal_bytes:
            return True
        for lit in self.literal_bytes:  # noqa: SIM110 - as above
            if lit in data:
                return True
        return False

    def may_match_block(self, data: bytes) -> bool:
        """may_match_bytes for a block of lines: one scan for all the literals."""
        if self.literal_finder is None:
            return self.may_match_bytes(data)
        return self.literal_finder.search(data) is not None


def parse_rules(text: str, source: str = "built-in") -> tuple[Rule, ...]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RedactError(f"{source}: not valid TOML: {exc}") from exc
    out = []
    for i, item in enumerate(data.get("rule", []), 1):
        name = item.get("id", f"#{i}") if isinstance(item, dict) else f"#{i}"
        try:
            checked = re.compile(item["pattern"])  # validated here, whatever engine runs it
            fast = _fast(item["pattern"])
            rule = Rule(str(item["id"]), str(item["kind"]), fast or checked,
                        bool(item.get("learn", False)), source, tuple(str(x) for x in item.get("literals", ())),
                        checked.groupindex.get("v", 1), _fast(item["pattern"].encode()) if fast else None,
                        str(item.get("not_after", "")), _for_blocks(item["pattern"]) if fast else None,
                        re.compile(item["unless"]) if "unless" in item else None)  # fmt: skip
        except (KeyError, TypeError, re.error) as exc:
            raise RedactError(f"{source}: rule {name}: {type(exc).__name__}: {exc}") from exc
        if rule.kind not in KINDS:
            raise RedactError(f"{source}: rule {name}: kind must be one of {', '.join(KINDS)}")
        if "v" not in checked.groupindex:
            raise RedactError(f"{source}: rule {name}: the pattern needs a named group (?P<v>...)")
        if rule.kind == SECRET and rule.learn:  # (a learned value is kept in the mapping)
            raise RedactError(f"{source}: rule {name}: a secret is never learned (learn = false)")
        out.append(rule)
    for i, item in enumerate(data.get("keep", []), 1):
        name = item.get("id", f"#{i}") if isinstance(item, dict) else f"#{i}"
        try:  # (compiled together with the others: see _Keeps)
            out.append(Rule(str(item["id"]), KEEP, re.compile(item["pattern"]), source=source))
        except (KeyError, TypeError, re.error) as exc:
            raise RedactError(f"{source}: keep {name}: {type(exc).__name__}: {exc}") from exc
    return tuple(out)


def _fast(pattern: str | bytes) -> Any:
    """The pattern compiled by RE2, or None when RE2 is missing or refuses it (look-arounds)."""
    try:
        import re2
    except ImportError:  # pragma: no cover
        return None
    try:
        return re2.compile(pattern)
    except Exception:  # RE2 has no look-around and says so with its own error
        return None


def _for_blocks(pattern: str) -> Any:
    """`pattern` for lines joined by line ends: `^` and `$` at each line (RE2's multi-line
    mode); None where that would change what it matches (\\A, \\z: the text's ends)."""
    if "\\A" in pattern or "\\z" in pattern:
        return None
    return _fast(b"(?m)" + pattern.encode())


def builtin_rules() -> tuple[Rule, ...]:
    text = resources.files("finesse_logscan").joinpath("data/redact_rules.toml").read_text(encoding="utf-8")
    return parse_rules(text)


def load_rules(path: str | None) -> tuple[Rule, ...]:
    rules = builtin_rules()
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RedactError(f"{path}: cannot read ({exc})") from exc
        rules += parse_rules(text, path)
    return rules


KEEP_REACH = 96
"""How far (characters) either side of a learned word its [[keep]] entries are looked for: each
is shorter than that (a time with its offset, 'was last active N ms ago')."""


class _Keeps:
    """The [[keep]] entries as one alternation (tried in their order at each position, leftmost
    first), looked for around a learned word (see Redactor._kept): one search per kept span
    found, not one per entry over the whole line (a web services line is kilobytes long)."""

    def __init__(self, keeps: tuple[Rule, ...]) -> None:
        parts = []
        for i, keep in enumerate(keeps):
            source = str(keep.pattern.pattern)
            flags = re.match(r"\(\?([a-zA-Z]+)\)", source)  # a leading (?i): for this entry alone
            if flags:
                source = f"(?{flags[1]}:{source[flags.end() :]})"
            parts.append(f"(?P<w{i}>{source.replace('(?P<v>', f'(?P<k{i}>')})")
        combined = "|".join(parts)
        self.text = re.compile(combined, re.M)  # (Python's re: RE2 missing)
        index = self.text.groupindex
        self.groups = [index.get(f"k{i}", index[f"w{i}"]) for i in range(len(keeps))]
        fast = _fast(("(?m)" + combined).encode())
        self.match = _matcher(fast) if fast is not None else None
        self.slow = re.compile(combined.encode(), re.M)

    def touch(self, data: bytes, lo: int, hi: int, pos: int, end: int) -> bool:
        """Does a kept span found in data[pos:end] overlap data[lo:hi]?"""
        if self.match is None:  # pragma: no cover - RE2 ships wheels for the usual platforms
            return self._touch(self.slow.finditer(data, pos, end), lo, hi)
        match, groups = self.match, self.groups
        while True:
            spans = match(_UNANCHORED, data, pos, end)
            a, b = spans[0]
            if a < 0 or a >= hi:
                return False
            for g in groups:
                ga, gb = spans[g]
                if ga >= 0:
                    if ga < hi and lo < gb:
                        return True
                    break
            if b >= end:
                return False
            pos = b if b > a else b + 1

    def touch_text(self, text: str, lo: int, hi: int, pos: int, end: int) -> bool:
        return self._touch(self.text.finditer(text, pos, end), lo, hi)

    def _touch(self, found: Iterator[re.Match[Any]], lo: int, hi: int) -> bool:
        for m in found:
            if m.start() >= hi:
                return False
            g = next(g for g in self.groups if m.start(g) >= 0)
            if m.start(g) < hi and lo < m.end(g):
                return True
        return False
