"""GitHub Actions workflow commands: one annotation per finding, pointing at its log line."""

from __future__ import annotations

from ..checks import LEVELS, Finding


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(found: list[Finding]) -> str:
    lines = []
    for f in found:
        props = [f"file={_prop(f.location.path)}"]
        if f.location.line:
            props.append(f"line={f.location.line}")
        props.append(f"title={_prop(f.title)}")
        message = f.message + (f" [{f.location.note}]" if f.location.note else "")
        level = LEVELS[f.level]["github"]
        lines.append(f"::{level} {','.join(props)}::{_data(message)}")
    return "\n".join(lines) + ("\n" if lines else "")
