"""`finesse-logscan redact`: a shareable copy of a bundle that still diagnoses the same.

Two passes over the inputs. The first learns what identifies people and servers (agent IDs,
names, extensions, phone numbers, host names) from the rules in data/redact_rules.toml (and the
user's --rules file). The second writes every text file into a new zip, line for line (same
folder layout, same file names with their identifying parts replaced, same number of lines),
with each value replaced by a pseudonym that is the same everywhere: keyed by HMAC-SHA256 with
the user's key, so two bundles of a site redacted with the same key line up. Tokens keep the
shape the parsers read: numeric IDs stay numeric (same length), host names keep their labels
(`host-1f2e3d.example.invalid`), addresses keep their subnets (one /24 becomes one pseudo /24 in
240.0.0.0/4, reserved: no real host has such an address). Heap and core dumps are left out
(their bytes cannot be cleaned), with a note; an empty file keeps each one's name (and, from a
zip, its time), which is all the analysis reads.
The mapping (token -> original) goes to a file the user keeps, never into the output.

Both passes read a clean block of lines (4 MiB) at a time: its messages not met before (a
debug log repeats the same few hundred under new times) are joined by line ends and each rule
runs once over them all, not once per line; every match is checked to be one the rule would
take on its line alone (see Redactor.block), and where one cannot be (a match across a line
end) the block's new messages go line by line. A block whose lines carry no openfire time (web
services, client logs) is taken as it stands.

With several jobs, blocks are learnt from and redacted on their own (as if each were the first)
by worker processes and taken in file order here, checked to give what one process gives (see
_InOrder, _Learning, _Writing): the copy and the mapping do not depend on the number of jobs.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import ipaddress
import json
import os
import re
import secrets
import tempfile
import tomllib
import zipfile
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache, partial
from importlib import resources
from itertools import islice
from pathlib import Path
from typing import Any, cast

import re2

from . import workers
from .bundle import BundleReader, SourceFile
from .options import Limits
from .routing import route_by_name
from .textlines import CHUNK_BYTES, Chunk, Damage, as_utf8_stream, iter_chunks
from .timestamps import looks_like_openfire_stamp

KINDS = ("agent", "name", "extension", "phone", "email", "host", "ip", "user_agent", "call_data")
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


# -- pseudonyms ------------------------------------------------------------------------------

TOKEN_DOMAIN = "example.invalid"
_TOKEN = re.compile(
    r"^(?:host|name|user|agent|ua|data)-[0-9a-f]{6}\b|\.invalid$|^(?:24\d|25[0-5])\.\d{1,3}\.\d{1,3}\.\d{1,3}$"
    r"|^fec0:|^::1?$"
)
"""What tokens look like (and the IPv6 loopback and unspecified addresses, left as they are).
IPv4 tokens are in 240.0.0.0/4, reserved: no host has one (the
range 100.64.0.0/10 used before is carrier-grade NAT, VPN and remote-access address space, in
which real agent PCs do show up: those were taken for tokens and left as they were). IPv6
tokens are in fec0::/10, site-local addresses deprecated since 2004 (not 2001:db8::/32: the
documentation prefix is what test and example bundles use for real addresses)."""


@dataclass
class Pseudonyms:
    """value -> token, keyed: the same value gets the same token with the same key."""

    key: bytes
    tokens: dict[tuple[str, str], str] = field(default_factory=dict)
    taken: dict[str, tuple[str, str]] = field(default_factory=dict)
    given: list[tuple[str, str, str]] | None = None
    """When a list: (kind, value, token) of each value given a token here, in order (see `agree`)."""
    avoid: frozenset[str] = frozenset()
    """Real values no token may be (the learned ones: see Redactor.freeze)."""

    def token(self, kind: str, value: str) -> str:
        if kind == "host":
            value = value.lower()
        found = self.tokens.get((kind, value))
        if found is not None:
            return found
        if kind == "user_agent":  # the browser and its version, shared by all its user agents
            cand = _browser_only(value)
            self.taken.setdefault(cand, (kind, value))
        else:
            salt = 0
            while True:
                cand = self._make(kind, value, salt)
                if cand not in self.taken and cand != value and cand not in self.avoid:
                    break
                salt += 1
            self.taken[cand] = (kind, value)
        self.tokens[(kind, value)] = cand
        if self.given is not None:
            self.given.append((kind, value, cand))
        return cand

    def agree(self, given: list[tuple[str, str, str]]) -> bool:
        """Does each value of `given` (another Pseudonyms' list, one that started empty) get here,
        in that order, the token it got there? A token depends on the values given one before it
        (a taken token is not given again), so blocks redacted apart, each from nothing, are
        checked so, in file order, against the one Pseudonyms that goes through them all: True
        when each got the token that one gives it (those new here are then given); else False,
        and nothing here has changed."""
        tokens, taken = len(self.tokens), len(self.taken)
        for kind, value, token in given:
            if self.token(kind, value) != token:
                for key in list(islice(self.tokens, tokens, None)):  # (added last: dicts keep order)
                    del self.tokens[key]
                for cand in list(islice(self.taken, taken, None)):
                    del self.taken[cand]
                return False
        return True

    def _make(self, kind: str, value: str, salt: int) -> str:
        return _candidate(self.key, kind, value, salt)

    def mapping(self) -> dict[str, dict[str, str]]:
        return {tok: {"kind": k, "value": v} for tok, (k, v) in sorted(self.taken.items())}


@lru_cache(maxsize=1 << 17)
def _candidate(key: bytes, kind: str, value: str, salt: int) -> str:
    """The `salt`-th token a value may get (a function of the key, kind, value and salt only:
    kept, as blocks redacted on their own each work out the tokens of their values again)."""

    def digest(kind: str, value: str, salt: int) -> bytes:
        return hmac.new(key, f"{kind}\0{value}\0{salt}".encode(), hashlib.sha256).digest()

    d = digest(kind, value, salt)
    if kind in ("agent", "extension", "phone") and value.lstrip("+").replace("-", "").isdigit():
        digits = "".join(str(b % 10) for b in d)
        body = value.lstrip("+")
        # same length; a digit more after each 64 tries (short numbers have few tokens)
        out = str(d[0] % 9 + 1) + digits[1 : len(body) + salt // 64]
        return ("+" if value.startswith("+") else "") + out
    if kind == "agent":
        return f"agent-{d.hex()[:6]}"
    if kind == "name":
        return f"name-{d.hex()[:6]}"
    if kind == "call_data":
        return f"data-{d.hex()[:6]}"
    if kind == "email":
        return f"user-{d.hex()[:6]}@{TOKEN_DOMAIN}"
    if kind == "host":  # one token per host name, whether short or fully qualified
        first = value.split(".", 1)[0]
        label = "host-" + digest("host", first, salt).hex()[:6]
        return f"{label}.{TOKEN_DOMAIN}" if "." in value else label
    if kind == "ip" and ":" in value:  # IPv6: one /64 -> one pseudo /64 in fec0::/10 (see _TOKEN)
        try:
            number = int(ipaddress.IPv6Address(value))
        except ValueError:
            number = int.from_bytes(d[:16])
        net = digest("ip6", f"{number >> 64:x}", salt)
        host = digest("ip6", f"{number:x}", salt)
        return ":".join(
            ["fec0", net[:2].hex(), net[2:4].hex(), net[4:6].hex()]
            + [host[i : i + 2].hex() for i in (0, 2, 4, 6)]
        )
    if kind == "ip":
        octets = value.split(".")
        net = digest("ip", ".".join(octets[:3]), salt)  # one /24 -> one pseudo /24
        return f"{240 + net[0] % 16}.{net[1]}.{net[2]}.{octets[3]}"
    raise RedactError(f"no pseudonym for kind {kind}")


def _words_pattern(values: list[str]) -> tuple[str, str]:
    """The learned values (longest first) as words, in two patterns run one after the other:
    standing alone (\\b where a value starts or ends with a letter, digit or underscore: RE2's
    \\b is ASCII, so a name ending in 'é' ends where it ends), then right after a URL escape
    (Isaac%20Newton, ?id%3D1001003: the escape is kept). Group 1 is the value. The values are
    grouped by the boundaries they take, each group one alternation between shared \\b; one
    pattern for both cases made RE2's automaton several times slower (0.67 s against 0.15 s for
    a 4 MiB web services block with 3 000 values), the escaped one alone takes 1 ms."""
    by_ends: dict[tuple[bool, bool], list[str]] = {}
    for value in values:
        ends = (bool(_ASCII_WORD.match(value[0])), bool(_ASCII_WORD.match(value[-1])))
        by_ends.setdefault(ends, []).append(re.escape(value))

    def branches(start: bool) -> str:
        out = []
        for (word_start, word_end), escaped in by_ends.items():
            before = r"\b" if start and word_start else ""
            after = r"\b" if word_end else ""
            out.append(f"{before}(?:{'|'.join(escaped)}){after}")
        return "|".join(out)

    return f"({branches(True)})", f"%[0-9A-Fa-f]{{2}}({branches(False)})"


def _compiled_words(pattern: str) -> Any:
    """The learned words compiled by RE2 with room for thousands of values (a site of 600
    agents learns ~3 000): with RE2's default 8 MiB its automaton runs out of memory, logs a
    line to stderr on every search and falls back to a slower one."""
    import re2

    options = re2.Options()
    options.max_mem = 256 << 20
    options.log_errors = False
    return re2.compile(pattern.encode(), options)


_ASCII_WORD = re.compile(r"[A-Za-z0-9_]")


def _site_hosts(hosts: Iterable[str]) -> Rule | None:
    """A rule for every host name in the domains of the learned ones (fin1a.acme.local learned:
    fin1b.acme.local, cucm1.acme.local, an agent's PC42.ACME.LOCAL, in URLs and free text),
    which no rule finds where they stand (a failover target, a server in a URL, a PC name).
    A domain is a learned name without its first label, of two labels at least, ending in a
    letter label (not an address's last octets)."""
    domains = set()
    for host in hosts:
        _, _, domain = host.lower().partition(".")
        if "." in domain and domain.rsplit(".", 1)[1].isalpha() and not is_token(domain):
            domains.add(domain)
    if not domains:
        return None
    alternation = "|".join(re.escape(d) for d in sorted(domains, key=lambda d: (-len(d), d)))
    pattern = r"(?i)\b(?P<v>[A-Za-z0-9][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)*\.(?:" + alternation + r"))\b"
    fast = _fast(pattern)
    return Rule("site-host", "host", fast or re.compile(pattern), source="learned domains",
                on_bytes=_fast(pattern.encode()) if fast else None,
                on_block=_for_blocks(pattern) if fast else None)  # fmt: skip


def _browser_only(ua: str) -> str:
    """Keep the browser and its major version (the support check), drop the rest."""
    for token in ("Edg/", "Firefox/", "Chrome/", "Trident/", "Safari/"):
        at = ua.find(token)
        if at >= 0:
            version = ua[at + len(token) :].split(".", 1)[0].split(" ", 1)[0]
            return f"Mozilla/5.0 (redacted) {token}{version}.0"
    return "Mozilla/5.0 (redacted)"


def is_token(value: str) -> bool:
    return bool(_TOKEN.search(value))


# -- the two passes ---------------------------------------------------------------------------


@dataclass
class Result:
    files: int = 0
    lines: int = 0
    left_out: list[tuple[str, str]] = field(default_factory=list)
    replaced: dict[str, int] = field(default_factory=dict)


CACHE_CHARS = 8 * 1024 * 1024
"""Text kept in the memo of lines already redacted (it is emptied when full)."""


def _split_stamp(text: str) -> tuple[str, str]:
    """('YYYY.MM.DD HH:MM:SS ', message) for an openfire line, else ('', text). A debug log
    repeats the same few hundred messages (Jetty noise around every BOSH poll) under new
    times: each message is redacted once. A timestamp identifies nobody and is kept."""
    if len(text) > 20 and text[19] == " " and looks_like_openfire_stamp(text):
        return text[:20], text[20:]
    return "", text


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


class Redactor:
    def __init__(self, rules: tuple[Rule, ...], names: Pseudonyms) -> None:
        self.ruleset = rules  # as given (a worker's copy is made from it)
        self._given_rules = tuple(rule for rule in rules if rule.kind != KEEP)
        self.rules = self._given_rules  # and, once frozen, the site's host names (see freeze)
        keeps = tuple(rule for rule in rules if rule.kind == KEEP)
        self._keeps = _Keeps(keeps) if keeps else None
        self.names = names
        self.learned: dict[str, str] = {}  # value -> kind, replaced wherever it stands as a word
        self._words: Any = None  # the learned values' patterns, compiled by re (when RE2 is missing)
        self._words_bytes: Any = None  # the same compiled by RE2, for UTF-8 bytes (see _words_pattern)
        self.counts: dict[str, int] = {}
        self._done: dict[str, tuple[str, tuple[tuple[str, int], ...]]] = {}  # message -> (redacted, counts)
        self._learnt: set[str] = set()  # messages already learnt from
        self._done_bytes: dict[bytes, tuple[bytes, tuple[tuple[str, int], ...]]] = {}  # the same, in blocks
        self._learnt_bytes: set[bytes] = set()
        self._decided: set[bytes] = set()  # values learn_block has learned or refused
        self._settled: set[bytes] = set()  # those of them an agent rule cannot change (see learn_one)
        self._tokens: dict[tuple[str, bytes], bytes | None] = {}  # (kind, value) -> token_for
        self._word_tokens: dict[bytes, tuple[bytes, str] | None] = {}  # value -> word_for
        self._cached_chars = 0
        self._delta: dict[str, int] = {}

    def _remember(self, text: str | bytes) -> bool:
        """Count `text` against the memo's size; False (memo emptied) when it is full."""
        self._cached_chars += len(text)
        if self._cached_chars > CACHE_CHARS:
            self._done.clear()
            self._learnt.clear()
            self._done_bytes.clear()
            self._learnt_bytes.clear()
            self._cached_chars = 0
            return False
        return True

    def learn(self, text: str) -> None:
        _, message = _split_stamp(text)
        if message in self._learnt:
            return
        if self._remember(message):
            self._learnt.add(message)
        self._learn(text)

    def _learn(self, text: str) -> None:
        data = text.encode()
        for rule in self.rules:
            if not rule.learn:
                continue
            if rule.on_bytes is not None:
                found = (
                    [
                        data[a:b].decode()
                        for spans in _spans(rule.on_bytes, data)
                        for a, b in (spans[rule.group],)
                        if a < b and not rule.left_alone(data, a) and not rule.spares(data[a:b])
                    ]
                    if rule.may_match_bytes(data)
                    else []
                )
            else:
                found = [value for _, value in _values(rule, text)] if rule.may_match(text) else []
            for value in found:
                if len(value) >= 2 and not is_token(value):
                    self.learn_one(value, rule.kind)

    def learn_one(self, value: str, kind: str) -> bool:
        """Learn `value` as `kind`: the first kind found, unless an agent rule finds it later (an
        agent whose ID is also an extension, or whose login is also a login name, is named by
        that ID where it stands alone: 'Agent 1001 ...', a client log's file name). True when
        its kind is then final (agent)."""
        known = self.learned.get(value)
        if known is None or (kind == "agent" and known != "agent"):
            self.learned[value] = kind
            return kind == "agent"
        return known == "agent"

    def freeze(self) -> None:
        """After learning: one alternation of every learned value, longest first (RE2 when
        installed: a DFA, one pass whatever the number of values)."""
        values = sorted(self.learned, key=lambda v: (-len(v), v))
        # a numeric token equal to another real value (agent 1001 -> 1437 where agent 1437 exists)
        # would be taken for that value by the learned-words pass and by the analysis: two agents
        # made one. No token is a learned value.
        self.names.avoid = frozenset(values)
        site = _site_hosts(value for value, kind in self.learned.items() if kind == "host")
        self.rules = self._given_rules + ((site,) if site is not None else ())
        if not values:
            self._words = self._words_bytes = None
            return
        patterns = _words_pattern(values)
        try:
            self._words_bytes = tuple(_compiled_words(pattern) for pattern in patterns)
        except ImportError:  # pragma: no cover - RE2 ships wheels for the usual platforms
            self._words = tuple(re.compile(pattern, re.ASCII) for pattern in patterns)

    def line(self, text: str) -> str:
        """The line redacted (its openfire time kept as written)."""
        stamp, message = _split_stamp(text)
        done = self._done.get(message)
        if done is None:
            self._delta = {}
            done = (self._redact(message), tuple(self._delta.items()))
            if self._remember(message):
                self._done[message] = done
        counts = self.counts
        for kind, n in done[1]:
            counts[kind] = counts.get(kind, 0) + n
        return stamp + done[0]

    def _redact(self, text: str) -> str:
        """Every rule in turn (each on the text as the rules before it left it), then the
        learned words. Rules RE2 compiled run on the UTF-8 bytes (see Rule.on_bytes), the
        others on the text; the result is the same."""
        data: bytes | None = None  # the line as bytes, while the last rule run was on bytes
        for rule in self.rules:
            if rule.on_bytes is not None:
                data = text.encode() if data is None else data
                if rule.may_match_bytes(data):
                    data = _sub_spans(rule.on_bytes, data, partial(self._swap_spans, rule=rule))
            else:
                text = data.decode() if data is not None else text
                data = None
                if rule.may_match(text):
                    text = rule.pattern.sub(lambda m, r=rule: self._swap(m, r), text)
        if self._words_bytes is not None:
            data = text.encode() if data is None else data
            data = self._words_over(data)
        elif self._words is not None:
            text = data.decode() if data is not None else text
            data = None
            for words_text in self._words:
                text = words_text.sub(self._word, text)
        return data.decode() if data is not None else text

    def _swap(self, m: Any, rule: Rule) -> str:
        whole, value = m.group(0), m.group(rule.group)
        if (
            not value
            or is_token(value)
            or rule.left_alone(m.string, m.start(rule.group))
            or rule.spares(value)
        ):
            return str(whole)
        token = self.names.token(rule.kind, value)
        self._delta[rule.kind] = self._delta.get(rule.kind, 0) + 1
        start, end = m.span(rule.group)
        return str(whole[: start - m.start()] + token + whole[end - m.start() :])

    def _swap_spans(self, data: bytes, spans: list[tuple[int, int]], rule: Rule) -> bytes:
        """As _swap, for a match on bytes given as RE2's spans (whole match, then groups)."""
        (lo, hi), (start, end) = spans[0], spans[rule.group]
        if start == end or rule.left_alone(data, start) or rule.spares(data[start:end]):  # (-1: took no part)
            return data[lo:hi]
        token = self.token_for(rule.kind, data[start:end])
        if token is None:
            return data[lo:hi]
        self._delta[rule.kind] = self._delta.get(rule.kind, 0) + 1
        return data[lo:start] + token + data[end:hi]

    def token_for(self, kind: str, value: bytes) -> bytes | None:
        """The token for a value a rule matched (None: it is a token already), each worked out
        once (a bundle names the same few thousand values over and over)."""
        key = (kind, value)
        if key in self._tokens:
            return self._tokens[key]
        text = value.decode()
        token = None if is_token(text) else self.names.token(kind, text).encode()
        self._tokens[key] = token
        return token

    def word_for(self, value: bytes) -> tuple[bytes, str] | None:
        """A learned word's token and kind (None: not a learned word), each worked out once."""
        if value in self._word_tokens:
            return self._word_tokens[value]
        text = value.decode()
        kind = self.learned.get(text)
        found = None if kind is None else (self.names.token(kind, text).encode(), kind)
        self._word_tokens[value] = found
        return found

    def _word_spans(self, data: bytes, spans: list[tuple[int, int]]) -> bytes:
        """As _word, for a match of the learned words on bytes."""
        (lo, hi), (start, end) = spans[0], spans[1]
        word = self.word_for(data[start:end])
        if word is None or self._kept(data, start, end):
            return data[lo:hi]
        self._delta[word[1]] = self._delta.get(word[1], 0) + 1
        return data[lo:start] + word[0]

    def _words_over(self, data: bytes) -> bytes:
        """The learned words' patterns (RE2) over one line, one after the other."""
        for words in self._words_bytes:
            data = _sub_spans(words, data, self._word_spans)
        return data

    def _word(self, m: re.Match[str]) -> str:
        value = m.group(1)
        kind = self.learned.get(value)
        if kind is None or self._kept_text(m.string, m.start(1), m.end(1)):
            return m.group(0)
        self._delta[kind] = self._delta.get(kind, 0) + 1
        return m.string[m.start() : m.start(1)] + self.names.token(kind, value)

    def _kept(self, data: bytes, lo: int, hi: int) -> bool:
        """Does data[lo:hi] (a learned word) touch what a [[keep]] entry matches near it in its
        line (a time, a number the diagnosis reads)? An agent ID or extension that happens to
        be 2026 or 500 must not change a year or a millisecond count."""
        if self._keeps is None:
            return False
        start = data.rfind(b"\n", 0, lo) + 1
        end = data.find(b"\n", hi)
        end = len(data) if end < 0 else end
        return self._keeps.touch(data, lo, hi, max(start, lo - KEEP_REACH), min(end, hi + KEEP_REACH))

    def _kept_text(self, text: str, lo: int, hi: int) -> bool:
        """_kept for a line as text (the learned words run by Python's re, RE2 missing)."""
        if self._keeps is None:
            return False
        return self._keeps.touch_text(text, lo, hi, max(0, lo - KEEP_REACH), min(len(text), hi + KEEP_REACH))

    def path(self, path: str) -> str:
        return "/".join(self._name(part) for part in path.split("/"))

    def _name(self, part: str) -> str:
        """A file or folder name redacted as a line, then each of its pieces between underscores
        by the learned words again: '_' is a word character to \\b, so a login in
        'jsmith_2026-03-04T20-00-38.txt' (a client log's name) was not one standing alone."""
        done = self.line(part)
        if "_" not in done or (self._words_bytes is None and self._words is None):
            return done
        self._delta = {}
        pieces = done.split("_")
        if self._words_bytes is not None:
            pieces = [self._words_over(p.encode()).decode() for p in pieces]
        else:  # pragma: no cover - RE2 ships wheels for the usual platforms
            for words_text in self._words:
                pieces = [words_text.sub(self._word, p) for p in pieces]
        counts = self.counts
        for kind, n in self._delta.items():
            counts[kind] = counts.get(kind, 0) + n
        return "_".join(pieces)

    # -- blocks of lines ----------------------------------------------------------------------
    # A clean block (valid UTF-8, whole lines) is redacted as `line` would redact each of its
    # lines, with each rule run once over the block's new messages joined by line ends instead
    # of once per line: every match is checked to lie within one line (else the block goes
    # line by line) and to be in a line that holds one of the rule's literals (the pre-check
    # `line` makes), and a value at a line's start is not 'after' the line end before it.

    def _learn_needs_lines(self) -> bool:
        """Does some learning rule go line by line (only Python's re runs it)?"""
        return any(rule.learn and rule.on_block is None for rule in self.rules)

    def learn_block(self, data: bytes, count: int) -> None:
        """`learn` each of the `count` lines of a clean block."""
        fresh: list[bytes]
        if _unstamped(data):  # each line a message of its own: the memo would not hit
            blob = data[:-1] if data.endswith(b"\n") else data
            fresh = blob.split(b"\n") if self._learn_needs_lines() else []
        else:
            fresh = []
            seen = self._learnt_bytes
            for raw in _block_lines(data, count):
                message = raw[20:] if _STAMP_BYTES.match(raw) else _split_stamp_bytes(raw)[1]
                if message in seen:
                    continue
                if self._remember(message):
                    seen.add(message)
                fresh.append(raw)  # (learnt with its time, as `learn` does)
            if not fresh:
                return
            blob = b"\n".join(fresh)
        found: list[
            tuple[int, int, str, str]
        ] = []  # (line, rule, value, kind), in the order `learn` meets them
        for i, rule in enumerate(self.rules):
            if not rule.learn:
                continue
            if rule.on_block is None:  # (a pattern only Python's re runs, or one bound to the text's ends)
                for n, raw in enumerate(fresh):
                    text = raw.decode()
                    found.extend(
                        (n, i, value, rule.kind) for _, value in _values(rule, text) if rule.may_match(text)
                    )
                continue
            if not rule.may_match_block(blob):
                continue
            try:
                found.extend(self._learn_rule(i, rule, blob))
            except _Crossing:  # learnt line by line
                for raw in fresh or _block_lines(data, count):
                    self._learn(raw.decode())
                return
        found.sort(key=lambda f: (f[0], f[1]))  # stable: within a line and rule, in match order
        decided, settled = self._decided, self._settled
        for _, _, value, kind in found:
            final = self.learn_one(value, kind) if len(value) >= 2 and not is_token(value) else True
            if len(decided) < 1_000_000:
                decided.add(value.encode())
                if final:
                    settled.add(value.encode())

    def _learn_rule(self, i: int, rule: Rule, blob: bytes) -> list[tuple[int, int, str, str]]:
        """(line, rule, value, kind) of each value `rule` (the i-th) finds in lines joined by line
        ends, as `_learn` finds them line by line, but the first time in the block only: a
        value's later finds add nothing (nor do values decided before this block: for an agent
        rule, those learned as agents or refused). Raises
        _Crossing for a match across a line end."""
        kind, group = rule.kind, rule.group
        decided = self._settled if kind == "agent" else self._decided
        find, count = blob.find, blob.count
        here: set[bytes] = set()
        out: list[tuple[int, int, str, str]] = []
        line = counted = 0
        for spans in _spans(rule.on_block, blob):
            (lo, hi), (start, end) = spans[0], spans[group]
            value = blob[start:end]
            if find(b"\n", lo, hi) >= 0:
                raise _Crossing
            if value not in decided and value not in here and _stands(rule, blob, lo, hi, start, end):
                here.add(value)
                line += count(b"\n", counted, lo)
                counted = lo
                out.append((line, i, value.decode(), kind))
        return out

    def block(self, data: bytes, count: int) -> bytes:
        """The `count` lines of a clean block, redacted as `line` redacts each, each ending with
        a line end."""
        if _unstamped(data):  # (web services, client logs: every line a message of its own)
            whole = data[:-1] if data.endswith(b"\n") else data
            ran = self._run_rules(whole, count, per_line=False)  # (the block's counts: one sum)
            if ran is not None and ran[0].count(b"\n") == count - 1:
                counts = self.counts
                for kind, n in ran[1][0].items():
                    counts[kind] = counts.get(kind, 0) + n
                return ran[0] + b"\n"
        lines = _block_lines(data, count)
        split = self._split_at_once(data, lines)
        if split is not None:
            return self._block_at_once(lines, split)
        out: list[bytes] = []
        todo: dict[bytes, list[int]] = {}  # a message not in the memo -> where its lines are in `out`
        tally: dict[tuple[tuple[str, int], ...], int] = {}  # a message's counts -> lines that had them
        done = self._done_bytes
        stamped = _STAMP_BYTES.match
        for raw in lines:
            stamp, message = (raw[:20], raw[20:]) if stamped(raw) else _split_stamp_bytes(raw)
            hit = done.get(message)
            if hit is None:
                todo.setdefault(message, []).append(len(out))
                out.append(stamp)
                continue
            out.append(stamp + hit[0])
            tally[hit[1]] = tally.get(hit[1], 0) + 1
        if todo:
            messages = list(todo)
            for message, (redacted, delta) in zip(messages, self._redact_many(messages), strict=True):
                if self._remember(message):
                    done[message] = (redacted, delta)
                for at in todo[message]:
                    out[at] += redacted
                tally[delta] = tally.get(delta, 0) + len(todo[message])
        self._tally(tally)
        out.append(b"")
        return b"\n".join(out)

    def _split_at_once(self, data: bytes, lines: list[bytes]) -> list[bytes] | None:
        """The messages of a block's lines (each line without the stamp _STAMP_BYTES takes
        off), found for all lines at once (numpy): None where the line-by-line loop must run:
        a line that is not ASCII or ends in CR (_split_stamp_bytes decides those), or a block
        that could fill the memo (the loop empties it at the line where it fills; a block that
        cannot fill it is read whole, then its messages are remembered in order)."""
        if self._cached_chars + len(data) > CACHE_CHARS or not data.isascii() or b"\r" in data:
            return None
        flags = _stamp_flags(data, lines)
        return [raw[20:] if flag else raw for raw, flag in zip(lines, flags, strict=True)]

    def _block_at_once(self, lines: list[bytes], messages: list[bytes]) -> bytes:
        """`block`'s loop for a block `_split_at_once` split: the memo is looked up once per
        distinct message (in the order they first come, as the loop meets them), those not in
        it are redacted together, and a line is rewritten only where its message changed."""
        seen = Counter(messages)  # distinct messages, first come first, and their lines
        done = self._done_bytes
        tally: dict[tuple[tuple[str, int], ...], int] = {}  # (counted in the loop's order)
        todo: list[bytes] = []
        changed: dict[bytes, bytes] = {}
        for message, lines_with_it in seen.items():
            hit = done.get(message)
            if hit is None:
                todo.append(message)
                continue
            if hit[0] != message:
                changed[message] = hit[0]
            tally[hit[1]] = tally.get(hit[1], 0) + lines_with_it
        for message, (redacted, delta) in zip(todo, self._redact_many(todo) if todo else (), strict=True):
            self._remember(message)  # (cannot fill the memo: see _split_at_once)
            done[message] = (redacted, delta)
            if redacted != message:
                changed[message] = redacted
            tally[delta] = tally.get(delta, 0) + seen[message]
        self._tally(tally)
        if changed:
            lines = [
                raw if message not in changed else raw[: len(raw) - len(message)] + changed[message]
                for raw, message in zip(lines, messages, strict=True)
            ]
        lines.append(b"")
        return b"\n".join(lines)

    def _tally(self, tally: dict[tuple[tuple[str, int], ...], int]) -> None:
        """Add to the counts each message's counts times the lines that had it."""
        counts = self.counts
        for delta, lines in tally.items():
            for kind, n in delta:
                counts[kind] = counts.get(kind, 0) + n * lines

    def _forget(self) -> None:
        """Empty every memo: what was learnt or redacted before, the tokens worked out."""
        memos = (self._learnt, self._learnt_bytes, self._decided, self._settled, self._done, self._done_bytes)
        for memo in (*memos, self._tokens, self._word_tokens):
            memo.clear()
        self._cached_chars = 0

    def learn_on_its_own(self, data: bytes, count: int) -> list[tuple[str, str]]:
        """`learn_block` as if nothing had been learnt before: what the block adds, in order.
        Given in file order to `learn_one`, the blocks' additions give what one process learns
        from them all (see _Learning)."""
        self.learned = {}
        self._forget()
        self.learn_block(data, count)
        return list(self.learned.items())

    def on_its_own(
        self, data: bytes, count: int, known: Mapping[tuple[str, str], str] | None = None
    ) -> tuple[bytes, list[tuple[str, str, str]], dict[str, int]]:
        """`block` as if no block had been redacted before (no token given yet but the `known`
        ones, nothing in the memo): the block redacted, the tokens it gave (`Pseudonyms.given`)
        and its counts. Blocks redacted so, by several processes, are checked with
        `Pseudonyms.agree` in file order (see _Writing)."""
        self.names = Pseudonyms(self.names.key, given=[], avoid=self.names.avoid)
        for (kind, value), token in (known or {}).items():
            self.names.tokens[(kind, value)] = token
            self.names.taken[token] = (kind, value)
        self._forget()
        self.counts = {}
        out = self.block(data, count)
        return out, cast(list[tuple[str, str, str]], self.names.given), self.counts

    def _redact_many(self, messages: list[bytes]) -> list[tuple[bytes, tuple[tuple[str, int], ...]]]:
        """Each message redacted (as `_redact`), with its counts: the rules run over them all
        joined by line ends (see above); line by line where that cannot be."""
        ran = self._run_rules(b"\n".join(messages), len(messages))
        if ran is None:
            return self._each(messages)
        blob, deltas = ran
        parts = blob.split(b"\n")
        if len(parts) != len(messages):  # pragma: no cover - a token never holds a line end
            return self._each(messages)
        return [(part, tuple(delta.items())) for part, delta in zip(parts, deltas, strict=True)]

    def _run_rules(
        self, blob: bytes, count: int, per_line: bool = True
    ) -> tuple[bytes, list[dict[str, int]]] | None:
        """The rules, then the learned words, over `count` messages joined by line ends: the
        result and each message's counts (not `per_line`: one dict, the sum of them all, the
        line of each match not worked out); None where that cannot be (the messages then go one
        by one): a match across a line end, a rule or words only Python's re runs."""
        deltas: list[dict[str, int]] = [{} for _ in range(count if per_line else 1)]
        for rule in self.rules:
            if rule.on_block is None:
                return None
            if not rule.may_match_block(blob):
                continue
            try:
                blob = self._block_rule(rule, blob, deltas, per_line)
            except _Crossing:
                return None
        if self._words_bytes is not None:
            blob = self._block_words(blob, deltas, per_line)
        elif self._words is not None:
            return None
        return blob, deltas

    def _block_rule(
        self, rule: Rule, blob: bytes, deltas: list[dict[str, int]], per_line: bool = True
    ) -> bytes:
        """`rule` over lines joined by line ends, as `_swap_spans` on each line: each match whose
        value `_stands` is replaced by its token, counted in its line's delta (once the run is
        through: a match across a line end raises _Crossing). One loop with `_stands` and
        `token_for` inlined: this is the work of every match (a million in a busy bundle)."""
        match = _matcher(rule.on_block)
        group, kind, literals, not_after, unless = (
            rule.group,
            rule.kind,
            rule.literal_bytes,
            rule.not_after,
            rule.unless,
        )
        first = literals[0] if literals else b""  # (found in the match itself, as a rule, most often)
        tokens = self._tokens
        find, count = blob.find, blob.count
        pieces: list[bytes] = []
        hits: list[int] = []  # the line of each replacement
        done = pos = line = counted = 0
        size = len(blob)
        while True:
            spans = match(_UNANCHORED, blob, pos, size)
            lo, hi = spans[0]
            if lo < 0:
                break
            if find(b"\n", lo, hi) >= 0:
                raise _Crossing
            start, end = spans[group]
            stands = (  # as _stands says
                start < end
                and (not literals or find(first, lo, hi) >= 0 or _holds_literal(literals, blob, lo, hi))
                and not (not_after and start > 0 and blob[start - 1] != 10 and rule.left_alone(blob, start))
                and not (unless and rule.spares(blob[start:end]))
            )
            if stands:
                key = (kind, blob[start:end])
                token = tokens[key] if key in tokens else self.token_for(kind, key[1])
                if token is not None:
                    pieces.append(blob[done:start])
                    pieces.append(token)
                    done = end
                    if per_line:
                        line += count(b"\n", counted, lo)
                        counted = lo
                    hits.append(line)  # (0 when not per_line: deltas holds the sum)
            if pos == size:
                break
            pos = pos + 1 if pos == hi else hi  # an empty match moves on by one
        if not per_line:
            if hits:
                deltas[0][kind] = deltas[0].get(kind, 0) + len(hits)
        else:
            for at in hits:
                delta = deltas[at]
                delta[kind] = delta.get(kind, 0) + 1
        if not pieces:
            return blob
        pieces.append(blob[done:])
        return b"".join(pieces)

    def _block_words(self, blob: bytes, deltas: list[dict[str, int]], per_line: bool = True) -> bytes:
        """The learned words (as `_word_spans`) over lines joined by line ends, counted per line
        (not `per_line`: in deltas[0]) (a few matches: `_sub_spans` with a call each)."""
        hits: list[tuple[int, str]] = []
        at = [0, 0]  # the line of the last hit, and where it was

        def swap(data: bytes, spans: list[tuple[int, int]]) -> bytes:
            (lo, hi), (start, end) = spans[0], spans[1]
            word = self.word_for(data[start:end])
            if word is None or self._kept(data, start, end):
                return data[lo:hi]
            if per_line:
                at[0] += data.count(b"\n", at[1], lo)
                at[1] = lo
            hits.append((at[0], word[1]))
            return data[lo:start] + word[0]

        for words in self._words_bytes:
            at[0] = at[1] = 0  # (each pass walks the blob from its start)
            blob = _sub_spans(words, blob, swap)
        for line, kind in hits:
            delta = deltas[line]
            delta[kind] = delta.get(kind, 0) + 1
        return blob

    def _each(self, messages: list[bytes]) -> list[tuple[bytes, tuple[tuple[str, int], ...]]]:
        out = []
        for message in messages:
            self._delta = {}
            out.append((self._redact(message.decode()).encode(), tuple(self._delta.items())))
        return out


_UNANCHORED = getattr(getattr(re2, "_Anchor", None), "UNANCHORED", None)


def _matcher(pattern: Any) -> Callable[[Any, bytes, int, int], list[tuple[int, int]]]:
    """`match(anchor, data, pos, end)`: the spans of the first match of an RE2 `pattern` in
    data[pos:end] (the whole match's, then each group's; (-1, -1) for a group that took no
    part, and for no match), read from RE2's C++ layer: its Python match objects cost more
    than the matching (profiled: 6 of 20 s of a redact run went to them)."""
    match = getattr(getattr(pattern, "_regexp", None), "Match", None)
    if match is not None and _UNANCHORED is not None:
        return cast(Callable[[Any, bytes, int, int], list[tuple[int, int]]], match)

    def public(anchor: Any, data: bytes, pos: int, end: int) -> list[tuple[int, int]]:  # pragma: no cover
        m = pattern.search(data, pos, end)  # another version of the wrapper: its public API
        return [m.span(g) for g in range(pattern.groups + 1)] if m else [(-1, -1)]

    return public


def _holds_literal(literals: tuple[bytes, ...], blob: bytes, lo: int, hi: int) -> bool:
    """Does the line holding blob[lo:hi] hold one of the literals (a rule's pre-check)?"""
    for lit in literals:
        if blob.find(lit, lo, hi) >= 0:  # in the match (the usual case), so in its line
            return True
    ls, le = _line_around(blob, lo, hi)
    return any(blob.find(lit, ls, le) >= 0 for lit in literals)


def _spans(pattern: Any, data: bytes) -> Iterator[list[tuple[int, int]]]:
    """The spans of each match of an RE2 `pattern` in `data`, as its finditer walks them
    (see _matcher)."""
    match = _matcher(pattern)
    pos, end = 0, len(data)
    while True:
        spans = match(_UNANCHORED, data, pos, end)
        if spans[0][0] < 0:
            return
        yield spans
        if pos == end:
            return
        pos = pos + 1 if pos == spans[0][1] else spans[0][1]  # an empty match moves on by one


def _sub_spans(pattern: Any, data: bytes, swap: Callable[[bytes, list[tuple[int, int]]], bytes]) -> bytes:
    """`pattern.sub(...)` on bytes, each match replaced by what `swap` makes of its spans."""
    pieces: list[bytes] = []
    done = 0
    for spans in _spans(pattern, data):
        lo, hi = spans[0]
        pieces.append(data[done:lo])
        pieces.append(swap(data, spans))
        done = hi
    if not pieces:
        return data
    pieces.append(data[done:])
    return b"".join(pieces)


class _Crossing(Exception):
    """A match ran across a line end: the lines are redacted one by one."""


def _line_around(blob: bytes, lo: int, hi: int) -> tuple[int, int]:
    """Where the line holding blob[lo:hi] starts and ends."""
    end = blob.find(b"\n", hi)
    return blob.rfind(b"\n", 0, lo) + 1, len(blob) if end < 0 else end


def _stands(rule: Rule, blob: bytes, lo: int, hi: int, start: int, end: int, literals: bool = True) -> bool:
    """Is the value blob[start:end] of a match blob[lo:hi] of `rule`, in lines joined by line
    ends, one that running the rule on its line alone would take: not empty, in a line holding
    one of the rule's literals (its pre-check; not asked for with `literals` False, as
    `_values` does not), not left alone (`not_after`; a line's first character follows nothing,
    `unless`)? Raises _Crossing for a match across a line end."""
    if blob.find(b"\n", lo, hi) >= 0:
        raise _Crossing
    if start >= end:
        return False
    if literals and rule.literal_bytes and not _holds_literal(rule.literal_bytes, blob, lo, hi):
        return False
    if rule.not_after and start > 0 and blob[start - 1] != 10 and rule.left_alone(blob, start):
        return False
    return not rule.spares(blob[start:end])


def _stamp_flags(data: bytes, lines: list[bytes]) -> list[bool]:
    """Which of the lines (those of `data`, ASCII, no CR) `_STAMP_BYTES` matches, for all of
    them at once: the 20 bytes at each line start of 21 bytes or more, checked column by column
    (a line's own bytes: ASCII, no line end, so each `[\\x00-\\x7f]` holds)."""
    import numpy as np

    codes = np.frombuffer(data, dtype=np.uint8)
    sizes = np.fromiter(map(len, lines), dtype=np.int64, count=len(lines))
    starts = np.zeros(len(lines), dtype=np.int64)
    np.cumsum(sizes[:-1] + 1, out=starts[1:])
    long_enough = np.flatnonzero(sizes > 20)
    window = codes[starts[long_enough, None] + np.arange(20)]  # (lines, 20 bytes)
    digits = (window[:, :4] >= 48) & (window[:, :4] <= 57)
    fits = (
        digits.all(axis=1)
        & (window[:, 4] == 46) & (window[:, 7] == 46)  # '.'
        & ((window[:, 10] == 32) | (window[:, 10] == 84))  # ' ' or 'T'
        & (window[:, 13] == 58) & (window[:, 16] == 58)  # ':'
        & (window[:, 19] == 32)
    )  # fmt: skip
    flags = np.zeros(len(lines), dtype=bool)
    flags[long_enough[fits]] = True
    found: list[bool] = flags.tolist()
    return found


def _block_lines(data: bytes, count: int) -> list[bytes]:
    """The `count` lines of a clean block, without their line ends (as iter_lines reads them)."""
    lines = data.split(b"\n")
    if len(lines) > count:
        lines.pop()
    if b"\r" not in data:
        return lines
    return [raw[:-1] if raw.endswith(b"\r") else raw for raw in lines]


_STAMP_BYTES = re.compile(
    rb"\d{4}\.[\x00-\x7f]{2}\.[\x00-\x7f]{2}[ T][\x00-\x7f]{2}:[\x00-\x7f]{2}:[\x00-\x7f]{2} (?=[\x00-\xff])"
)
"""What _split_stamp takes for a stamp, in a line whose first 20 bytes are ASCII (and that goes
on after them)."""


_STAMP_AT_LINE = re.compile(rb"\n\d{4}\.")


def _unstamped(data: bytes) -> bool:
    """Is no line of a clean block one whose stamp `_split_stamp` would take off (no line
    starts with 4 digits and a dot, or with a non-ASCII character), and none ends in CR? Its
    lines are then its messages, as they stand."""
    return (
        data.isascii()
        and b"\r" not in data
        and _STAMP_AT_LINE.search(data) is None
        and not (data[4:5] == b"." and data[:4].isdigit())
    )


def _split_stamp_bytes(raw: bytes) -> tuple[bytes, bytes]:
    """_split_stamp for the bytes of a line (the usual stamped line is told by _STAMP_BYTES
    alone: the callers try it first)."""
    if len(raw) > 20 and not raw.isascii() and not raw[:20].isascii():
        stamp, message = _split_stamp(raw.decode())  # characters and bytes do not line up
        return stamp.encode(), message.encode()
    if _STAMP_BYTES.match(raw):
        return raw[:20], raw[20:]
    return b"", raw


def _values(rule: Rule, text: str) -> Iterator[tuple[Any, str]]:
    """Each match of `rule` in `text` with its non-empty value (its `v` group), unless the
    rule leaves it alone (`not_after`)."""
    for m in rule.pattern.finditer(text):
        value = m.group(rule.group)
        if value and not rule.left_alone(text, m.start(rule.group)) and not rule.spares(value):
            yield m, value


def _text_sources(
    paths: list[str],
    limits: Limits,
    left_out: list[tuple[str, str]],
    dumps: list[SourceFile] | None = None,
    reader: BundleReader | None = None,
) -> Iterator[SourceFile]:
    """Every text file of the inputs (valid until the iterator moves on); dumps go to `dumps`."""
    reader = reader or BundleReader(limits)
    for src in reader.iter_sources(paths):
        if route_by_name(src.path) is not None:
            left_out.append(
                (src.display, "a dump: its bytes are left out (an empty file keeps its name and time)")
            )
            if dumps is not None:
                dumps.append(src)
            continue
        yield src
    for display, reason in reader.notes.skipped:
        left_out.append((display, reason))
    for err in reader.notes.errors:
        left_out.append(("", err))


BLOCK_BYTES = CHUNK_BYTES
"""Bytes read (and redacted) at a time."""


def _chunks(src: SourceFile) -> Iterator[Chunk]:
    stream, _ = as_utf8_stream(src.stream)
    return iter_chunks(stream, Damage(), size=BLOCK_BYTES)


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
    limits = limits or Limits()
    names = Pseudonyms(key)
    red = Redactor(rules or builtin_rules(), names)
    result = Result()
    learning = _Progress(progress, "learning ") if progress is not None else None
    learner = Redactor(red.ruleset, Pseudonyms(key))  # pass 1: learn the values
    reader = BundleReader(limits)
    ticking = learning.ticking(reader, paths) if learning is not None else _chunks
    with _Learning(learner, jobs) as learnt:
        for src in _text_sources(paths, limits, [], reader=reader):
            learnt.name(src.path)
            _blocks(ticking(src), learnt)
        learnt.finish()
    red.learned = learner.learned
    red.freeze()
    dumps: list[SourceFile] = []
    reader = BundleReader(limits)
    writing = _Progress(progress, "writing ").ticking(reader, paths) if progress is not None else _chunks
    writer = _ZipWriter(out)  # (the file is made here: removed below only if made)
    try:
        with writer as zf, _Writing(red, jobs, zf) as written:
            for src in _text_sources(paths, limits, result.left_out, dumps, reader):  # pass 2: write
                written.name(f"{src.input_name}/{src.path}")
                result.lines += _blocks(writing(src), written)
                result.files += 1
            written.finish()
            for dump in dumps:  # the name (and, from a zip, the time) is what the diagnosis reads
                zf.empty(
                    zipfile.ZipInfo(red.path(f"{dump.input_name}/{dump.path}"), date_time=_zip_time(dump))
                )
    except BaseException:  # an error, Ctrl-C: no half-written copy is left to be shared by mistake
        with contextlib.suppress(OSError):
            Path(out).unlink()
        raise
    result.replaced = dict(red.counts)
    return result, names


def _blocks(chunks: Iterable[Chunk], ordered: _InOrder) -> int:
    """Give a file's blocks to a pass; returns its number of lines."""
    lines = 0
    for chunk in chunks:
        if chunk.lines is None:
            ordered.block(chunk.data, chunk.count)
        else:
            ordered.lines([line.text for line in chunk.lines])
        lines += chunk.count
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


def _faster_deflate(member: Any) -> Any:
    """A zip member being written, deflated by ISA-L (python-isal, a dependency already, for
    reading gzip) instead of zlib: about 20x faster at about zlib's size (a 625 MB bundle:
    ~5 s of CPU less beside the redaction). zipfile has no public way to choose its deflate:
    its writer's compressor (`_compressor`, a zlib compress object) is replaced, before
    anything is written, only where it is that; elsewhere zlib's stays. Any inflate reads it."""
    import zlib

    try:
        from isal import isal_zlib
    except ImportError:  # pragma: no cover - isal ships wheels for the usual platforms
        return member
    if isinstance(getattr(member, "_compressor", None), type(zlib.compressobj())):
        member._compressor = isal_zlib.compressobj(isal_zlib.ISAL_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    return member


class _ZipWriter:
    """The output zip, written by a thread of its own: deflating (zlib lets other threads run
    meanwhile) goes on beside the redaction. Members are written in the order given; at most
    a few blocks wait (memory stays flat); an error in the thread is raised here."""

    def __init__(self, path: str) -> None:
        import queue
        import threading

        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
        self._queue: queue.Queue[tuple[str, Any] | None] = queue.Queue(maxsize=8)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="redact-zip", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        fh: Any = None
        try:
            while (item := self._queue.get()) is not None:
                what, value = item
                if what == "open":
                    if fh is not None:
                        fh.close()
                    fh = _faster_deflate(self._zip.open(value, "w"))
                elif what == "data":
                    fh.write(value)
                else:  # "empty": a member with no bytes
                    if fh is not None:
                        fh.close()
                        fh = None
                    self._zip.writestr(value, b"")
            if fh is not None:
                fh.close()
        except BaseException as exc:  # handed to the main thread, which stops putting
            self._error = exc
            if fh is not None:
                with contextlib.suppress(Exception):
                    fh.close()
            while self._queue.get() is not None:  # until the main thread's last put
                pass

    def _put(self, item: tuple[str, Any] | None) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(item)

    def open(self, member: str) -> None:
        self._put(("open", member))

    def write(self, data: bytes) -> None:
        self._put(("data", data))

    def empty(self, info: zipfile.ZipInfo) -> None:
        self._put(("empty", info))

    def __enter__(self) -> _ZipWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self._queue.put(None)  # the end, or the end of the thread's draining after an error
        self._thread.join()
        self._zip.close()
        if self._error is not None and exc[0] is None:
            raise self._error


def _zip_time(src: SourceFile) -> tuple[int, int, int, int, int, int]:
    when = src.mtime_local
    if when is None and src.mtime is not None:
        when = datetime.fromtimestamp(src.mtime)  # this machine's wall time, as zip stores it
    if when is None or when.year < 1980:
        return (1980, 1, 1, 0, 0, 0)
    return (when.year, when.month, when.day, when.hour, when.minute, when.second)


def new_key() -> bytes:
    return secrets.token_bytes(32)


def read_key(path: str) -> bytes:
    try:
        raw = Path(path).read_text(encoding="ascii").strip()
        return bytes.fromhex(raw)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise RedactError(f"{path}: not a key file (64 hex digits) ({exc})") from exc


def write_mapping(path: str, names: Pseudonyms) -> None:
    Path(path).write_text(json.dumps(names.mapping(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def reveal(token: str, mapping_path: str) -> tuple[str, str] | None:
    try:
        data = json.loads(Path(mapping_path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RedactError(f"{mapping_path}: cannot read the mapping ({exc})") from exc
    found = data.get(token)
    return (found["kind"], found["value"]) if found else None


# -- check ---------------------------------------------------------------------------------


@dataclass
class Suspect:
    file: str
    line: int
    rule: str
    value: str


def check(
    paths: list[str], rules: tuple[Rule, ...] | None = None, limits: Limits | None = None
) -> list[Suspect]:
    """What still looks identifying in a (redacted) bundle: rule matches that are not tokens."""
    return list(iter_check(paths, rules, limits))


def iter_check(
    paths: list[str], rules: tuple[Rule, ...] | None = None, limits: Limits | None = None
) -> Iterator[Suspect]:
    """`check`'s finds one block at a time (an unredacted bundle has millions: memory must not
    hold them all)."""
    rules = tuple(rule for rule in (rules or builtin_rules()) if rule.kind != KEEP)
    for src in _text_sources(paths, limits or Limits(), []):
        for chunk in _chunks(src):
            yield from _suspects(chunk, rules, src.display)


def _suspects(chunk: Chunk, rules: tuple[Rule, ...], display: str) -> list[Suspect]:
    """check's finds in one block of lines, in line order, then rule order, then match order: each
    rule run once over a clean block (as Redactor.block does: a 625 MB copy took 8 minutes line
    by line), line by line where a match runs across a line end or a rule cannot run so."""
    data = chunk.data
    if chunk.lines is None and b"\r" not in data and all(rule.on_block is not None for rule in rules):
        blob = data[:-1] if data.endswith(b"\n") else data
        hits: list[tuple[int, int, int, str, str]] = []  # (line, rule, offset, rule id, value)
        try:
            for i, rule in enumerate(rules):
                line = counted = 0
                for spans in _spans(rule.on_block, blob):
                    (lo, hi), (start, end) = spans[0], spans[rule.group]
                    if not _stands(rule, blob, lo, hi, start, end, literals=False):
                        continue
                    value = blob[start:end].decode()
                    if is_token(value) or _harmless(rule.kind, value):
                        continue
                    line += blob.count(b"\n", counted, lo)
                    counted = lo
                    hits.append((line, i, lo, rule.id, value))
        except _Crossing:
            pass
        else:
            hits.sort()
            return [
                Suspect(display, chunk.first + line, rule_id, value) for line, _, _, rule_id, value in hits
            ]
    return [
        Suspect(display, line.no, rule.id, value)
        for line in chunk.iter_lines()
        for rule in rules
        for _, value in _values(rule, line.text)
        if not is_token(value) and not _harmless(rule.kind, value)
    ]


def _harmless(kind: str, value: str) -> bool:
    """Values a rule can match that identify nobody: numeric IDs (tokens are numeric too, so a
    check cannot tell them apart without the mapping), loopback and unspecified addresses."""
    if kind in ("agent", "extension", "phone") and value.lstrip("+").replace("-", "").isdigit():
        return True
    if kind == "ip":
        return value.startswith(("127.", "0.")) or value == "255.255.255.255" or value in ("::", "::1")
    if kind == "user_agent":
        return "(redacted)" in value
    return False
