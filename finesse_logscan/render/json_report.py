"""The JSON report (schema_version 1; schema in finesse_logscan/data/report.schema.json): keys
sorted, so two reports compare line by line."""

from __future__ import annotations

import json

from ..report import Report


def render(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
