"""Open a bundle as it comes: folders, zip, tar, tar.gz, nested archives, per-file gz/bz2/xz.

Everything is streamed: archive members are decompressed on the fly and handed out one at a
time as `SourceFile`s whose `stream` is valid until the iterator moves on. Nothing is ever
extracted to disk. A nested zip (zip needs random access) is held in memory, capped by
`Limits.max_nested_zip_bytes`. Decompression is capped in total and by expansion ratio so a
zip or gzip bomb ends with a clear error.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import lzma
import os
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, cast

from .options import Limits
from .rotation import read_order


class BundleError(Exception):
    """An input (or part of it) could not be read; the message names the path and the problem."""


class DecompressionLimitError(BundleError):
    """Decompressing went past a cap: probably a zip/gzip bomb."""


_IsalError: type[Exception]
try:  # ISA-L's inflate error (python-isal), when the faster gzip reader is installed
    from isal.igzip_lib import IsalError as _IsalError  # type: ignore[assignment]
except ImportError:  # pragma: no cover
    _IsalError = zlib.error

CORRUPT_ERRORS: tuple[type[BaseException], ...] = (
    BundleError, OSError, EOFError, zlib.error, _IsalError, lzma.LZMAError, zipfile.BadZipFile,
    tarfile.TarError,
)  # fmt: skip
"""What reading a damaged file or archive raises (gzip's BadGzipFile and bz2's errors are
OSErrors); reported as one line, never a traceback. Deliberately not ValueError or
RuntimeError: those mean a bug in this program and must fail loudly, not pass as bad input.
zipfile's RuntimeError (encrypted member) and NotImplementedError (unsupported compression)
are caught where a member is opened."""


@dataclass
class Budget:
    limits: Limits
    used: int = 0


@dataclass
class SourceFile:
    """One file found in the inputs; `stream` is only valid until the iterator advances."""

    display: str  # what the user sees, e.g. "fin1.zip!desktop/logs/openfire/debug.log"
    path: str  # '/'-separated path inside the input, compression suffixes removed
    input_name: str  # base name of the command-line argument it came from
    stream: BinaryIO
    mtime: float | None = None  # epoch seconds, when the container records one (folder, tar)
    size: int | None = None
    mtime_local: datetime | None = None  # zip member time: wall time of the zipping machine
    within: str = ""
    """The archives it lies in, inside its input ('a.zip', 'fin1a/logs.zip/inner.tgz'; '' for a
    file of a folder or of the archive given itself): `path` is inside the last of them."""


@dataclass
class InputNotes:
    """What the reader could not use, collected rather than raised."""

    skipped: list[tuple[str, str]] = field(default_factory=list)  # (display, reason)
    errors: list[str] = field(default_factory=list)

    def skip(self, display: str, reason: str) -> None:
        self.skipped.append((display, reason))

    def error(self, message: str) -> None:
        self.errors.append(message)


MACOS_METADATA = "macOS metadata (__MACOSX/, ._ file): not a log"


def macos_metadata(path: str) -> bool:
    """Finder's AppleDouble companions: `__MACOSX/...` members of a zip made on a Mac, and `._`
    files (resource forks and extended attributes) beside each file, unpacked elsewhere."""
    parts = path.replace("\\", "/").split("/")
    return parts[-1].startswith("._") or "__MACOSX" in parts[:-1]


def input_name(path: Path) -> str:
    """What an input is called (its files' `input_name`): its base name, or for `.` and `..`
    the name of the folder they stand for."""
    if path.name not in ("", ".", ".."):
        return path.name
    try:
        return path.resolve().name or str(path)
    except OSError:
        return str(path)


def sanitize(name: str) -> str:
    """Member names as they may be shown: control characters replaced, no leading '/' or '..'."""
    clean = "".join("?" if (ord(c) < 32 or ord(c) == 127) else c for c in name)
    parts = [p for p in clean.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    return "/".join(parts)


class _CappedReader(io.RawIOBase):
    """Counts decompressed bytes against the shared budget and an expansion-ratio cap."""

    def __init__(
        self,
        inner: BinaryIO,
        budget: Budget,
        what: str,
        compressed: int | None,
        consumed: Callable[[], int] | None = None,
    ):
        self._inner = inner
        self._budget = budget
        self._what = what
        self._compressed = compressed
        self._consumed = consumed  # compressed bytes read so far, when the source can tell
        self._out = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(len(b))
        n = len(data)
        b[:n] = data
        self._out += n
        self._budget.used += n
        lim = self._budget.limits
        if self._budget.used > lim.max_uncompressed_bytes:
            raise DecompressionLimitError(
                f"{self._what}: decompressed data passed {lim.max_uncompressed_bytes} bytes in "
                "total; stopping (raise the cap with --max-uncompressed)"
            )
        if self._out > lim.ratio_grace_bytes and self._out > lim.max_ratio * self._input_so_far():
            raise DecompressionLimitError(
                f"{self._what}: expands more than {lim.max_ratio}:1 (possible decompression "
                "bomb); stopping (raise the cap with --max-ratio)"
            )
        return n

    def _input_so_far(self) -> float:
        """The compressed bytes behind the output so far: read as it goes when the source can
        tell (so a bomb is caught after the grace bytes, not at its end), else the whole size."""
        if self._consumed is not None:
            try:
                return max(1, self._consumed())
            except (OSError, ValueError):
                pass
        return self._compressed or float("inf")


def _capped(
    inner: BinaryIO,
    budget: Budget,
    what: str,
    compressed: int | None,
    consumed: Callable[[], int] | None = None,
) -> BinaryIO:
    return io.BufferedReader(_CappedReader(inner, budget, what, compressed, consumed), 1 << 16)


_COMPRESSED_SUFFIXES = (".gz", ".gzip", ".bz2", ".xz")


ARCHIVE_SUFFIXES = (".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".zip", ".tar", ".gz")


def strip_suffix(name: str, suffixes: tuple[str, ...]) -> str:
    low = name.lower()
    for suf in sorted(suffixes, key=len, reverse=True):
        if low.endswith(suf) and len(name) > len(suf):
            return name[: -len(suf)]
    return name


def _magic(stream: BinaryIO) -> str:
    peek: Callable[[int], bytes] | None = getattr(stream, "peek", None)
    head = peek(512) if peek else b""
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh"):
        return "bz2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    return "plain"


class BundleReader:
    """Iterates every file of every input; problems go to `notes`, never raise."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self.budget = Budget(self.limits)
        self.notes = InputNotes()
        self._done = 0  # bytes of the on-disk files already read through
        self._open: BinaryIO | None = None  # the on-disk file being read

    def position(self) -> int:
        """Bytes of the inputs read so far, as they lie on disk (compressed or not): the
        progress against `total_bytes`."""
        fh = self._open
        if fh is None or fh.closed:
            return self._done
        try:
            return self._done + fh.tell()
        except (OSError, ValueError):
            return self._done

    @staticmethod
    def total_bytes(paths: list[str]) -> int:
        """What `position` counts up to: the on-disk size of every regular file in the inputs."""
        total = 0
        for raw in paths:
            path = Path(raw)
            try:
                if path.is_file():
                    total += path.stat().st_size
                elif path.is_dir():
                    for dirpath, _, filenames in os.walk(path, followlinks=False):
                        for fn in filenames:
                            st = (Path(dirpath) / fn).lstat()
                            if stat.S_ISREG(st.st_mode):
                                total += st.st_size
            except OSError:
                continue
        return total

    def iter_sources(self, paths: list[str]) -> Iterator[SourceFile]:
        for raw_path in paths:
            path = Path(raw_path)
            name = input_name(path)
            try:
                if not path.exists() and not path.is_symlink():
                    self.notes.error(f"{raw_path}: no such file or directory")
                    continue
                if path.is_dir():
                    yield from self._walk_dir(path, name)
                elif not path.is_file():
                    self.notes.error(f"{raw_path}: not a regular file (device, socket or pipe)")
                else:
                    yield from self._from_disk(path, str(path), path.name, name, is_input=True)
            except DecompressionLimitError as exc:
                self.notes.error(str(exc))
            except CORRUPT_ERRORS as exc:
                self.notes.error(f"{raw_path}: {_describe(exc)}")

    def _walk_dir(self, root: Path, input_name: str) -> Iterator[SourceFile]:
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames.sort()
            for fn in sorted(filenames, key=read_order):
                full = Path(dirpath) / fn
                rel = full.relative_to(root).as_posix()
                display = f"{root.as_posix().rstrip('/')}/{sanitize(rel)}"
                if macos_metadata(rel):
                    self.notes.skip(display, MACOS_METADATA)
                    continue
                try:
                    st = full.lstat()
                except OSError as exc:
                    self.notes.skip(display, f"cannot stat: {exc.strerror or exc}")
                    continue
                if stat.S_ISLNK(st.st_mode):
                    self.notes.skip(display, "symbolic link (not followed)")
                    continue
                if not stat.S_ISREG(st.st_mode):
                    self.notes.skip(display, "not a regular file (device, socket or pipe)")
                    continue
                try:
                    yield from self._from_disk(full, display, rel, input_name)
                except DecompressionLimitError as exc:
                    self.notes.error(str(exc))
                except CORRUPT_ERRORS as exc:
                    self.notes.error(f"{display}: {_describe(exc)}")

    def _from_disk(
        self, path: Path, display: str, rel: str, input_name: str, is_input: bool = False
    ) -> Iterator[SourceFile]:
        st = path.stat()
        with open(path, "rb") as fh:
            self._open = fh
            try:
                kind = _magic(fh)
                if kind == "zip":
                    within = _members_within("", rel, is_input)
                    yield from self._zip(zipfile.ZipFile(fh), display, rel, input_name, 0, within)
                else:
                    yield from self._expand(
                        fh, display, rel, input_name, st.st_mtime, st.st_size, 0, "", is_input
                    )
            finally:
                self._open = None
                self._done += st.st_size

    def _expand(
        self,
        stream: BinaryIO,
        display: str,
        rel: str,
        input_name: str,
        mtime: float | None,
        size: int | None,
        depth: int,
        within: str = "",
        is_input: bool = False,
    ) -> Iterator[SourceFile]:
        """Look at the bytes of one file and recurse into it if it is an archive (`within`: the
        archives it lies in; `is_input`: it is an input itself)."""
        if depth > self.limits.max_depth:
            self.notes.skip(display, f"archives nested deeper than {self.limits.max_depth}")
            return
        kind = _magic(stream)
        if kind == "plain":
            yield SourceFile(display, sanitize(rel), input_name, stream, mtime, size, within=within)
            return
        if kind == "zip":
            data = stream.read(self.limits.max_nested_zip_bytes + 1)
            if len(data) > self.limits.max_nested_zip_bytes:
                self.notes.skip(display, "nested zip larger than the in-memory cap")
                return
            try:
                zf = zipfile.ZipFile(io.BytesIO(data))
            except zipfile.BadZipFile as exc:
                raise BundleError(f"corrupt zip archive ({exc})") from exc
            yield from self._zip(zf, display, rel, input_name, depth, _members_within(within, rel, is_input))
            return
        opener: Callable[[BinaryIO], BinaryIO] = {
            "gzip": _gunzip,
            "bz2": lambda s: bz2.BZ2File(s),
            "xz": lambda s: lzma.LZMAFile(s),  # noqa: SIM115 - closed with the outer stream
            "tar": lambda s: s,
        }[kind]
        inner = opener(stream)
        if kind != "tar":
            inner = _capped(inner, self.budget, display, size, _teller(stream))
        if _magic(inner) == "tar":
            yield from self._tar(
                inner, display, rel, input_name, depth, _members_within(within, rel, is_input)
            )
            return
        inner_rel = strip_suffix(rel, (*_COMPRESSED_SUFFIXES, ".tgz"))
        yield from self._expand(
            inner, display, inner_rel, input_name, mtime, None, depth + 1, within, is_input
        )

    def _tar(
        self, stream: BinaryIO, display: str, rel: str, input_name: str, depth: int, within: str
    ) -> Iterator[SourceFile]:
        count = 0
        try:
            with tarfile.open(fileobj=stream, mode="r|") as tf:
                for member in tf:
                    count += 1
                    mdisplay = f"{display}!{sanitize(member.name)}"
                    if member.isdir():
                        continue
                    if macos_metadata(member.name):
                        self.notes.skip(mdisplay, MACOS_METADATA)
                        continue
                    if member.issym() or member.islnk():
                        self.notes.skip(mdisplay, "link member in archive (not followed)")
                        continue
                    if not member.isfile():
                        self.notes.skip(mdisplay, "device, fifo or special member in archive")
                        continue
                    fh = cast(BinaryIO | None, tf.extractfile(member))
                    if fh is None:
                        continue
                    fh = cast(BinaryIO, io.BufferedReader(_SmallReads(fh, 1 << 18), 1 << 16))
                    try:
                        yield from self._expand(
                            fh,
                            mdisplay,
                            member.name,
                            input_name,
                            float(member.mtime),
                            member.size,
                            depth + 1,
                            within,
                        )
                    except DecompressionLimitError:
                        raise
                    except CORRUPT_ERRORS as exc:  # a damaged member (a cut .gz): the next ones are read
                        self.notes.error(f"{mdisplay}: {_describe(exc)}")
        except DecompressionLimitError:
            raise
        except CORRUPT_ERRORS as exc:
            if isinstance(exc, BundleError):
                raise
            raise BundleError(
                f"corrupt or truncated archive after {count} member(s) ({_describe(exc)})"
            ) from exc

    def _zip(
        self, zf: zipfile.ZipFile, display: str, rel: str, input_name: str, depth: int, within: str
    ) -> Iterator[SourceFile]:
        with contextlib.closing(zf):
            try:
                infos = zf.infolist()
            except (zipfile.BadZipFile, OSError) as exc:
                raise BundleError(f"corrupt zip archive ({exc})") from exc
            for info in sorted(infos, key=lambda i: read_order(i.filename)):
                mdisplay = f"{display}!{sanitize(info.filename)}"
                if info.is_dir():
                    continue
                if macos_metadata(info.filename):
                    self.notes.skip(mdisplay, MACOS_METADATA)
                    continue
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    self.notes.skip(mdisplay, "link member in archive (not followed)")
                    continue
                if stat.S_IFMT(mode) not in (0, stat.S_IFREG):
                    self.notes.skip(mdisplay, "device, fifo or special member in archive")
                    continue
                try:
                    raw = zf.open(info)
                except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as exc:
                    self.notes.error(f"{mdisplay}: cannot open member ({exc})")
                    continue
                with raw:
                    capped = _capped(raw, self.budget, mdisplay, info.compress_size or None)  # type: ignore[arg-type]
                    try:
                        for src in self._expand(
                            capped,
                            mdisplay,
                            info.filename,
                            input_name,
                            None,
                            info.file_size,
                            depth + 1,
                            within,
                        ):
                            if src.mtime is None and src.mtime_local is None:
                                src.mtime_local = _zip_time(info)
                            yield src
                    except DecompressionLimitError:
                        raise
                    except CORRUPT_ERRORS as exc:
                        self.notes.error(f"{mdisplay}: {_describe(exc)}")


def _members_within(within: str, rel: str, is_input: bool) -> str:
    """Where the members of the archive at `rel` (itself within `within`) lie: in it, unless it
    is an input (its members are the input's own files)."""
    return within if is_input else "/".join(p for p in (within, sanitize(rel)) if p)


def _teller(stream: BinaryIO) -> Callable[[], int] | None:
    """How far into `stream` its reader has got, when the stream can say."""
    try:
        stream.tell()
    except (OSError, ValueError, AttributeError):
        return None
    return stream.tell


class _SmallReads(io.RawIOBase):
    """Reads `inner` at most `size` bytes at a time, however much is asked, and tells where it
    is. Two uses: a decompressor handed its input 64 KiB at a time, so the bytes consumed (what
    the ratio cap divides by) follow the output closely (a bomb is stopped soon after the grace
    bytes); a tar member read 256 KiB at a time, as tarfile's stream reader copies a large
    read several times over (625 MB of members read 4 MiB at a time: 2.1 s; in 256 KiB pieces:
    0.7 s)."""

    def __init__(self, inner: BinaryIO, size: int = 64 * 1024) -> None:
        self._inner = inner
        self._size = size

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(min(len(b), self._size))
        b[: len(data)] = data
        return len(data)

    def tell(self) -> int:  # (for a tar member: what the ratio cap reads for a nested .gz)
        return self._inner.tell()


def _gunzip(stream: BinaryIO) -> BinaryIO:
    """ISA-L's gzip reader (python-isal: about 3x zlib's speed, same results) when installed."""
    source = cast(BinaryIO, _SmallReads(stream))
    try:
        from isal import igzip
    except ImportError:  # pragma: no cover - isal ships wheels for the usual platforms
        return cast(BinaryIO, gzip.GzipFile(fileobj=source, mode="rb"))
    return cast(BinaryIO, igzip.IGzipFile(fileobj=source, mode="rb"))  # type: ignore[no-untyped-call]


def _zip_time(info: zipfile.ZipInfo) -> datetime | None:
    try:
        return datetime(*info.date_time)
    except (ValueError, TypeError):
        return None


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    name = {"BadZipFile": "corrupt zip archive", "EOFError": "truncated compressed data"}.get(
        type(exc).__name__
    )
    if isinstance(exc, BundleError):
        return text
    if name:
        return f"{name} ({text})" if text else name
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def read_lines(
    paths: list[str], wanted: dict[str, set[int]], limits: Limits | None = None
) -> dict[tuple[str, int], str]:
    """The text of the given lines ({file display: line numbers}), read again from the inputs:
    the original log lines an HTML report shows beside its evidence. Stops reading a file after
    its last wanted line; damaged input gives fewer lines, never an error."""
    from .textlines import Damage, as_utf8_stream, iter_lines

    out: dict[tuple[str, int], str] = {}
    reader = BundleReader(limits)
    for src in reader.iter_sources(paths):
        lines = wanted.get(src.display)
        if not lines:
            continue
        last = max(lines)
        try:
            stream, _ = as_utf8_stream(src.stream)
            for line in iter_lines(stream, Damage()):
                if line.no in lines:
                    out[(src.display, line.no)] = line.text
                if line.no >= last:
                    break
        except CORRUPT_ERRORS:
            continue
    return out
