"""Timestamp layouts of every log family, parsed into naive-local or aware-UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


def parse_offset(text: str) -> int | None:
    """'+0530', '-06:00', 'Z' -> minutes east of UTC."""
    known = _OFFSETS.get(text)
    if known is None and len(_OFFSETS) < 512:  # every web services line carries one
        known = _OFFSETS[text] = (_parse_offset(text),)
    return known[0] if known is not None else _parse_offset(text)


_OFFSETS: dict[str, tuple[int | None]] = {}


def _parse_offset(text: str) -> int | None:
    t = text.strip()
    if t in ("Z", "z", "UTC", "GMT"):
        return 0
    if len(t) < 5 or t[0] not in "+-":
        return None
    digits = t[1:].replace(":", "")
    if len(digits) != 4 or not digits.isdigit():
        return None
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 14 or minutes > 59:
        return None
    total = hours * 60 + minutes
    return -total if t[0] == "-" else total


def format_offset(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    m = abs(minutes)
    return f"{sign}{m // 60:02d}:{m % 60:02d}"


def tz_from_minutes(minutes: int) -> timezone:
    return timezone(timedelta(minutes=minutes))


def _frac_to_us(frac: str | None) -> int:
    if not frac:
        return 0
    return int((frac + "000000")[:6])


def looks_like_openfire_stamp(text: str) -> bool:
    """Cheap shape check of a leading 'YYYY.MM.DD HH:MM:SS' (or with 'T') before any regex."""
    return (
        len(text) >= 20
        and text[4] == "."
        and text[7] == "."
        and text[13] == ":"
        and text[16] == ":"
        and text[10] in " T"
        and text[:4].isdigit()
    )


def openfire_local(date: str, time: str, frac: str | None) -> datetime | None:
    """'2017.06.17', '00:16:04', '345' -> naive local datetime."""
    try:
        return datetime(
            int(date[0:4]), int(date[5:7]), int(date[8:10]),
            int(time[0:2]), int(time[3:5]), int(time[6:8]), _frac_to_us(frac),
        )  # fmt: skip
    except ValueError:
        return None


def ciscolog_local(mon: str, day: str, year: str, hms: str, frac: str | None) -> datetime | None:
    """'Jun', '17', '2017', '00:16:04', '630' -> naive local datetime."""
    month = MONTHS.get(mon.capitalize())
    if month is None:
        return None
    try:
        return datetime(
            int(year), month, int(day), int(hms[0:2]), int(hms[3:5]), int(hms[6:8]), _frac_to_us(frac)
        )
    except ValueError:
        return None


def to_utc(local: datetime, offset_minutes: int) -> datetime:
    return (local - _minutes(offset_minutes)).replace(tzinfo=UTC)


@lru_cache(maxsize=256)
def _minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


def parse_iso(text: str) -> datetime | None:
    """ISO 8601 with an offset or Z -> aware UTC; naive or invalid -> None."""
    t = text.strip().replace(" ", "")
    if t.endswith(("Z", "z")):
        t = t[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(t)
    except ValueError:
        return None
    if dt.tzinfo is None:
        return None
    return dt.astimezone(UTC)


def iso_z(dt: datetime | None) -> str | None:
    """Aware datetime -> '2017-06-17T00:16:04.000Z' (the report's time format)."""
    if dt is None:
        return None
    u = dt.astimezone(UTC)
    return u.strftime("%Y-%m-%dT%H:%M:%S.") + f"{u.microsecond // 1000:03d}Z"
