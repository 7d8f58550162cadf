"""`finesse-logscan files`: the inventory of what was read, skipped and why."""

from __future__ import annotations

import json

from tabulate import tabulate

from ..report import Report
from ..timestamps import iso_z


def render(report: Report) -> str:
    rows = []
    for f in report.files:
        rows.append([f.path, f.family, f.node or "-", f.lines, f.parsed, f.unparsed,
                     iso_z(f.first) or "-", iso_z(f.last) or "-",
                     f.skipped and f"skipped: {f.skipped}" or "; ".join(f.warnings)[:120] or "-"])  # fmt: skip
    for display, reason in report.skipped:
        rows.append([display, "-", "-", 0, 0, 0, "-", "-", f"skipped: {reason}"])
    out = [tabulate(rows, headers=["file", "family", "node", "lines", "parsed", "unparsed", "first", "last", "notes"],
                    tablefmt="simple")]  # fmt: skip
    used = [f for f in report.files if f.skipped is None]
    total = sum(f.lines for f in used)
    parsed = sum(f.parsed for f in used)
    out.append("")
    out.append(f"total: {len(used)} file(s) read, {len(report.files) - len(used) + len(report.skipped)} skipped; "
               f"{total} lines = {parsed} parsed + {total - parsed} unparsed")  # fmt: skip
    for e in report.errors:
        out.append(f"error: {e}")
    return "\n".join(out) + "\n"


def render_json(report: Report) -> str:
    data = {
        "files": [
            {**f.to_dict(), "duplicates": f.duplicates, "warnings": f.warnings, "skipped": f.skipped}
            for f in report.files
        ] + [{"path": d, "family": None, "node": None, "lines": 0, "parsed": 0, "unparsed": 0, "first": None,
              "last": None, "duplicates": 0, "warnings": [], "skipped": r} for d, r in report.skipped],
        "errors": report.errors,
    }  # fmt: skip
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
