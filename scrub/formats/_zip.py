"""Bounded ZIP reading and deterministic ZIP writing for OOXML and ODF.

Reading checks the limits *before* inflating anything: the member count
from the end-of-central-directory record (before zipfile builds an object
per entry), the declared total inflated size, the per-member inflate ratio,
overlapping entries (the overlapped-file zip bomb), duplicate or escaping
names (two readers disagreeing on which duplicate wins is a smuggling
channel). Inflation then streams in bounded chunks and stops at the
declared size; zipfile verifies every CRC.

Writing produces the same bytes for the same members: fixed 1980-01-01
times, no extra fields, no comments, no permissions or host system, so the
output never carries the server's clock, user or OS.

Must never: inflate past a limit, trust a declared size without bounding
it, or write a timestamp, extra field or comment.
"""

from __future__ import annotations

import io
import itertools
import struct
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from scrub.base import Rejected, ScrubError
from scrub.limits import Limits

_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_CHUNK = 1 << 20
# Below this inflated size a high ratio is harmless (a run of zeros in a
# small XML part); above it, a ratio over the limit is a bomb.
_RATIO_FLOOR = 1 << 20
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Member:
    name: str
    data: bytes


def _declared_entry_count(data: bytes) -> int:
    tail_start = max(0, len(data) - (65535 + 22))
    pos = data.rfind(_EOCD, tail_start)
    if pos < 0 or pos + 22 > len(data):
        raise ScrubError("not a ZIP container (no end-of-central-directory record)")
    (total,) = struct.unpack_from("<H", data, pos + 10)
    if total != 0xFFFF:
        return int(total)
    loc = pos - 20
    if loc < 0 or data[loc : loc + 4] != _EOCD64_LOCATOR:
        raise Rejected("ZIP64 count marker without a ZIP64 locator")
    (eocd64_off,) = struct.unpack_from("<Q", data, loc + 8)
    if eocd64_off + 56 > len(data) or data[eocd64_off : eocd64_off + 4] != b"PK\x06\x06":
        raise Rejected("ZIP64 end-of-central-directory record is missing")
    (total64,) = struct.unpack_from("<Q", data, eocd64_off + 32)
    return int(total64)


def _check_name(name: str) -> None:
    if (
        not name
        or name.startswith(("/", "\\"))
        or "\\" in name
        or "\x00" in name
        or any(part == ".." for part in name.split("/"))
        or (len(name) > 1 and name[1] == ":")
    ):
        raise Rejected("ZIP member has an absolute or escaping name")


def read_members(untrusted_data: bytes, limits: Limits) -> list[Member]:
    """Inflate every member within `limits`, in central-directory order."""
    count = _declared_entry_count(untrusted_data)
    if count > limits.max_zip_members:
        raise Rejected(f"ZIP has {count} members, over the limit of {limits.max_zip_members}")
    try:
        zf = zipfile.ZipFile(io.BytesIO(untrusted_data))
    # NotImplementedError: zipfile's answer to an unknown "version needed"
    # (found by fuzzing, tests/fuzz).
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError) as exc:
        raise ScrubError("not a readable ZIP container") from exc
    infos = zf.infolist()
    if len(infos) > limits.max_zip_members:
        raise Rejected(f"ZIP has more than {limits.max_zip_members} members")
    seen: set[str] = set()
    declared_total = 0
    for info in infos:
        _check_name(info.filename)
        if info.filename in seen:
            raise Rejected("ZIP has two members with the same name")
        seen.add(info.filename)
        if info.flag_bits & 0x1:
            raise ScrubError("the document is encrypted; it cannot be cleaned")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise Rejected("ZIP member uses an unsupported compression method")
        declared_total += info.file_size
        if declared_total > limits.max_inflated_bytes:
            raise Rejected(f"ZIP inflates to more than {limits.max_inflated_bytes} bytes")
        if info.file_size > _RATIO_FLOOR and info.file_size > limits.max_inflate_ratio * max(
            info.compress_size, 1
        ):
            raise Rejected(f"ZIP member inflates more than {limits.max_inflate_ratio}x (zip bomb)")
    # Overlapping entries let one compressed stream be counted many times.
    spans = sorted((i.header_offset, i.header_offset + i.compress_size) for i in infos)
    for (_, end), (next_start, _) in itertools.pairwise(spans):
        if end > next_start:
            raise Rejected("ZIP members overlap (zip bomb)")

    members: list[Member] = []
    total = 0
    for info in infos:
        if info.is_dir():
            continue
        buf = bytearray()
        try:
            with zf.open(info) as fh:
                while True:
                    chunk = fh.read(_CHUNK)
                    if not chunk:
                        break
                    buf += chunk
                    total += len(chunk)
                    if len(buf) > info.file_size or total > limits.max_inflated_bytes:
                        raise Rejected("ZIP member inflates past its declared size")
        # zlib.error (a damaged deflate stream), NotImplementedError (an
        # unsupported member version): both found by fuzzing, tests/fuzz.
        except (
            zipfile.BadZipFile,
            ValueError,
            OSError,
            EOFError,
            zlib.error,
            NotImplementedError,
        ) as exc:
            raise Rejected("ZIP member is corrupt (bad CRC, header or data)") from exc
        members.append(Member(info.filename, bytes(buf)))
    return members


def write_members(members: Sequence[Member], *, stored: frozenset[str] = frozenset()) -> bytes:
    """Write `members` in the given order with fixed, neutral headers.

    Names in `stored` are written uncompressed (ODF's `mimetype`)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for m in members:
            info = zipfile.ZipInfo(m.name, date_time=FIXED_TIME)
            info.create_system = 0
            info.external_attr = 0
            info.compress_type = zipfile.ZIP_STORED if m.name in stored else zipfile.ZIP_DEFLATED
            zf.writestr(info, m.data, compresslevel=6)
    return out.getvalue()
