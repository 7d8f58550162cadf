"""`finesse-logscan signatures`: the known-issue signatures, as a table or JSON."""

from __future__ import annotations

import json
import textwrap

from ..signatures import Signature
from .text import fit_table


def render(sigs: tuple[Signature, ...], width: int = 100) -> str:
    rows = [
        [s.id, s.severity, ", ".join(s.families), textwrap.shorten(s.title, 50), s.reference, s.source]
        for s in sigs
    ]
    out = fit_table(
        rows, ["id", "severity", "families", "title", "reference", "from"], width, drop=("reference",)
    )
    return (
        out
        + "\n\n"
        + "\n".join(
            textwrap.wrap(
                f"{len(sigs)} signature(s). Add your own in a TOML file of the same layout and give it with "
                "--signatures FILE (or the 'signatures' setting); no code needed.",
                width,
            )
        )
        + "\n"
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
            "source": s.source,
        }
        for s in sigs
    ]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
