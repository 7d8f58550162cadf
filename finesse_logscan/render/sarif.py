"""SARIF 2.1.0: one result per finding, with a physical location and stable rule ids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..checks import RULES, Finding, Location

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _rule_base(rule_id: str) -> str:
    return rule_id.split("/", 1)[0]


def _uri(path: str, cwd: Path) -> tuple[str, str | None]:
    """(uri, uriBaseId): relative to the working directory under %SRCROOT% when the file is
    inside it, else an absolute file:// URI."""
    p = Path(path)
    absolute = p if p.is_absolute() else (cwd / p)
    try:
        rel = absolute.resolve().relative_to(cwd.resolve())
    except ValueError:
        return absolute.resolve().as_uri(), None
    return quote(rel.as_posix()), "%SRCROOT%"


def _physical(loc: Location, cwd: Path) -> dict[str, Any]:
    uri, base = _uri(loc.path, cwd)
    artifact: dict[str, Any] = {"uri": uri}
    if base:
        artifact["uriBaseId"] = base
    phys: dict[str, Any] = {"artifactLocation": artifact}
    if loc.line:
        phys["region"] = {"startLine": loc.line}
    return phys


def _pascal(text: str) -> str:
    """'Known issue signature matched' -> 'KnownIssueSignatureMatched' (SARIF rule names)."""
    return "".join(w[:1].upper() + w[1:] for w in text.replace("-", " ").split())


_RANK = {"note": 0, "warning": 1, "error": 2}


def render(found: list[Finding], version: str, exit_code: int, cwd: Path | None = None) -> str:
    """One SARIF run: rules, results and the invocation (one function: it mirrors the SARIF
    document's nesting, which the 2.1.0 schema test checks)."""
    cwd = cwd or Path.cwd()
    rule_ids = sorted({f.rule_id for f in found})
    rules = []
    for rid in rule_ids:
        name, description = RULES[_rule_base(rid)]
        mine = [f for f in found if f.rule_id == rid]
        level = max((f.level for f in mine), key=_RANK.__getitem__)
        rules.append(
            {
                "id": rid,
                "name": _pascal(name),
                "shortDescription": {"text": mine[0].title if rid.startswith("known-issue/") else name},
                "fullDescription": {"text": description},
                "defaultConfiguration": {"level": level},
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
            "locations": [{"physicalLocation": _physical(f.location, cwd)}],
            "partialFingerprints": {"finesseLogscanFingerprint/v1": f.fingerprint},
        }
        if f.related:
            result["relatedLocations"] = [
                {
                    "id": i,
                    "physicalLocation": _physical(loc, cwd),
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
                "originalUriBaseIds": {"%SRCROOT%": {"uri": cwd.resolve().as_uri() + "/"}},
                "results": results,
                "invocations": [{"executionSuccessful": True, "exitCode": exit_code}],
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
