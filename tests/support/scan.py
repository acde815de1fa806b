"""Search files for a plaintext marker, byte for byte and after inflating
whatever compressed streams they hold (ZIP members, zlib/deflate streams such
as PDF FlateDecode, gzip). Used by the "no plaintext anywhere" tests.

A hit means a plaintext byte of a submission reached storage: the most
serious failure this project can have.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

# Inflating untrusted leftovers must not exhaust the test process either.
_MAX_INFLATE = 256 * 1024 * 1024
_ZLIB_HEADER = re.compile(rb"\x78[\x01\x5e\x9c\xda]")


@dataclass(frozen=True)
class Hit:
    path: Path
    where: str  # "raw", "zip:<member>", "zlib@<offset>", "gzip"


def _variants(marker: bytes) -> list[bytes]:
    # The marker as stored by common encodings: raw, UTF-16 (Office/Windows
    # metadata, EXIF UNICODE fields), and case-folded.
    out = [marker, marker.lower(), marker.upper()]
    try:
        text = marker.decode("ascii")
        out += [text.encode("utf-16-le"), text.encode("utf-16-be")]
    except UnicodeDecodeError:
        pass
    return out


def _contains(data: bytes, needles: list[bytes]) -> bool:
    return any(n in data for n in needles)


# Most candidate headers in binary data fail within a few bytes; zlib is
# handed a small window first (handing it the whole rest of a large file at
# every candidate cost ~0.3 ms each: minutes for a shared /tmp), and the rest
# only while the stream is still valid. Same output as one call.
_FIRST_WINDOW = 64 * 1024


def _inflate(view: memoryview, start: int, wbits: int) -> bytes:
    d = zlib.decompressobj(wbits)
    out = d.decompress(view[start : start + _FIRST_WINDOW], _MAX_INFLATE)
    rest = start + _FIRST_WINDOW
    if not d.eof and not d.unconsumed_tail and rest < len(view) and len(out) < _MAX_INFLATE:
        out += d.decompress(view[rest:], _MAX_INFLATE - len(out))
    return out


def _inflated(data: bytes) -> Iterator[tuple[str, bytes]]:
    if data[:2] == b"PK" or b"PK\x03\x04" in data[:1024]:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                for info in zf.infolist():
                    if info.file_size <= _MAX_INFLATE:
                        yield f"zip:{info.filename}", zf.read(info)
        # zlib.error: a damaged member; RuntimeError: an encrypted one.
        except (
            zipfile.BadZipFile,
            OSError,
            ValueError,
            NotImplementedError,
            EOFError,
            zlib.error,
            RuntimeError,
        ):
            pass
    if data[:2] == b"\x1f\x8b":
        try:
            unzipped = gzip.decompress(data)[:_MAX_INFLATE]
        except (OSError, EOFError, zlib.error):
            unzipped = b""
        if unzipped:
            yield "gzip", unzipped
    # A memoryview slice is not a copy: slicing bytes at every candidate
    # header made a scan of a 24 MiB ciphertext quadratic (minutes).
    view = memoryview(data)
    for match in _ZLIB_HEADER.finditer(data):
        start = match.start()
        try:
            inflated = _inflate(view, start, zlib.MAX_WBITS)
        except zlib.error:
            continue
        if inflated:
            yield f"zlib@{start}", inflated
    # Raw deflate (ZIP local entries whose directory is gone).
    for match in re.finditer(rb"PK\x03\x04", data):
        start = match.start() + 30
        try:
            inflated = _inflate(view, start, -zlib.MAX_WBITS)
        except zlib.error:
            continue
        if inflated:
            yield f"deflate@{start}", inflated


def scan_bytes(data: bytes, marker: bytes, *, depth: int = 2) -> list[str]:
    needles = _variants(marker)
    where: list[str] = []
    if _contains(data, needles):
        where.append("raw")
    if depth > 0:
        for name, inner in _inflated(data):
            where += [f"{name}/{w}" for w in scan_bytes(inner, marker, depth=depth - 1)]
    return where


def iter_files(roots: Iterable[Path]) -> Iterator[Path]:
    for root in roots:
        if root.is_file():
            yield root
            continue
        if not root.is_dir():
            continue
        for dirpath, _dirs, files in os.walk(root, onerror=lambda _e: None):
            for name in files:
                p = Path(dirpath) / name
                if p.is_file() and not p.is_symlink():
                    yield p


def scan_paths(roots: Iterable[Path], marker: bytes, *, exclude: Iterable[Path] = ()) -> list[Hit]:
    """Every file under `roots` (except under `exclude`) that holds `marker`."""
    excluded = [e.resolve() for e in exclude]
    hits: list[Hit] = []
    for path in iter_files(roots):
        resolved = path.resolve()
        if any(resolved.is_relative_to(e) for e in excluded):
            continue
        try:
            data = path.read_bytes()
        except OSError:
            continue
        hits += [Hit(path, w) for w in scan_bytes(data, marker)]
    return hits
