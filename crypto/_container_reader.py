"""Push parser for the inner container (SPEC.md §2); every check fails closed.

Must never: write outside the sink it is given, trust a size or hash it has
not recomputed, accept a name that is not already sanitised, or hold more
than one record header / the message / the manifest in memory.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from .container import (
    HEADER,
    MAX_FILES,
    MAX_RECORD,
    MAX_REPORT,
    MAX_TYPE,
    T_DATA,
    T_FILE_BEGIN,
    T_FILE_END,
    T_MANIFEST,
    T_MESSAGE,
    TRAILER,
    FileEntry,
)
from .errors import CryptoError
from .names import is_sanitised
from .padme import padme

_MAX_NAME = 1024


@dataclass(frozen=True, slots=True)
class UnverifiedContainer:
    """Parsed and internally consistent, but not yet checked against a signature."""

    manifest: dict[str, Any]
    message: str | None
    files: list[FileEntry]


class ContainerParser:
    def __init__(self, open_file: Callable[[str], IO[bytes]]) -> None:
        self._open_file = open_file
        self._buf = bytearray()
        self._want = len(HEADER)
        self._state = "magic"
        self._stream_left = 0
        self._length = 0  # bytes consumed so far
        self._file: IO[bytes] | None = None
        self._name = ""
        self._type = ""
        self._hash = hashlib.sha256()
        self._size = 0
        self._taken: set[str] = set()
        self._files: list[FileEntry] = []
        self._message: str | None = None
        self._manifest: dict[str, Any] | None = None
        self._manifest_end = 0
        self._tail = bytearray()

    # -- driver ---------------------------------------------------------------
    def feed(self, data: memoryview | bytes) -> None:
        mv = memoryview(data).cast("B")
        pos = 0
        end = len(mv)
        while pos < end:
            if self._state == "tail":
                self._length += end - pos
                self._feed_tail(mv[pos:])
                return
            if self._stream_left:
                take = min(self._stream_left, end - pos)
                part = mv[pos : pos + take]
                self._hash.update(part)
                self._size += take
                if self._file is None:  # unreachable: data records only inside a file
                    raise CryptoError
                self._file.write(part)
                self._stream_left -= take
                self._length += take
                pos += take
                if not self._stream_left:
                    self._expect("record", 1)
                continue
            take = min(self._want - len(self._buf), end - pos)
            self._buf += mv[pos : pos + take]
            self._length += take
            pos += take
            if len(self._buf) == self._want:
                field = bytes(self._buf)
                self._buf.clear()
                self._step(field)

    def _expect(self, state: str, want: int) -> None:
        self._state = state
        self._want = want

    def _feed_tail(self, mv: memoryview) -> None:
        # Everything after the manifest is zero padding, then an 8-byte length.
        tail = self._tail
        if len(mv) >= TRAILER:
            body = bytes(tail) + bytes(mv[:-TRAILER])
            tail[:] = mv[-TRAILER:]
        else:
            tail += mv
            body = bytes(tail[:-TRAILER]) if len(tail) > TRAILER else b""
            del tail[: len(body)]
        if body.count(0) != len(body):
            raise CryptoError

    # -- records --------------------------------------------------------------
    def _step(self, field: bytes) -> None:
        state = self._state
        if state == "magic":
            if not hmac.compare_digest(field, HEADER):
                raise CryptoError
            self._expect("record", 1)
        elif state == "record":
            self._record(field[0])
        elif state == "name_len":
            (n,) = struct.unpack(">H", field)
            if not 0 < n <= _MAX_NAME:
                raise CryptoError
            self._expect("name", n)
        elif state == "name":
            try:
                name = field.decode("utf-8")
            except UnicodeDecodeError:
                raise CryptoError from None
            # Never repair a name here: a name the sealer would not have written
            # means a forged or buggy bundle, and repairing could collide files.
            if not is_sanitised(name) or name.casefold() in self._taken:
                raise CryptoError
            self._taken.add(name.casefold())
            self._name = name
            self._expect("type_len", 1)
        elif state == "type_len":
            if not 0 < field[0] <= MAX_TYPE:
                raise CryptoError
            self._expect("type", field[0])
        elif state == "type":
            if not field.isascii() or not field.isalnum():
                raise CryptoError
            self._type = field.decode("ascii")
            self._file = self._open_file(self._name)
            self._hash = hashlib.sha256()
            self._size = 0
            self._expect("record", 1)
        elif state == "data_len":
            (n,) = struct.unpack(">I", field)
            if not 0 < n <= MAX_RECORD:
                raise CryptoError
            self._stream_left = n
            self._state = "data"
        elif state == "file_end":
            size, digest, report_len = struct.unpack(">Q32sI", field)
            if size != self._size or not hmac.compare_digest(digest, self._hash.digest()):
                raise CryptoError
            if not 2 <= report_len <= MAX_REPORT:
                raise CryptoError
            self._expect("report", report_len)
        elif state == "report":
            report = _json_object(field)
            if self._file is None:
                raise CryptoError
            self._file.close()
            self._file = None
            self._files.append(
                FileEntry(self._name, self._type, self._size, self._hash.hexdigest(), report)
            )
            self._expect("record", 1)
        elif state == "message_len":
            (n,) = struct.unpack(">I", field)
            if n > MAX_RECORD:
                raise CryptoError
            if n == 0:
                self._message = ""
                self._expect("record", 1)
            else:
                self._expect("message", n)
        elif state == "message":
            try:
                self._message = field.decode("utf-8")
            except UnicodeDecodeError:
                raise CryptoError from None
            self._expect("record", 1)
        elif state == "manifest_len":
            (n,) = struct.unpack(">I", field)
            if not 2 <= n <= MAX_RECORD:
                raise CryptoError
            self._expect("manifest", n)
        elif state == "manifest":
            self._manifest = _json_object(field)
            self._manifest_end = self._length
            self._state = "tail"
        else:  # pragma: no cover - states are closed
            raise CryptoError

    def _record(self, rtype: int) -> None:
        in_file = self._file is not None
        if rtype == T_FILE_BEGIN and not in_file and len(self._files) < MAX_FILES:
            self._expect("name_len", 2)
        elif rtype == T_DATA and in_file:
            self._expect("data_len", 4)
        elif rtype == T_FILE_END and in_file:
            self._expect("file_end", 8 + 32 + 4)
        elif rtype == T_MESSAGE and not in_file and self._message is None:
            self._expect("message_len", 4)
        elif rtype == T_MANIFEST and not in_file:
            self._expect("manifest_len", 4)
        else:
            raise CryptoError

    def finish(self) -> UnverifiedContainer:
        if self._state != "tail" or self._manifest is None or len(self._tail) != TRAILER:
            raise CryptoError
        (content,) = struct.unpack(">Q", self._tail)
        if content != self._manifest_end or self._length != padme(content + TRAILER):
            raise CryptoError
        return UnverifiedContainer(self._manifest, self._message, list(self._files))


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise CryptoError from None
    if not isinstance(value, dict):
        raise CryptoError
    return value
