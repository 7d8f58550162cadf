"""The Redactor: what the rules find is learnt (pass 1) and replaced by its token (pass 2), for
one line, for a clean block of lines, or for a block on its own (as a worker does it)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any, cast

from .matching import (
    _STAMP_BYTES,
    _UNANCHORED,
    _block_lines,
    _compiled_words,
    _Crossing,
    _holds_literal,
    _matcher,
    _spans,
    _split_stamp,
    _split_stamp_bytes,
    _stamp_flags,
    _stands,
    _sub_spans,
    _unstamped,
    _values,
    _words_pattern,
)
from .rules import KEEP, KEEP_REACH, Rule, _fast, _for_blocks, _Keeps
from .tokens import Pseudonyms, is_token

CACHE_CHARS = 8 * 1024 * 1024
"""Text kept in the memo of lines already redacted (it is emptied when full)."""


def _short_names(hosts: Iterable[str]) -> list[str]:
    """The short names of the learned fully qualified host names, replaced as words too
    (fin1a.example.com learned: 'fin1a' in a file name, a cluster message, a user's notes),
    with the token of the full name's first label. Only names that cannot be a common word
    (they hold a digit or a dash: fin1a, cucm-pub, uccx01; not 'finesse', 'desktop', whose
    words the logs use otherwise) and are not an address's first octet."""
    out = []
    for host in hosts:
        first, dot, _ = host.lower().partition(".")
        if dot and len(first) >= 3 and not first.isdigit() and any(c.isdigit() or c == "-" for c in first):
            out.append(first)
    return sorted(set(out))


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
                        if _stands(rule, data, *spans[0], a, b, literals=False)  # (one line: no line end)
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
        for short in _short_names(value for value, kind in self.learned.items() if kind == "host"):
            self.learned.setdefault(short, "host")
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
