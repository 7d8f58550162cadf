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


def test_the_rules_example_is_a_working_rules_file(tmp_path: Path) -> None:
    """The README's --rules example parses, and does what its comments say."""
    import re
    import textwrap
    import zipfile

    from finesse_logscan.redact import load_rules, redact

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"```toml\n(.*?)```", readme, re.S) if 'id = "badge"' in b]
    rules = tmp_path / "site.toml"
    rules.write_text(textwrap.dedent(block), encoding="utf-8")
    log = tmp_path / "in" / "fin1" / "desktop" / "logs" / "openfire" / "debug.log"
    log.parent.mkdir(parents=True)
    log.write_text("2026.03.04 14:00:00 badge=B0042X\n2026.03.04 14:00:01 B0042X in TICKET-B0042X\n")
    out = tmp_path / "r.zip"
    redact([str(tmp_path / "in")], str(out), bytes(32), load_rules(str(rules)))
    with zipfile.ZipFile(out) as zf:
        text = zf.read(next(n for n in zf.namelist() if n.endswith("debug.log"))).decode()
    assert text.count("B0042X") == 1 and "TICKET-B0042X" in text and "badge=name-" in text
