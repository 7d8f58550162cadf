"""`finesse-logscan signatures`: the known-issue signatures, as a table or JSON."""

from __future__ import annotations

import json
import textwrap

from tabulate import tabulate

from ..signatures import Signature


def render(sigs: tuple[Signature, ...]) -> str:
    rows = [
        [s.id, s.severity, ", ".join(s.families), textwrap.shorten(s.title, 60), s.reference] for s in sigs
    ]
    out = tabulate(rows, headers=["id", "severity", "families", "title", "reference"], tablefmt="simple")
    return (
        out
        + f"\n\n{len(sigs)} signature(s); add one in finesse_logscan/data/signatures.toml (no code needed)\n"
    )


def render_json(sigs: tuple[Signature, ...]) -> str:
    data = [
        {
            "id": s.id,
            "title": s.title,
            "families": list(s.families),
            "literals": list(s.literals),
            "pattern": s.pattern.pattern,
            "severity": s.severity,
            "advice": s.advice,
            "reference": s.reference,
        }
        for s in sigs
    ]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
