"""What `check` prints on stdout: the verdict, the counts, each finding with its one level
(the same level JUnit, SARIF, GitHub and GitLab give it), and pass or fail."""

from __future__ import annotations

import json
import textwrap

import click

from ..checks import LEVELS, Finding
from ..report import Report
from .text import cut

LEVEL_COLOURS = {"error": "red", "warning": "yellow", "note": "cyan"}


def _outcome(found: list[Finding], fail_on: str, max_disconnects: int | None) -> str:
    errors = [f for f in found if f.level == "error"]
    bound = f" / --max-disconnects {max_disconnects}" if max_disconnects is not None else ""
    if errors:
        return f"check failed: {len(errors)} finding(s) meet --fail-on {fail_on}{bound}"
    return f"check passed: nothing meets --fail-on {fail_on}{bound}"


def render(
    report: Report, found: list[Finding], fail_on: str, max_disconnects: int | None, width: int, color: bool
) -> str:
    lines = textwrap.wrap(
        f"verdict: {report.verdict}: {report.verdict_reason}", width, subsequent_indent="  "
    )
    counts = {level: sum(1 for f in found if f.level == level) for level in LEVELS}
    lines += textwrap.wrap(
        f"{len(report.disconnects)} disconnect(s), {len(report.incidents)} incident(s), "
        f"{len(report.server_events)} server event(s), {len(report.warnings)} warning(s); "
        f"{len(found)} finding(s): " + ", ".join(f"{n} {level}" for level, n in counts.items()),
        width,
        subsequent_indent="  ",
    )
    if report.filter:
        lines += textwrap.wrap(
            f"({report.filter.describe()} narrows the written reports only; this check covers the whole bundle)",
            width,
        )
    for f in found:
        mark = LEVELS[f.level]["console"]
        tag = (
            click.style(f"[{mark}]", fg=LEVEL_COLOURS[f.level], bold=f.level == "error")
            if color
            else f"[{mark}]"
        )
        text = f"{f.rule_id}: {f.title} ({f.location.short or f.location.where})"
        lines.append(f"  {tag} " + cut(text, width - len(mark) - 5))
    lines.append(_outcome(found, fail_on, max_disconnects))
    return "\n".join(lines) + "\n"


def render_json(
    report: Report, found: list[Finding], fail_on: str, max_disconnects: int | None, exit_code: int
) -> str:
    data = {
        "verdict": report.verdict,
        "verdict_reason": report.verdict_reason,
        "fail_on": fail_on,
        "max_disconnects": max_disconnects,
        "exit_status": exit_code,
        "passed": exit_code == 0,
        "counts": {
            "disconnects": len(report.disconnects),
            "incidents": len(report.incidents),
            "server_events": len(report.server_events),
            "warnings": len(report.warnings),
        },
        "findings": [
            {
                "rule_id": f.rule_id,
                "level": f.level,
                "severity": f.severity,
                "title": f.title,
                "message": f.message,
                "file": f.location.path,
                "line": f.location.line,
                "member": f.location.note or None,
                "evidence": f.location.short,
                "fingerprint": f.fingerprint,
            }
            for f in found
        ],
        "summary": _outcome(found, fail_on, max_disconnects),
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
