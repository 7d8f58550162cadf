"""Showing file paths: relative to the folder (or archive) all shown files share."""

from __future__ import annotations

import re

_PARTS = re.compile(r"[^/!]*[/!]|[^/!]+$")


def common_dir(paths: list[str]) -> str:
    """The longest shared prefix ending at a '/' or an archive's '!' ('' when none)."""
    if not paths:
        return ""
    split = [_PARTS.findall(p)[:-1] for p in paths]
    prefix: list[str] = []
    for parts in zip(*split, strict=False):
        if all(x == parts[0] for x in parts):
            prefix.append(parts[0])
        else:
            break
    return "".join(prefix)


def relative(path: str, base: str) -> str:
    return path[len(base) :] if base and path.startswith(base) else path
