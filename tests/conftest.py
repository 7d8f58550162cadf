from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from finesse_logscan.parsing import FileContext
from finesse_logscan.textlines import Line

os.environ["FINESSE_LOGSCAN_STRICT"] = "1"  # a bug in our code fails the test, never hides as a warning

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_logs"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite tests/golden/ from the current output"
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def in_root() -> Iterator[Path]:
    """Run from the repository root so report paths are the same on every checkout."""
    old = os.getcwd()
    os.chdir(ROOT)
    try:
        yield ROOT
    finally:
        os.chdir(old)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def lines_of(text: str) -> list[Line]:
    return [Line(i, t) for i, t in enumerate(text.splitlines(), 1)]


def run_parser(module, text: str, path: str = "desktop/logs/x/file.log", node: str | None = "fin1"):  # type: ignore[no-untyped-def]
    ctx = FileContext(display=path, path=path, family=module.NAME, node=node, head=text.splitlines()[:40])
    events = list(module.parse(lines_of(text), ctx))
    return events, ctx


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def ended_cleanly(result: Result) -> bool:
    """The command ended by itself (an exit status), not by an uncaught exception: CliRunner
    keeps that in `result.exception` and never prints its traceback into the output."""
    return result.exception is None or isinstance(result.exception, SystemExit)
