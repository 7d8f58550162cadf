"""The progress bar: fits the terminal, says how far and how fast, leaves nothing behind."""

from __future__ import annotations

import io

from finesse_logscan.render.progress import ProgressBar


def _bar(width: int, times: list[float]) -> tuple[ProgressBar, io.StringIO]:
    out = io.StringIO()
    clock = iter(times)
    return ProgressBar(out, width=lambda: width, clock=lambda: next(clock)), out


def test_line_fits_80_columns_and_says_progress_rate_and_eta() -> None:
    bar, _ = _bar(80, [0.0])
    name = "bundle.tgz!fin1a.example.com/20260304/activelog/desktop/logs/openfire/" + "x" * 80 + ".log"
    line = bar.line(150_000_000, 600_000_000, name, elapsed=2.0)
    assert len(line) <= 79
    assert "25%" in line and "150.0/600.0 MB" in line and "75.0 MB/s" in line and "ETA 0:06" in line
    assert line.startswith("[") and line.endswith("…")


def test_unknown_total_and_narrow_terminal() -> None:
    bar, _ = _bar(30, [0.0])
    line = bar.line(5_000_000, 0, "debug.log", elapsed=1.0)
    assert len(line) <= 29 and "5.0 MB" in line and "%" not in line


def test_redraws_in_place_at_most_ten_times_a_second_and_clears() -> None:
    bar, out = _bar(80, [0.0, 0.5, 0.55, 0.7])
    bar(1, 10, "a")  # drawn
    bar(2, 10, "a")  # 0.05 s later: skipped
    bar(3, 10, "a")  # drawn
    drawn = out.getvalue()
    assert drawn.count("\r\x1b[K") == 2 and "\n" not in drawn
    bar.clear()
    assert out.getvalue().endswith("\r\x1b[K")


def test_clear_without_drawing_writes_nothing() -> None:
    bar, out = _bar(80, [0.0])
    bar.clear()
    assert out.getvalue() == ""


def test_a_second_pass_starts_its_rate_anew() -> None:
    """Spooled files are parsed after every input was read (--jobs): the bar goes back to 0 %
    for that pass, with its own rate and ETA."""
    bar, out = _bar(100, [0.0, 10.0, 10.0, 12.0])
    bar(100_000_000, 100_000_000, "bundle.tgz")  # read at 10 MB/s
    bar(0, 80_000_000, "parsing debug.log")  # the second pass begins
    bar(40_000_000, 80_000_000, "parsing debug.log")  # 40 MB in 2 s
    last = out.getvalue().rsplit("\r\x1b[K", 1)[-1]
    assert " 50%" in last and "20.0 MB/s" in last and "ETA 0:02" in last and "parsing debug.log" in last
