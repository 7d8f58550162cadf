"""JUnit XML: one test case per check and per incident; failures carry the evidence.

Loads in GitLab (artifacts:reports:junit) and Jenkins (junit step)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..checks import Finding
from ..report import Report


def render(report: Report, found: list[Finding], fail_on: str) -> str:
    cases: list[ET.Element] = []

    def case(name: str, classname: str, failure: str | None = None, body: str = "", out: str = "") -> None:
        tc = ET.Element("testcase", {"name": name, "classname": classname, "time": "0"})
        if failure is not None:
            fe = ET.SubElement(tc, "failure", {"message": failure, "type": classname})
            fe.text = body
        if out:
            so = ET.SubElement(tc, "system-out")
            so.text = out
        cases.append(tc)

    case(  # the verdict is context, not a finding: it never fails on its own
        f"verdict ({report.verdict}) with --fail-on {fail_on}",
        "finesse-logscan.verdict",
        out=f"{report.verdict}: {report.verdict_reason}",
    )
    for f in found:
        evidence = "\n".join(
            [f"{f.location.where}  (primary)"] + [f"{loc.where}  {text}" for loc, text in f.related]
        )
        text = f"{f.message}\n\nevidence:\n{evidence}"
        case(
            f"[{f.level}] {f.title}",
            f"finesse-logscan.{f.rule_id.split('/', 1)[0]}",
            failure=f.message if f.level == "error" else None,
            body=text,
            out="" if f.level == "error" else text,
        )
    failures = sum(1 for c in cases if c.find("failure") is not None)
    suite = ET.Element(
        "testsuite",
        {
            "name": "finesse-logscan",
            "tests": str(len(cases)),
            "failures": str(failures),
            "errors": "0",
            "skipped": "0",
            "time": "0",
        },
    )
    suite.extend(cases)
    root = ET.Element(
        "testsuites", {"name": "finesse-logscan", "tests": str(len(cases)), "failures": str(failures)}
    )
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
