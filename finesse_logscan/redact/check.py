"""`redact --check`: what in a bundle looks identifying (the rules' finds that are not tokens)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..bundle import CORRUPT_ERRORS, MACOS_METADATA, DecompressionLimitError
from ..options import Limits
from ..textlines import Chunk
from .matching import _Crossing, _spans, _stands, _values
from .passes import NOT_TEXT, _chunks, _text_sources, no_usable_input
from .rules import KEEP, SECRET, Rule, builtin_rules
from .tokens import is_token


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
    left_out: list[tuple[str, str]] = []
    read = 0
    for src in _text_sources(paths, limits or Limits(), left_out):
        read += 1
        last = 0
        try:
            for chunk in _chunks(src):
                yield from _suspects(chunk, rules, src.display)
                last = chunk.first + chunk.count - 1
        except DecompressionLimitError:
            raise
        except CORRUPT_ERRORS as exc:  # (a cut .gz: what could not be read could not be checked)
            yield Suspect(src.display, last + 1, "not-read", f"the rest could not be read ({exc})")
    binary = [display for display, reason in left_out if reason in (NOT_TEXT, MACOS_METADATA)]
    for display in binary:  # (it may hold anything, and cannot be checked)
        yield Suspect(display, 0, "not-text", "binary content, not checked")
    if not read and not binary:  # (a typo in a path must not pass as 'nothing identifying')
        raise no_usable_input(paths, left_out)


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
                    hits.append((line, i, lo, rule.id, _shown(rule, value)))
        except _Crossing:
            pass
        else:
            hits.sort()
            return [
                Suspect(display, chunk.first + line, rule_id, value) for line, _, _, rule_id, value in hits
            ]
    return [
        Suspect(display, line.no, rule.id, _shown(rule, value))
        for line in chunk.iter_lines()
        for rule in rules
        for _, value in _values(rule, line.text)
        if not is_token(value) and not _harmless(rule.kind, value)
    ]


def _shown(rule: Rule, value: str) -> str:
    """A find as the check prints it: a secret is not (a CI log would hand the password over)."""
    return f"(a secret of {len(value)} characters, not shown)" if rule.kind == SECRET else value


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
