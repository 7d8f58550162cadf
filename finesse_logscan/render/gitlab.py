"""GitLab Code Quality report (artifacts:reports:codequality): a JSON list of issues whose
fingerprints stay the same when only line numbers move."""

from __future__ import annotations

import json

from ..checks import LEVELS, Finding


def render(found: list[Finding]) -> str:
    issues = []
    for f in found:
        severity = LEVELS[f.level]["gitlab"]
        issues.append(
            {
                "type": "issue",
                "check_name": f.rule_id,
                "description": f.message + (f" [{f.location.note}]" if f.location.note else ""),
                "categories": ["Bug Risk"],
                "fingerprint": f.fingerprint,
                "severity": severity,
                "location": {"path": f.location.path, "lines": {"begin": f.location.line or 1}},
            }
        )
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
