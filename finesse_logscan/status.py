"""Exit statuses (one enum) and the library's user-facing error."""

from __future__ import annotations

from enum import IntEnum, unique

import click


@unique
class ExitStatus(IntEnum):
    OK = 0
    """Analysis done; nothing met --fail-on."""
    FINDINGS = 1
    """Findings met --fail-on (check) ."""
    ERROR = 2
    """Usage error, or no usable input."""


FAIL_ON = ("server-wide", "client-side", "any", "never")
"""What `check --fail-on` accepts (checks.py gives each its meaning)."""


class LogscanError(click.ClickException):
    """A problem the user can fix (bad option value, unreadable input): one line, exit 2."""

    exit_code = ExitStatus.ERROR
