"""WebP: rebuild the RIFF container from an allowlist of chunks; bitstreams copied byte for byte.

Kept: VP8, VP8L, ALPH, ANIM, ANMF (each frame rebuilt keeping only its
ALPH/VP8/VP8L sub-chunks), VP8X (flags recomputed), ICCP neutralised
(scrub.icc; it changes how colours display), and a minimal EXIF holding only
Orientation when the image is rotated or mirrored.
Dropped: EXIF otherwise, XMP, unknown chunks, and bytes after the RIFF size.
The RIFF size and the VP8X ICC/EXIF/XMP flags are rewritten to match.

Must never: decode a bitstream, or copy a chunk it does not know.
"""

from __future__ import annotations

import struct

from scrub.base import Profile, Rejected, Report
from scrub.formats import _exif
from scrub.icc import IccError, neutralise
from scrub.limits import Limits, check_count, check_metadata_size, check_pixels

_IMAGE = frozenset({b"VP8 ", b"VP8L", b"ALPH"})
_FLAG_ICC, _FLAG_ALPHA, _FLAG_EXIF, _FLAG_XMP, _FLAG_ANIM = 0x20, 0x10, 0x08, 0x04, 0x02


def _chunk(kind: bytes, payload: bytes | memoryview) -> bytes:
    pad = b"\x00" if len(payload) % 2 else b""
    return kind + struct.pack("<I", len(payload)) + bytes(payload) + pad


def _chunks(data: bytes, start: int, end: int, limits: Limits) -> list[tuple[bytes, int, int]]:
    """(fourcc, payload start, payload end) for each chunk in data[start:end]."""
    out: list[tuple[bytes, int, int]] = []
    pos = start
    while pos < end:
        check_count(len(out), limits.max_segments, "WebP chunks")
        if pos + 8 > end:
            raise Rejected("WebP chunk header runs past the end")
        kind = data[pos : pos + 4]
        (size,) = struct.unpack_from("<I", data, pos + 4)
        body = pos + 8
        if body + size > end:
            raise Rejected("WebP chunk runs past the end")
        out.append((kind, body, body + size))
        pos = body + size + (size & 1)
    return out


def _fourcc_name(kind: bytes) -> str:
    # A chunk id is a name, but a crafted one could carry text: show it only
    # when it looks like a fourcc.
    text = kind.decode("latin-1").strip()
    return text if text.isascii() and text.isalnum() else "UnknownChunk"


def _check_bitstream(kind: bytes, data: bytes, body: int, end: int, limits: Limits) -> None:
    if kind == b"VP8 " and end - body >= 10:
        w, h = struct.unpack_from("<HH", data, body + 6)
        check_pixels(w & 0x3FFF, h & 0x3FFF, limits, "WebP frame")
    elif kind == b"VP8L" and end - body >= 5:
        (bits,) = struct.unpack_from("<I", data, body + 1)
        check_pixels((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, limits, "WebP frame")


class WebpScrubber:
    type_name = "webp"

    def scrub(self, untrusted_data: bytes, profile: Profile, report: Report) -> bytes:
        data = untrusted_data
        limits = profile.limits
        if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
            raise Rejected("not a WebP file")
        (riff_size,) = struct.unpack_from("<I", data, 4)
        end = 8 + riff_size
        if end > len(data) or riff_size < 4:
            raise Rejected("WebP is truncated (RIFF size past the end of the file)")
        if end < len(data):
            report.remove("WebP", "TrailingData")
        view = memoryview(data)
        vp8x_flags: int | None = None
        canvas = b""
        icc: bytes | None = None
        orientation: int | None = None
        body: list[bytes] = []
        has_image = False
        for kind, start, stop in _chunks(data, 12, end, limits):
            if kind == b"VP8X":
                if stop - start < 10:
                    raise Rejected("WebP VP8X chunk too short")
                vp8x_flags = data[start]
                w = int.from_bytes(data[start + 4 : start + 7], "little") + 1
                h = int.from_bytes(data[start + 7 : start + 10], "little") + 1
                check_pixels(w, h, limits, "WebP canvas")
                canvas = data[start + 4 : start + 10]
            elif kind in _IMAGE:
                _check_bitstream(kind, data, start, stop, limits)
                has_image = has_image or kind != b"ALPH"
                body.append(_chunk(kind, view[start:stop]))
            elif kind == b"ANIM":
                body.append(_chunk(kind, view[start:stop]))
            elif kind == b"ANMF":
                body.append(self._frame(data, start, stop, limits, report))
                has_image = True
            elif kind == b"ICCP":
                check_metadata_size(stop - start, limits, "WebP ICC profile")
                icc = self._icc(data[start:stop], report)
            elif kind == b"EXIF":
                check_metadata_size(stop - start, limits, "WebP EXIF")
                block = data[start:stop]
                if block.startswith(b"Exif\x00\x00"):  # some writers add JPEG's prefix
                    block = block[6:]
                found = _exif.record_exif(block, report.remove)
                orientation = orientation or found
            elif kind == b"XMP ":
                from scrub.formats import _xmp  # noqa: PLC0415 - only when present

                _xmp.record_xmp(data[start:stop], report.remove)
            else:
                report.remove("WebP", _fourcc_name(kind))
        if not has_image:
            raise Rejected("WebP has no image data")
        exif = None
        if orientation is not None and orientation != 1:
            exif = _exif.orientation_block(orientation)
            report.kept.append("EXIF:Orientation")
        chunks: list[bytes] = []
        if vp8x_flags is not None or icc or exif:
            if vp8x_flags is None:
                raise Rejected("WebP has colour or orientation data without a VP8X header")
            flags = vp8x_flags & (_FLAG_ALPHA | _FLAG_ANIM)
            flags |= _FLAG_ICC if icc else 0
            flags |= _FLAG_EXIF if exif else 0
            chunks.append(_chunk(b"VP8X", bytes((flags, 0, 0, 0)) + canvas))
        if icc:
            chunks.append(_chunk(b"ICCP", icc))
        chunks.extend(body)
        if exif:
            chunks.append(_chunk(b"EXIF", exif))
        payload = b"".join(chunks)
        return b"RIFF" + struct.pack("<I", 4 + len(payload)) + b"WEBP" + payload

    @staticmethod
    def _frame(data: bytes, start: int, stop: int, limits: Limits, report: Report) -> bytes:
        if stop - start < 16:
            raise Rejected("WebP animation frame too short")
        parts = [data[start : start + 16]]
        found = False
        for kind, s, e in _chunks(data, start + 16, stop, limits):
            if kind in _IMAGE:
                _check_bitstream(kind, data, s, e, limits)
                found = found or kind != b"ALPH"
                parts.append(_chunk(kind, data[s:e]))
            else:
                report.remove("WebP:ANMF", _fourcc_name(kind))
        if not found:
            raise Rejected("WebP animation frame has no image data")
        return _chunk(b"ANMF", b"".join(parts))

    @staticmethod
    def _icc(profile: bytes, report: Report) -> bytes | None:
        try:
            cleaned = neutralise(profile, report.remove)
        except (IccError, struct.error):
            report.remove("ICC", "(malformed profile)")
            report.warnings.append("the ICC colour profile was malformed and was removed")
            return None
        report.kept.append("ICC:colour data (description and device fields neutralised)")
        return cleaned


SCRUBBER = WebpScrubber()
