"""Settings files: [tool.finesse-logscan] in pyproject.toml, or .finesse-logscan.toml.

Found from the working directory upward (the first folder holding either wins; in one folder
.finesse-logscan.toml wins); --config FILE names one. Command-line options override settings.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from .timezones import ZoneError, parse_zone

OWN_FILE = ".finesse-logscan.toml"


class SettingsError(ValueError):
    pass


SPECS: dict[str, type] = {
    "fail_on": str,
    "max_disconnects": int,
    "server_tz": str,
    "storm_agents": int,
    "storm_fraction": float,
    "storm_window": int,
    "drift_threshold": int,
    "latency_threshold": int,
    "max_uncompressed": int,
    "max_ratio": int,
    "jobs": int,
    "signatures": str,
}
"""Setting name -> its TOML type. Names are the command-line options with '_' for '-'; their
ranges and choices are the options' own (the CLI checks each setting with its option's type)."""


def find(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        own = folder / OWN_FILE
        if own.is_file():
            return own
        py = folder / "pyproject.toml"
        if py.is_file() and _has_section(py):
            return py
    return None


def _has_section(path: Path) -> bool:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return isinstance(data.get("tool", {}).get("finesse-logscan"), dict)


def load(path: Path) -> dict[str, Any]:
    """The validated settings of one file; SettingsError names the file and the bad key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read settings ({exc.strerror or exc})") from exc
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"{path}: not valid TOML ({exc})") from exc
    if path.name == "pyproject.toml" or "tool" in data:
        section = data.get("tool", {}).get("finesse-logscan", {})
    else:
        section = data
    if not isinstance(section, dict):
        raise SettingsError(f"{path}: [tool.finesse-logscan] must be a table")
    out: dict[str, Any] = {}
    for raw_key, value in section.items():
        key = raw_key.replace("-", "_")
        kind = SPECS.get(key)
        if kind is None:
            raise SettingsError(f"{path}: unknown setting {raw_key!r} (known: {', '.join(sorted(SPECS))})")
        out[key] = _check(path, raw_key, value, kind)
    return out


def _check(path: Path, key: str, value: Any, kind: type) -> Any:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise SettingsError(f"{path}: {key} must be a {kind.__name__}, not {value!r}")
    if key.replace("-", "_") == "server_tz":
        try:
            parse_zone(str(value))
        except ZoneError as exc:
            raise SettingsError(f"{path}: server_tz: {exc}") from exc
    return value
