"""SARIF 2.1.0: one result per finding, with a physical location and stable rule ids."""

from __future__ import annotations

import json
from typing import Any

from ..checks import RULES, Finding, Location

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _rule_base(rule_id: str) -> str:
    return rule_id.split("/", 1)[0]


def _physical(loc: Location) -> dict[str, Any]:
    phys: dict[str, Any] = {"artifactLocation": {"uri": loc.path}}
    if loc.line:
        phys["region"] = {"startLine": loc.line}
    return phys


def render(found: list[Finding], version: str, exit_code: int) -> str:
    rule_ids = sorted({f.rule_id for f in found})
    rules = []
    for rid in rule_ids:
        name, description = RULES[_rule_base(rid)]
        example = next(f for f in found if f.rule_id == rid)
        rules.append(
            {
                "id": rid,
                "name": name.replace(" ", ""),
                "shortDescription": {"text": example.title if rid.startswith("known-issue/") else name},
                "fullDescription": {"text": description},
                "defaultConfiguration": {"level": "warning"},
            }
        )
    results = []
    for f in found:
        message = f.message + (f" [{f.location.note}]" if f.location.note else "")
        result: dict[str, Any] = {
            "ruleId": f.rule_id,
            "ruleIndex": rule_ids.index(f.rule_id),
            "level": f.level,
            "message": {"text": message},
            "locations": [{"physicalLocation": _physical(f.location)}],
            "partialFingerprints": {"finesseLogscanFingerprint/v1": f.fingerprint},
        }
        if f.related:
            result["relatedLocations"] = [
                {
                    "id": i,
                    "physicalLocation": _physical(loc),
                    "message": {"text": text + (f" [{loc.note}]" if loc.note else "")},
                }
                for i, (loc, text) in enumerate(f.related[:50], 1)
            ]
        results.append(result)
    doc = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "finesse-logscan", "version": version, "rules": rules}},
                "results": results,
                "invocations": [{"executionSuccessful": True, "exitCode": exit_code}],
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
