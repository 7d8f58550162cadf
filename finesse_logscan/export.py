"""`analyze --events FILE`: the timeline's events in a stable, documented table for the tools
a centre already runs (DuckDB, Spark, Splunk, Elastic). The format follows the file's suffix:
.csv, .ndjson (one JSON object a line) or .parquet (needs the optional `pyarrow`)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

COLUMNS: tuple[tuple[str, str], ...] = (
    ("time_utc", "ISO 8601 UTC with milliseconds, e.g. 2026-03-04T20:06:26.630Z"),
    ("time_server_local", "the same instant on the node's wall clock, with its offset ('' when unknown)"),
    ("time_as_logged", "the timestamp text exactly as the log line has it"),
    ("node", "the Finesse node (host) the line came from"),
    ("agent", "the agent's login ID, or empty"),
    ("session", "the BOSH session id (openfire), or empty"),
    ("kind", "what the line means: idle-close, presence-unavailable, presence-driven-logout, ..."),
    ("family", "log family: openfire, webservices, clientlog, syslog, coredump, heapdump"),
    ("attributes", "the event's other attributes as a JSON object (reason_code, state, ms_ago, ...)"),
    ("file", "the file it came from (archive!member for archive members)"),
    ("line", "its line number in that file"),
)
"""The export schema (version 1): column name and meaning, in this order."""

FORMATS = (".csv", ".ndjson", ".parquet")


class ExportError(ValueError):
    pass


def write(path: str, rows: list[dict[str, Any]]) -> None:
    suffix = Path(path).suffix.lower()
    names = [c for c, _ in COLUMNS]
    if suffix not in FORMATS:
        raise ExportError(f"{path}: the suffix says the format: one of {', '.join(FORMATS)}")
    try:
        if suffix == ".csv":
            with open(path, "w", encoding="utf-8", newline="") as fh:
                w = csv.DictWriter(fh, fieldnames=names)
                w.writeheader()
                w.writerows(rows)
        elif suffix == ".ndjson":
            with open(path, "w", encoding="utf-8") as fh:
                for row in rows:
                    fh.write(json.dumps({c: row.get(c) for c in names}, ensure_ascii=False) + "\n")
        else:
            _parquet(path, rows, names)
    except OSError as exc:
        raise ExportError(f"{path}: cannot write ({exc.strerror or exc})") from exc


def _parquet(path: str, rows: list[dict[str, Any]], names: list[str]) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ExportError(
            "Parquet needs pyarrow: pip install 'finesse-logscan[parquet]' (or write .csv / .ndjson)"
        ) from exc
    types = {"line": pa.int64()}
    schema = pa.schema([(c, types.get(c, pa.string())) for c in names])
    table = pa.Table.from_pylist([{c: row.get(c) for c in names} for row in rows], schema=schema)
    pq.write_table(table, path)
