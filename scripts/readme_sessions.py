#!/usr/bin/env python3
"""Keep the example sessions in README.md true: re-run every ```console block that starts
with `$ finesse-logscan ...` (optionally piped to `head -n N`) and write its real output.

    python scripts/readme_sessions.py          # rewrite README.md in place
    python scripts/readme_sessions.py --check  # exit 1 if README.md is out of date
tests/test_readme.py runs the --check logic, so the README cannot drift from the tool.
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"```console\n\$ (?P<cmd>finesse-logscan [^\n]*)\n(?P<out>.*?)```", re.S)


def run(cmd: str) -> str:
    from finesse_logscan.cli import cli

    head = None
    m = re.search(r"\s*\|\s*head -n (\d+)\s*$", cmd)
    if m:
        head = int(m.group(1))
        cmd = cmd[: m.start()]
    args = shlex.split(cmd)[1:]
    result = CliRunner().invoke(cli, args)
    out = result.output
    if head is not None:
        out = "".join(out.splitlines(keepends=True)[:head])
    if result.exit_code:
        out += f"$ echo $?\n{result.exit_code}\n"
    return out


def render(text: str) -> str:
    return BLOCK.sub(lambda m: f"```console\n$ {m['cmd']}\n{run(m['cmd'])}```", text)


def main() -> int:
    import os

    os.chdir(ROOT)
    readme = ROOT / "README.md"
    old = readme.read_text(encoding="utf-8")
    new = render(old)
    if "--check" in sys.argv:
        if new != old:
            print("README.md example sessions are out of date: run python scripts/readme_sessions.py")
            return 1
        return 0
    readme.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
