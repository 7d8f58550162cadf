"""The explicit parser registry: one module per log family, listed here and nowhere else.

A parser module provides NAME, DESCRIPTION, path_hint(path), sniff(head_lines) and
parse(lines, ctx) -> Iterator[Event]. tests/test_registry.py checks every module is listed.
"""

from __future__ import annotations

from ..parsing import Parser
from . import clientlog, coredump, heapdump, openfire, syslog, webservices

PARSERS: tuple[Parser, ...] = (openfire, webservices, clientlog, syslog, coredump, heapdump)
