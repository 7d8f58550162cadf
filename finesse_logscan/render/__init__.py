"""Renderers: pure functions from a Report to text, found by --format name.

Each is imported on first use, so the command line starts without tabulate and friends."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..report import Report

FORMATS = {"json": "json_report", "text": "text"}
"""--format name -> module in this package with a render(report) function."""


def renderer(name: str) -> Callable[[Report], str]:
    render: Callable[[Report], str] = import_module(f".{FORMATS[name]}", __name__).render
    return render
