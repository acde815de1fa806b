"""Name the Photoshop image resources (IRB) and IPTC datasets we drop.

Photoshop's APP13/tag-34377 block carries IPTC captions, by-lines, locations,
a thumbnail, copies of EXIF and XMP, and slice/layer names. We drop all of it
and report names only.

Must never: return a dataset value or read outside the block.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

_IRB_NAMES = {
    0x03ED: "ResolutionInfo",
    0x0404: "IPTC-NAA",
    0x0406: "JPEGQuality",
    0x0409: "ThumbnailOld",
    0x040B: "URL",
    0x040C: "Thumbnail",
    0x040F: "ICCProfile",
    0x0414: "DocumentID",
    0x041A: "Slices",
    0x041E: "URLList",
    0x0421: "VersionInfo",
    0x0422: "EXIFInfo",
    0x0423: "EXIFInfo3",
    0x0424: "XMP",
    0x0425: "IPTCDigest",
    0x0426: "PrintScale",
    0x043A: "PrintInfo",
    0x043B: "PrintStyle",
    0x0BB7: "ClippingPathName",
    0x2710: "PrintFlagsInfo",
}
# IPTC IIM record 2 (application) dataset names.
_IPTC_NAMES = {
    0: "ApplicationRecordVersion",
    5: "ObjectName",
    10: "Urgency",
    15: "Category",
    20: "SupplementalCategories",
    25: "Keywords",
    40: "SpecialInstructions",
    55: "DateCreated",
    60: "TimeCreated",
    62: "DigitalCreationDate",
    63: "DigitalCreationTime",
    65: "OriginatingProgram",
    70: "ProgramVersion",
    80: "By-line",
    85: "By-lineTitle",
    90: "City",
    92: "Sub-location",
    95: "Province-State",
    100: "Country-PrimaryLocationCode",
    101: "Country-PrimaryLocationName",
    103: "OriginalTransmissionReference",
    105: "Headline",
    110: "Credit",
    115: "Source",
    116: "CopyrightNotice",
    118: "Contact",
    120: "Caption-Abstract",
    122: "Writer-Editor",
}
_MAX_ITEMS = 10_000


def record_iptc(data: bytes, remove: Callable[[str, str], None], place: str = "IPTC") -> None:
    pos = 0
    for _ in range(_MAX_ITEMS):
        if pos + 5 > len(data) or data[pos] != 0x1C:
            return
        record, dataset, size = (
            data[pos + 1],
            data[pos + 2],
            struct.unpack_from(">H", data, pos + 3)[0],
        )
        pos += 5
        if size & 0x8000:  # extended length: the next (size & 0x7fff) bytes hold it
            n = size & 0x7FFF
            if n > 4 or pos + n > len(data):
                return
            size = int.from_bytes(data[pos : pos + n], "big")
            pos += n
        if record == 2:
            remove(place, _IPTC_NAMES.get(dataset, f"2:{dataset}"))
        elif record != 1 or dataset != 90:  # 1:90 is the character set, not content
            remove(place, f"{record}:{dataset}")
        pos += size


def record_irb(block: bytes, remove: Callable[[str, str], None], place: str = "Photoshop") -> None:
    """Report resource names in a Photoshop IRB block (starting at its first '8BIM')."""
    pos = 0
    for _ in range(_MAX_ITEMS):
        if pos + 12 > len(block) or block[pos : pos + 4] not in (
            b"8BIM",
            b"PHUT",
            b"DCSR",
            b"AgHg",
        ):
            return
        (res_id,) = struct.unpack_from(">H", block, pos + 4)
        name_len = block[pos + 6]
        pos += 6 + ((name_len + 2) & ~1)
        if pos + 4 > len(block):
            return
        (size,) = struct.unpack_from(">I", block, pos)
        pos += 4
        body = block[pos : pos + size]
        if res_id == 0x0404:
            record_iptc(body, remove)
        else:
            remove(place, _IRB_NAMES.get(res_id, f"Resource0x{res_id:04X}"))
        pos += (size + 1) & ~1
