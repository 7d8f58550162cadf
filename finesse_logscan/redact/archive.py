"""The redacted copy's zip, written and deflated (ISA-L) by a thread of its own."""

from __future__ import annotations

import contextlib
import zipfile
from typing import Any


def _faster_deflate(member: Any) -> Any:
    """A zip member being written, deflated by ISA-L (python-isal, a dependency already, for
    reading gzip) instead of zlib: about 20x faster at about zlib's size (a 625 MB bundle:
    ~5 s of CPU less beside the redaction). zipfile has no public way to choose its deflate:
    its writer's compressor (`_compressor`, a zlib compress object) is replaced, before
    anything is written, only where it is that; elsewhere zlib's stays. Any inflate reads it."""
    import zlib

    try:
        from isal import isal_zlib
    except ImportError:  # pragma: no cover - isal ships wheels for the usual platforms
        return member
    if isinstance(getattr(member, "_compressor", None), type(zlib.compressobj())):
        member._compressor = isal_zlib.compressobj(isal_zlib.ISAL_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    return member


class _ZipWriter:
    """The output zip, written by a thread of its own: deflating (zlib lets other threads run
    meanwhile) goes on beside the redaction. Members are written in the order given; at most
    a few blocks wait (memory stays flat); an error in the thread is raised here."""

    def __init__(self, path: str) -> None:
        import queue
        import threading

        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
        self._queue: queue.Queue[tuple[str, Any] | None] = queue.Queue(maxsize=8)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="redact-zip", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        fh: Any = None
        try:
            while (item := self._queue.get()) is not None:
                what, value = item
                if what == "open":
                    if fh is not None:
                        fh.close()
                    fh = _faster_deflate(self._zip.open(value, "w"))
                elif what == "data":
                    fh.write(value)
                else:  # "empty": a member with no bytes
                    if fh is not None:
                        fh.close()
                        fh = None
                    self._zip.writestr(value, b"")
            if fh is not None:
                fh.close()
        except BaseException as exc:  # handed to the main thread, which stops putting
            self._error = exc
            if fh is not None:
                with contextlib.suppress(Exception):
                    fh.close()
            while self._queue.get() is not None:  # until the main thread's last put
                pass

    def _put(self, item: tuple[str, Any] | None) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(item)

    def open(self, member: str) -> None:
        self._put(("open", member))

    def write(self, data: bytes) -> None:
        self._put(("data", data))

    def empty(self, info: zipfile.ZipInfo) -> None:
        self._put(("empty", info))

    def __enter__(self) -> _ZipWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self._queue.put(None)  # the end, or the end of the thread's draining after an error
        self._thread.join()
        self._zip.close()
        if self._error is not None and exc[0] is None:
            raise self._error
