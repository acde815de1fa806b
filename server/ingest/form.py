"""Drive python-multipart's push parser and enforce limits while streaming.

Starlette's `request.form()` and its upload objects spool parts over 1 MiB to a
plaintext temp file; this parser hands each body slice straight to a handler
and keeps nothing itself except small text fields.

Must never: buffer a file part, write anything to disk, or let a limit be
checked only after the bytes were accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from server.ingest.errors import BadForm, LimitExceeded

FILES_FIELD = "files"
MESSAGE_FIELD = "message"
# Small fields other than the message (csrf token, checkbox, honeypot).
_MAX_SMALL_FIELD = 4096
_MAX_FILENAME_BYTES = 1024
# One part header line, enforced by python-multipart while it streams. A long
# file name (4 KiB of UTF-8 is ordinary in some scripts) must fit; its default
# (4 KiB + 128) refused such a submission whole.
_MAX_HEADER_BYTES = 16 * 1024


@dataclass(frozen=True)
class FormLimits:
    max_file_bytes: int
    max_files: int
    # Sum of all file bodies (the framing is bounded separately by the caller).
    max_total_file_bytes: int
    max_message_chars: int


class FormHandler(Protocol):
    def field(self, name: str, value: str) -> None: ...
    def file_start(self, untrusted_filename: str) -> None: ...
    def file_data(self, untrusted_data: bytes) -> None: ...
    def file_end(self) -> None: ...


def _shorten_utf8(raw: bytes, limit: int) -> bytes:
    if len(raw) <= limit:
        return raw
    cut = raw[:limit]
    # Never leave half a UTF-8 character at the end: find the last lead byte
    # and drop it with its continuation bytes if the character was cut.
    i = len(cut) - 1
    while i > 0 and (cut[i] & 0xC0) == 0x80:
        i -= 1
    lead = cut[i]
    need = 1 if lead < 0x80 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
    return cut if len(cut) - i >= need else cut[:i]


def boundary_of(content_type: str) -> bytes:
    ctype, params = parse_options_header(content_type)
    if ctype != b"multipart/form-data" or b"boundary" not in params:
        raise BadForm("expected multipart/form-data")
    boundary = params[b"boundary"]
    if not 1 <= len(boundary) <= 200:
        raise BadForm("bad multipart boundary")
    return boundary


class StreamingForm:
    """Feed it body chunks; it calls the handler part by part."""

    def __init__(self, boundary: bytes, handler: FormHandler, limits: FormLimits) -> None:
        self._handler = handler
        self._limits = limits
        self._files = 0
        self._headers: dict[bytes, bytes] = {}
        self._field_name = b""
        self._field_value = b""
        self._header_field = b""
        self._header_value = b""
        # "field", "file", "skip" (empty file input) for the current part
        self._kind = ""
        self._file_bytes = 0
        self._all_file_bytes = 0
        self._field_bytes = 0
        self._max_message_bytes = 4 * limits.max_message_chars
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
            },
            max_header_size=_MAX_HEADER_BYTES,
        )
        self._ended = False

    def write(self, chunk: bytes) -> None:
        try:
            self._parser.write(chunk)
        except MultipartParseError:
            raise BadForm("malformed multipart body") from None

    def finish(self) -> None:
        try:
            self._parser.finalize()
        except MultipartParseError:
            raise BadForm("malformed multipart body") from None

    # -- parser callbacks ----------------------------------------------------
    def _part_begin(self) -> None:
        self._headers = {}
        self._header_field = b""
        self._header_value = b""

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field = b""
        self._header_value = b""

    def _headers_finished(self) -> None:
        disposition = self._headers.get(b"content-disposition", b"")
        ctype, params = parse_options_header(disposition)
        if ctype != b"form-data" or b"name" not in params:
            raise BadForm("part without a form-data name")
        name = params[b"name"]
        self._field_name = name
        if b"filename" in params:
            raw_filename = params[b"filename"]
            if name != FILES_FIELD.encode() or raw_filename == b"":
                # An empty file input (browsers send one) or a file in another
                # field: its bytes are counted against the total, never kept.
                self._kind = "skip"
                return
            # An over-long name is shortened, not refused: it only travels
            # inside the sealed manifest (sanitised there), and one file's
            # name must not stop the whole submission from landing.
            raw_filename = _shorten_utf8(raw_filename, _MAX_FILENAME_BYTES)
            self._files += 1
            if self._files > self._limits.max_files:
                raise LimitExceeded("files")
            self._kind = "file"
            self._file_bytes = 0
            self._handler.file_start(raw_filename.decode("utf-8", errors="replace"))
        else:
            self._kind = "field"
            self._field_value = b""
            self._field_bytes = 0

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        n = end - start
        if self._kind == "file":
            self._file_bytes += n
            self._all_file_bytes += n
            if self._file_bytes > self._limits.max_file_bytes:
                raise LimitExceeded("file")
            if self._all_file_bytes > self._limits.max_total_file_bytes:
                raise LimitExceeded("total")
            self._handler.file_data(data[start:end])
        elif self._kind == "field":
            self._field_bytes += n
            cap = (
                self._max_message_bytes
                if self._field_name == MESSAGE_FIELD.encode()
                else _MAX_SMALL_FIELD
            )
            if self._field_bytes > cap:
                raise LimitExceeded(
                    "message" if self._field_name == MESSAGE_FIELD.encode() else "field"
                )
            self._field_value += data[start:end]

    def _part_end(self) -> None:
        if self._kind == "file":
            self._handler.file_end()
        elif self._kind == "field":
            try:
                value = self._field_value.decode("utf-8")
            except UnicodeDecodeError:
                raise BadForm("form field is not UTF-8") from None
            name = self._field_name.decode("utf-8", errors="replace")
            if name == MESSAGE_FIELD and len(value) > self._limits.max_message_chars:
                raise LimitExceeded("message")
            self._handler.field(name, value)
            self._field_value = b""
        self._kind = ""
