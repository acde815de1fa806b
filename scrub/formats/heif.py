"""HEIF/HEIC/AVIF: recognised, inspected, and honestly reported as NOT cleaned.

A lossless HEIF clean means rewriting the `meta` box (iinf, iloc, iref, ipma)
to drop the Exif/XMP items, thumbnails and non-primary auxiliary images while
keeping every coded HEVC/AV1 byte and its offsets consistent. That rewrite is
not built yet, and re-encoding (what pillow-heif would do) changes the
pixels, which this project never does to evidence. So every HEIF file is
sealed as sent and flagged "not cleaned", and the report names the metadata
items the file carries so the source knows what stays in.
Colour handling, when the rewrite lands: keep `colr` (nclx as is; ICC
neutralised with scrub.icc) because it changes how the image displays.

Must never: return output bytes (no partial or re-encoded output), or follow
a box size outside the file.
"""

from __future__ import annotations

import struct

from scrub.base import Outcome, Profile, Rejected, Report, ScrubError
from scrub.limits import Limits, check_count


def _boxes(data: bytes, start: int, end: int, limits: Limits) -> list[tuple[bytes, int, int]]:
    """(type, payload start, box end) of each box in data[start:end]."""
    out: list[tuple[bytes, int, int]] = []
    pos = start
    while pos + 8 <= end:
        check_count(len(out), limits.max_segments, "HEIF boxes")
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if pos + 16 > end:
                raise Rejected("HEIF box header runs past the end")
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise Rejected("HEIF box size is impossible")
        out.append((kind, pos + header, pos + size))
        pos += size
    return out


def _item_kinds(data: bytes, start: int, end: int, limits: Limits) -> list[str]:
    """Metadata item kinds named in iinf (Exif, XMP/MIME, thumbnails via iref)."""
    names: list[str] = []
    for kind, s, e in _boxes(data, start, end, limits):
        if kind != b"iinf":
            continue
        version = data[s]
        entries_at = s + 4 + (2 if version == 0 else 4)
        for inner, i_s, _i_e in _boxes(data, entries_at, e, limits):
            if inner != b"infe" or data[i_s] < 2:
                continue
            type_at = i_s + 4 + (4 if data[i_s] >= 3 else 2) + 2
            item_type = data[type_at : type_at + 4]
            if item_type == b"Exif":
                names.append("Exif")
            elif item_type == b"mime":
                names.append("XMP")
    return names


class HeifScrubber:
    type_name = "heif"

    def scrub(self, untrusted_data: bytes, profile: Profile, report: Report) -> bytes:
        limits = profile.limits
        top = _boxes(untrusted_data, 0, len(untrusted_data), limits)
        for kind, start, end in top:
            if kind == b"meta":
                # meta is a full box: 4 bytes of version/flags before its children.
                for item in _item_kinds(untrusted_data, start + 4, end, limits):
                    report.warnings.append(f"HEIF file still contains its {item} metadata")
        raise ScrubError(
            "HEIF/HEIC cleaning is not supported yet (a lossless rewrite is not built and "
            "re-encoding would change the pixels); the file is kept exactly as sent",
            outcome=Outcome.NOT_CLEANED,
        )


SCRUBBER = HeifScrubber()
