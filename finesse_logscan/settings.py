"""Settings files: [tool.finesse-logscan] in pyproject.toml, or .finesse-logscan.toml.

Found from the working directory upward (the first folder holding either wins; in one folder
.finesse-logscan.toml wins); --config FILE names one. Command-line options override settings.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .status import FAIL_ON
from .timezones import ZoneError, parse_zone

OWN_FILE = ".finesse-logscan.toml"


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class _Spec:
    kind: type
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()


SPECS: dict[str, _Spec] = {
    "fail_on": _Spec(str, choices=FAIL_ON),
    "max_disconnects": _Spec(int, 0),
    "server_tz": _Spec(str),
    "storm_agents": _Spec(int, 1),
    "storm_fraction": _Spec(float, 0, 1),
    "storm_window": _Spec(int, 1),
    "drift_threshold": _Spec(int, 0),
    "latency_threshold": _Spec(int, 0),
    "max_uncompressed": _Spec(int, 1),
    "max_ratio": _Spec(int, 1),
    "jobs": _Spec(int, 1),
    "signatures": _Spec(str),
}
"""Setting name -> its type and range. Names are the command-line options with '_' for '-'."""


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
        spec = SPECS.get(key)
        if spec is None:
            raise SettingsError(f"{path}: unknown setting {raw_key!r} (known: {', '.join(sorted(SPECS))})")
        out[key] = _check(path, raw_key, value, spec)
    return out


def _check(path: Path, key: str, value: Any, spec: _Spec) -> Any:
    if spec.kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, spec.kind) or isinstance(value, bool):
        raise SettingsError(f"{path}: {key} must be a {spec.kind.__name__}, not {value!r}")
    if spec.choices and value not in spec.choices:
        raise SettingsError(f"{path}: {key} must be one of {', '.join(spec.choices)}, not {value!r}")
    if isinstance(value, int | float):
        _check_range(path, key, float(value), value, spec)
    if key.replace("-", "_") == "server_tz":
        try:
            parse_zone(str(value))
        except ZoneError as exc:
            raise SettingsError(f"{path}: server_tz: {exc}") from exc
    return value


def _check_range(path: Path, key: str, number: float, value: Any, spec: _Spec) -> None:
    if spec.minimum is not None and number < spec.minimum:
        raise SettingsError(f"{path}: {key} must be at least {spec.minimum}, not {value!r}")
    if spec.maximum is not None and number > spec.maximum:
        raise SettingsError(f"{path}: {key} must be at most {spec.maximum}, not {value!r}")
