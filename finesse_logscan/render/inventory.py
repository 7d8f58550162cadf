"""`finesse-logscan files`: the inventory of what was read, skipped and why."""

from __future__ import annotations

import json

from ..report import Report
from ..timestamps import iso_z
from .paths import common_dir, relative
from .text import fit_table


def render(report: Report, width: int = 100) -> str:
    base = common_dir([f.path for f in report.files])
    rows: list[list[object]] = []
    for f in report.files:
        note = (
            f"skipped: {f.skipped}" if f.skipped else (f"{len(f.warnings)} warning(s)" if f.warnings else "-")
        )
        if f.duplicates:
            note += f"; {f.duplicates} repeated event(s)"
        rows.append(
            [relative(f.path, base), f.family, f.node or "-", f.node_source if f.skipped is None else "-", f.lines,
             f.parsed, f.unparsed, iso_z(f.first) or "-", iso_z(f.last) or "-", note]
        )  # fmt: skip
    for display, reason in report.skipped:
        rows.append([relative(display, base), "-", "-", "-", 0, 0, 0, "-", "-", f"skipped: {reason}"])
    headers = [
        "file",
        "family",
        "node",
        "node from",
        "lines",
        "parsed",
        "unparsed",
        "first (UTC)",
        "last (UTC)",
        "notes",
    ]
    out = [f"files below: {base}"] if base else []
    nodes = sorted({(f.node, f.node_source) for f in report.files if f.skipped is None and f.node}, key=str)
    if nodes:
        out.append("nodes: " + ", ".join(f"{name} (name from {source})" for name, source in nodes))
    out.append(fit_table(rows, headers, width, drop=("first (UTC)", "last (UTC)", "node from")))
    used = [f for f in report.files if f.skipped is None]
    total = sum(f.lines for f in used)
    parsed = sum(f.parsed for f in used)
    skipped = len(report.files) - len(used) + len(report.skipped)
    out.append("")
    out.append(
        f"total: {len(used)} file(s) read, {skipped} skipped; "
        f"{total} lines = {parsed} parsed + {total - parsed} unparsed"
    )
    for f in report.files:
        for w in f.warnings:
            out.append(f"warning: {relative(f.path, base)}: {w}")
    for e in report.errors:
        out.append(f"error: {e}")
    return "\n".join(out) + "\n"


def render_json(report: Report) -> str:
    data = {
        "files": [
            {**f.to_dict(), "node_source": f.node_source, "duplicates": f.duplicates, "warnings": f.warnings,
             "skipped": f.skipped}
            for f in report.files
        ] + [{"path": d, "family": None, "node": None, "lines": 0, "parsed": 0, "unparsed": 0, "first": None,
              "last": None, "node_source": None, "duplicates": 0, "warnings": [], "skipped": r} for d, r in report.skipped],
        "errors": report.errors,
    }  # fmt: skip
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
