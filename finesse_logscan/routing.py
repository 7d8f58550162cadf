"""Which parser reads a file (content wins over name), which node it belongs to, and which
rotated copies of one log belong together."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .bundle import ARCHIVE_SUFFIXES, strip_suffix
from .parsers import PARSERS
from .parsing import Parser

SNIFF_LINES = 40

_LAYOUT_DIRS = {"activelog", "active", "desktop", "logs", "log", "var", "inactivelog", "syslog", "core"}
_DATEISH = re.compile(r"^[\d_.:T-]+Z?$")


@dataclass(frozen=True)
class Route:
    parser: Parser | None
    reason: str


def route_by_name(path: str) -> Parser | None:
    """Families recognised by file name alone (binary dumps whose content is never read)."""
    for p in PARSERS:
        if getattr(p, "BY_NAME", False) and p.path_hint(path):
            return p
    return None


def route(path: str, head: list[str]) -> Route:
    """Pick the parser whose sniff accepts the first lines; the path breaks ties and explains."""
    text_parsers = [p for p in PARSERS if not getattr(p, "BY_NAME", False)]
    sniffed = [p for p in text_parsers if p.sniff(head)]
    hinted = [p for p in text_parsers if p.path_hint(path)]
    if len(sniffed) == 1:
        return Route(sniffed[0], "content")
    if len(sniffed) > 1:
        both = [p for p in sniffed if p in hinted]
        chosen = both[0] if both else sniffed[0]
        return Route(chosen, "content and name")
    if not any(line.strip() for line in head):
        return Route(None, "empty file")
    if hinted:
        return Route(None, f"name suggests {hinted[0].NAME} but the content does not match its layout")
    return Route(None, "not a known Finesse log layout")


def node_from_path(path: str) -> str | None:
    """The host folder just above the desktop/logs layout (date-like folders skipped), if any.
    A folder named like an archive (`bundle.zip/`, an archive the file lay in, or a redacted
    copy's folder for one of its inputs: see `input_folder`) is no host: passed over too."""
    parts = [p for p in path.split("/") if p]
    for i, part in enumerate(parts[:-1]):
        if part.lower() in _LAYOUT_DIRS:
            for cand in reversed(parts[:i]):
                if not _DATEISH.match(cand) and not _archive_name(cand):
                    return cand
            break
    return None


def input_folder(path: str) -> str | None:
    """The first folder of a path when it is named like an archive: a redacted copy keeps each
    of its inputs in a folder named as the input was (`redact a.zip b.tgz` -> `a.zip/...`,
    `b.tgz/...`), so that folder stands for the input (as its name would, unpacked)."""
    first, sep, _ = path.partition("/")
    return first if sep and _archive_name(first) else None


def _archive_name(name: str) -> bool:
    return strip_suffix(name, ARCHIVE_SUFFIXES) != name


def place_node(path: str, input_name: str, within: str = "") -> tuple[str, bool]:
    """The server a file came from, and whether its path named it: its host folder (above the
    archives it lay in, if any: `fin1a.example.com/logs.zip` holding `activelog/...`);
    otherwise the input's own name (archive suffixes removed), until its lines say better
    (nodes.assign)."""
    host = node_from_path(f"{within}/{path}" if within else path)
    if host is not None:
        return host, True
    return strip_suffix(input_folder(path) or input_name, ARCHIVE_SUFFIXES), False


def node_for(path: str, input_name: str, within: str = "") -> str:
    """The server a file came from (see `place_node`)."""
    return place_node(path, input_name, within)[0]
