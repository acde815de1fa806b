"""Read EXIF/TIFF IFDs just enough to name what we drop and find Orientation; build a
minimal EXIF block holding only Orientation.

Why keep Orientation: a portrait phone photo stores its pixels sideways and
says "rotate 90°" in EXIF; dropping the tag (as exiftool -all= and mat2 do)
makes evidence display sideways. It is one small integer, shared by every
phone held the same way, so it identifies nobody.

Must never: follow an offset outside the buffer, loop on a cyclic IFD chain,
or return a tag *value* other than Orientation's small integer.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass

# Byte size of each TIFF field type (TIFF 6.0 §2, plus IFD=13, BigTIFF 16-18).
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
ORIENTATION = 0x0112
EXIF_IFD = 0x8769
GPS_IFD = 0x8825
INTEROP_IFD = 0xA005
MAKER_NOTE = 0x927C
_MAX_IFDS = 64
_MAX_ENTRIES = 4096


class ExifError(ValueError):
    """The EXIF block is malformed (we then drop it whole and say so)."""


@dataclass(frozen=True)
class Entry:
    tag: int
    type: int
    count: int
    # Offset (in the buffer) of the 4-byte value/offset field of the entry.
    field_pos: int

    def value_pos(self, buf: bytes, endian: str) -> int:
        """Where the value bytes start (inline in the entry, or at the offset)."""
        size = TYPE_SIZES.get(self.type, 1) * self.count
        if size <= 4:
            return self.field_pos
        (offset,) = struct.unpack_from(endian + "I", buf, self.field_pos)
        if offset + size > len(buf):
            raise ExifError("value outside the block")
        return int(offset)

    def value_size(self) -> int:
        return TYPE_SIZES.get(self.type, 1) * self.count


def header(buf: bytes, start: int = 0) -> tuple[str, int]:
    """(struct byte-order char, offset of IFD0) from a TIFF header at `start`."""
    if len(buf) < start + 8:
        raise ExifError("TIFF header too short")
    if buf[start : start + 4] == b"II*\x00":
        endian = "<"
    elif buf[start : start + 4] == b"MM\x00*":
        endian = ">"
    else:
        raise ExifError("not a TIFF header")
    (ifd0,) = struct.unpack_from(endian + "I", buf, start + 4)
    return endian, int(ifd0)


def read_ifd(buf: bytes, endian: str, offset: int) -> tuple[list[Entry], int]:
    """Entries of the IFD at `offset`, and the offset of the next IFD (0 = none)."""
    if offset < 8 or offset + 2 > len(buf):
        raise ExifError("IFD offset outside the block")
    (count,) = struct.unpack_from(endian + "H", buf, offset)
    if count > _MAX_ENTRIES:
        raise ExifError("too many IFD entries")
    end = offset + 2 + 12 * count
    if end + 4 > len(buf):
        raise ExifError("IFD runs past the block")
    entries = []
    for i in range(count):
        pos = offset + 2 + 12 * i
        tag, typ, cnt = struct.unpack_from(endian + "HHI", buf, pos)
        entries.append(Entry(tag, typ, cnt, pos + 8))
    (next_ifd,) = struct.unpack_from(endian + "I", buf, end)
    return entries, int(next_ifd)


def short_value(buf: bytes, endian: str, entry: Entry) -> int | None:
    """The first value of a SHORT/LONG entry, or None."""
    if entry.count < 1 or entry.type not in (3, 4):
        return None
    fmt = "H" if entry.type == 3 else "I"
    return int(struct.unpack_from(endian + fmt, buf, entry.value_pos(buf, endian))[0])


def tag_name(tag: int, gps: bool = False) -> str:
    """A tag's EXIF name (Pillow's tables), or its number in hex."""
    from PIL import ExifTags  # noqa: PLC0415 - loaded only when a file has EXIF

    table = ExifTags.GPSTAGS if gps else ExifTags.TAGS
    name = table.get(tag)
    if name is None:
        return f"Tag0x{tag:04X}"
    if gps and not name.startswith("GPS"):
        return "GPS" + name
    return name


def walk(buf: bytes, endian: str, ifd0: int) -> Iterator[tuple[str, int, Entry]]:
    """Yield (kind, ifd index, entry) over IFD0, IFD1.., and the EXIF/GPS/Interop sub-IFDs.

    kind is "main", "exif", "gps" or "interop"."""
    seen: set[int] = set()
    queue: list[tuple[str, int, int]] = [("main", 0, ifd0)]
    while queue:
        kind, index, offset = queue.pop(0)
        if offset == 0:
            continue
        if offset in seen or len(seen) >= _MAX_IFDS:
            raise ExifError("IFD loop or too many IFDs")
        seen.add(offset)
        entries, next_ifd = read_ifd(buf, endian, offset)
        for entry in entries:
            yield kind, index, entry
            if entry.tag in (EXIF_IFD, GPS_IFD, INTEROP_IFD) and entry.type in (4, 13):
                sub = short_value(buf, endian, Entry(entry.tag, 4, 1, entry.field_pos))
                sub_kind = {EXIF_IFD: "exif", GPS_IFD: "gps", INTEROP_IFD: "interop"}[entry.tag]
                if sub:
                    queue.append((sub_kind, index, sub))
        if kind == "main" and next_ifd:
            queue.append(("main", index + 1, next_ifd))


@dataclass
class ExifSummary:
    names: list[str]
    orientation: int | None


def summarise(tiff_block: bytes) -> ExifSummary:
    """Names of every tag in an EXIF block (TIFF structure) and its Orientation."""
    endian, ifd0 = header(tiff_block)
    names: list[str] = []
    orientation = None
    for kind, index, entry in walk(tiff_block, endian, ifd0):
        if entry.tag in (EXIF_IFD, GPS_IFD, INTEROP_IFD):
            continue
        if kind == "main" and index == 0 and entry.tag == ORIENTATION:
            orientation = short_value(tiff_block, endian, entry)
        if kind == "main" and index >= 1:
            name = "Thumbnail" + tag_name(entry.tag)
            if entry.tag in (0x0201, 0x0111):
                name = "ThumbnailImage"
        else:
            name = tag_name(entry.tag, gps=kind == "gps")
        if name not in names:
            names.append(name)
    return ExifSummary(names=names, orientation=orientation)


def orientation_block(orientation: int) -> bytes:
    """A minimal big-endian EXIF (TIFF) block whose IFD0 holds only Orientation."""
    if not 1 <= orientation <= 8:
        raise ValueError("orientation must be 1..8")
    return b"MM\x00*" + struct.pack(">IHHHIHHI", 8, 1, ORIENTATION, 3, 1, orientation, 0, 0)


def record_exif(
    tiff_block: bytes, remove: Callable[[str, str], None], place: str = "EXIF"
) -> int | None:
    """Report every EXIF tag name under `place` via `remove` (Report.remove);
    return Orientation (None if absent or unreadable)."""
    try:
        summary = summarise(tiff_block)
    except (ExifError, struct.error):
        remove(place, "(unreadable EXIF block)")
        return None
    for name in summary.names:
        if name != "Orientation":
            remove(place, name)
    orientation = summary.orientation
    if orientation is not None and not 1 <= orientation <= 8:
        orientation = None
    return orientation
