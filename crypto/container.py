"""The inner container of a bundle (SPEC.md §2): framing written in one pass.

Must never: buffer a whole file (memory is bounded by one record header), or
let a caller-supplied name reach the container unsanitised.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._labels import CONTAINER_MAGIC, CONTAINER_VERSION
from .names import dedupe, sanitise_name
from .padme import padme

__all__ = ["ContainerWriter", "FileEntry"]

T_FILE_BEGIN = 0x01
T_DATA = 0x02
T_FILE_END = 0x03
T_MESSAGE = 0x04
T_MANIFEST = 0x05
MAX_RECORD = 16 << 20  # DATA, MESSAGE and MANIFEST bodies: bounded for the reader
MAX_REPORT = 1 << 20
MAX_TYPE = 32
MAX_FILES = 10_000
TRAILER = 8
HEADER = CONTAINER_MAGIC + struct.pack(">H", CONTAINER_VERSION)


def canonical_json(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class FileEntry:
    name: str
    type: str
    size: int
    sha256: str
    scrub: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "size": self.size,
            "sha256": self.sha256,
            "scrub": self.scrub,
        }


class ContainerWriter:
    """Emits container bytes through `emit` as records are pushed."""

    def __init__(self, emit: Callable[[bytes | memoryview], object]) -> None:
        self._emit = emit
        self._length = 0
        self._taken: set[str] = set()
        self.files: list[FileEntry] = []
        self.message: dict[str, Any] | None = None
        self._current: tuple[str, str] | None = None
        self._hash = hashlib.sha256()
        self._size = 0
        self._finished = False
        self._out(HEADER)

    def _out(self, data: bytes | memoryview) -> None:
        self._length += len(data)
        self._emit(data)

    def begin_file(self, name: str, detected_type: str) -> str:
        """Start a file; returns the sanitised, de-duplicated name it is stored under."""
        if self._current is not None or self._finished:
            raise ValueError("begin_file while a file is open or after finish")
        if len(self.files) >= MAX_FILES:
            raise ValueError("too many files")
        if not detected_type.isascii() or not 0 < len(detected_type) <= MAX_TYPE:
            raise ValueError("bad detected type")
        stored = dedupe(sanitise_name(name), self._taken)
        raw_name = stored.encode("utf-8")
        raw_type = detected_type.encode("ascii")
        self._out(
            struct.pack(">BH", T_FILE_BEGIN, len(raw_name))
            + raw_name
            + struct.pack(">B", len(raw_type))
            + raw_type
        )
        self._current = (stored, detected_type)
        self._hash = hashlib.sha256()
        self._size = 0
        return stored

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._current is None:
            raise ValueError("write outside a file")
        mv = memoryview(data).cast("B")
        self._hash.update(mv)
        self._size += len(mv)
        for start in range(0, len(mv), MAX_RECORD):
            part = mv[start : start + MAX_RECORD]
            self._out(struct.pack(">BI", T_DATA, len(part)))
            self._out(part)

    def end_file(self, report: dict[str, Any]) -> FileEntry:
        if self._current is None:
            raise ValueError("end_file without begin_file")
        raw_report = canonical_json(report)
        if len(raw_report) > MAX_REPORT:
            raise ValueError("scrub report too large")
        digest = self._hash.digest()
        self._out(
            struct.pack(">BQ", T_FILE_END, self._size)
            + digest
            + struct.pack(">I", len(raw_report))
            + raw_report
        )
        entry = FileEntry(
            self._current[0], self._current[1], self._size, digest.hex(), json.loads(raw_report)
        )
        self.files.append(entry)
        self._current = None
        return entry

    def set_message(self, text: str) -> None:
        if self.message is not None or self._current is not None or self._finished:
            raise ValueError("set_message twice, inside a file, or after finish")
        raw = text.encode("utf-8")
        if len(raw) > MAX_RECORD:
            raise ValueError("message too large")
        self._out(struct.pack(">BI", T_MESSAGE, len(raw)) + raw)
        self.message = {"size": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}

    def finish(self, manifest: dict[str, Any]) -> int:
        """Write the manifest, Padmé padding and the length trailer; returns the total."""
        if self._current is not None or self._finished:
            raise ValueError("finish with a file open, or twice")
        raw = canonical_json(manifest)
        if len(raw) > MAX_RECORD:
            raise ValueError("manifest too large")
        self._out(struct.pack(">BI", T_MANIFEST, len(raw)) + raw)
        content = self._length
        total = padme(content + TRAILER)
        padding = total - content - TRAILER
        zeros = bytes(min(padding, 1 << 20))
        while padding:
            n = min(padding, len(zeros))
            self._out(memoryview(zeros)[:n])
            padding -= n
        self._out(struct.pack(">Q", content))
        self._finished = True
        return self._length
