"""Showing file paths: relative to the folder all shown files share."""

from __future__ import annotations


def common_dir(paths: list[str]) -> str:
    """The folder shared by every file shown, so evidence can be shown relative to it."""
    if not paths:
        return ""
    split = [p.replace("!", "/").split("/")[:-1] for p in paths]
    prefix: list[str] = []
    for parts in zip(*split, strict=False):
        if all(x == parts[0] for x in parts):
            prefix.append(parts[0])
        else:
            break
    # never cut inside an archive name ('a.zip!x' is shown whole)
    joined = "/".join(prefix)
    return joined + "/" if joined and all(p.startswith(joined + "/") for p in paths) else ""


def relative(path: str, base: str) -> str:
    return path[len(base) :] if base and path.startswith(base) else path
