"""The progress bar on stderr while a bundle is read: one line, redrawn in place, cleared at
the end. Bytes are the inputs' on-disk bytes (compressed archives count as they lie)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from typing import TextIO

MIN_INTERVAL_S = 0.1


class ProgressBar:
    """`bar(done, total, name)` draws `[#####.....]  42%  120.0/285.7 MB  85.1 MB/s  ETA 0:02  file`
    cut to the terminal's width; `bar.clear()` removes it, leaving nothing behind."""

    def __init__(
        self,
        stream: TextIO,
        width: Callable[[], int] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._stream = stream
        self._width = width or (lambda: shutil.get_terminal_size((80, 24)).columns)
        self._clock = clock
        self._start = clock()
        self._last = float("-inf")
        self._drawn = False
        self._done = 0

    def __call__(self, done: int, total: int, name: str) -> None:
        now = self._clock()
        if done < self._done:  # a second pass (spooled files parsed after reading): rate anew
            self._start = now
        self._done = done
        if now - self._last < MIN_INTERVAL_S:
            return
        self._last = now
        self._stream.write("\r\x1b[K" + self.line(done, total, name, now - self._start))
        self._stream.flush()
        self._drawn = True

    def line(self, done: int, total: int, name: str, elapsed: float) -> str:
        width = max(20, self._width() - 1)  # never the last column: no wrap, no debris
        rate = done / elapsed if elapsed > 0 else 0.0
        parts = []
        if total > 0:
            frac = min(1.0, done / total)
            parts.append(f"{frac:4.0%}")
            parts.append(f"{done / 1e6:.1f}/{total / 1e6:.1f} MB")
        else:
            parts.append(f"{done / 1e6:.1f} MB")
        parts.append(f"{rate / 1e6:.1f} MB/s")
        if total > 0 and rate > 0 and done < total:
            left = int((total - done) / rate)
            parts.append(f"ETA {left // 60}:{left % 60:02d}")
        text = "  ".join(parts)
        bar_cells = min(30, width - len(text) - 4 - 18)  # leave room for the file name
        if total > 0 and bar_cells >= 5:
            filled = int(bar_cells * min(1.0, done / total))
            text = "[" + "#" * filled + "." * (bar_cells - filled) + "]  " + text
        tail = name.rsplit("/", 1)[-1].rsplit("!", 1)[-1]
        room = width - len(text) - 2
        if room >= 8:
            text += "  " + (tail if len(tail) <= room else tail[: room - 1] + "…")
        return text[:width]

    def clear(self) -> None:
        if self._drawn:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
            self._drawn = False
