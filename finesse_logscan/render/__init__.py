"""Renderers: pure functions from a Report to text. RENDERERS maps --format names to them."""

from __future__ import annotations

from collections.abc import Callable

from ..report import Report
from . import json_report, text

RENDERERS: dict[str, Callable[[Report], str]] = {"text": text.render, "json": json_report.render}
