"""Parse a small multipart/form-data body entirely in memory.

For bounded uploads such as a sealed reply (a few MiB at most). Starlette's
`request.form()` would spool any part over 1 MiB to a temp file; this keeps
every byte in RAM and refuses a body over `limit` while it streams.
Must never: write to disk, or accept more than `limit` bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request


class FormRejected(Exception):
    """The body is not a well-formed multipart form within the limit."""


@dataclass
class MemoryForm:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)


class _Collector:
    def __init__(self, form: MemoryForm) -> None:
        self.form = form
        self.headers: dict[bytes, bytes] = {}
        self.header_field = b""
        self.header_value = b""
        self.name = ""
        self.is_file = False
        self.data = bytearray()

    def part_begin(self) -> None:
        self.headers, self.data = {}, bytearray()

    def header_field_cb(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def header_value_cb(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def header_end(self) -> None:
        self.headers[self.header_field.lower()] = self.header_value
        self.header_field = self.header_value = b""

    def headers_finished(self) -> None:
        kind, params = parse_options_header(self.headers.get(b"content-disposition", b""))
        if kind != b"form-data" or b"name" not in params:
            raise FormRejected("part without a form-data name")
        self.name = params[b"name"].decode("utf-8", errors="replace")
        self.is_file = b"filename" in params

    def part_data(self, data: bytes, start: int, end: int) -> None:
        self.data += data[start:end]

    def part_end(self) -> None:
        if self.is_file:
            self.form.files.setdefault(self.name, bytes(self.data))
            return
        try:
            self.form.fields.setdefault(self.name, self.data.decode("utf-8"))
        except UnicodeDecodeError:
            raise FormRejected("form field is not UTF-8") from None


async def read_memory_form(request: Request, *, limit: int) -> MemoryForm:
    kind, params = parse_options_header(request.headers.get("content-type", ""))
    if kind != b"multipart/form-data" or not params.get(b"boundary"):
        raise FormRejected("expected multipart/form-data")
    form = MemoryForm()
    c = _Collector(form)
    parser = MultipartParser(
        params[b"boundary"],
        {
            "on_part_begin": c.part_begin,
            "on_header_field": c.header_field_cb,
            "on_header_value": c.header_value_cb,
            "on_header_end": c.header_end,
            "on_headers_finished": c.headers_finished,
            "on_part_data": c.part_data,
            "on_part_end": c.part_end,
        },
    )
    seen = 0
    try:
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > limit:
                raise FormRejected("the upload is too large")
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError:
        raise FormRejected("malformed multipart body") from None
    return form
