"""The README's example sessions are real output, and its commands are what CI runs."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from .conftest import ROOT


def _sessions_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("readme_sessions", ROOT / "scripts" / "readme_sessions.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_example_sessions_are_current(in_root: Path) -> None:
    mod = _sessions_module()
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert mod.BLOCK.search(text), "README has no example session"
    assert mod.render(text) == text, "run: python scripts/readme_sessions.py"


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_cmd = next(
        line for line in readme.splitlines() if "pytest" in line and line.startswith("python3 -m venv")
    )
    assert test_cmd in ci
    assert "finesse-logscan analyze sample_logs/" in readme
