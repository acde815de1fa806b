"""PNG (and APNG): rebuild from an allowlist of chunks; image data copied byte for byte.

Kept: IHDR, PLTE, IDAT, IEND; colour and display chunks gAMA, cHRM, sRGB,
cICP, mDCv, cLLi, sBIT, pHYs, tRNS, bKGD; iCCP with a neutral profile name
and a neutralised profile (scrub.icc); APNG animation acTL, fcTL, fdAT; and,
when eXIf says the image is rotated or mirrored, a minimal eXIf holding only
Orientation (PNG orientation is rare, but browsers and Pillow honour it, so
we treat it as JPEG's: kept and reported).
Dropped: tEXt, zTXt, iTXt (reported by keyword), eXIf otherwise, tIME, hIST,
sPLT, dSIG, every private or unknown ancillary chunk, and anything after IEND.
Every chunk's CRC is verified: a bad CRC means a damaged or crafted file and
is rejected. An unknown *critical* chunk is rejected (we cannot know what it
means for display).

Must never: inflate IDAT (our rebuild has no decompression-bomb exposure), or
copy a chunk that is not on the allowlist.
"""

from __future__ import annotations

import re
import struct
import zlib

from scrub.base import Profile, Rejected, Report
from scrub.formats import _exif
from scrub.icc import IccError, neutralise
from scrub.limits import check_count, check_metadata_size, check_pixels

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_KEEP = frozenset(
    {
        b"IHDR",
        b"PLTE",
        b"IDAT",
        b"IEND",
        b"gAMA",
        b"cHRM",
        b"sRGB",
        b"cICP",
        b"mDCv",
        b"cLLi",
        b"sBIT",
        b"pHYs",
        b"tRNS",
        b"bKGD",
        b"acTL",
        b"fcTL",
        b"fdAT",
    }
)
_TEXT = frozenset({b"tEXt", b"zTXt", b"iTXt"})
_SAFE_KEYWORD = re.compile(rb"^[A-Za-z0-9 _.:-]{1,40}$")
ICC_NAME = b"ICC profile"
_MAX_CHUNK = (1 << 31) - 1  # PNG spec: chunk lengths are at most 2^31-1


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(payload, zlib.crc32(kind)))
    )


class PngScrubber:
    type_name = "png"

    def scrub(self, untrusted_data: bytes, profile: Profile, report: Report) -> bytes:
        data = untrusted_data
        limits = profile.limits
        if not data.startswith(SIGNATURE):
            raise Rejected("not a PNG file")
        view = memoryview(data)
        out: list[bytes | memoryview] = [SIGNATURE]
        pos = len(SIGNATURE)
        n = len(data)
        chunks = 0
        seen_ihdr = seen_idat = False
        orientation: int | None = None
        while True:
            chunks += 1
            check_count(chunks, limits.max_segments, "PNG chunks")
            if pos + 12 > n:
                raise Rejected("PNG is truncated (no IEND chunk)")
            length, kind = struct.unpack_from(">I4s", data, pos)
            if length > _MAX_CHUNK or pos + 12 + length > n:
                raise Rejected("PNG chunk runs past the end of the file")
            start, body, end = pos, pos + 8, pos + 8 + length
            (crc,) = struct.unpack_from(">I", data, end)
            if zlib.crc32(view[body:end], zlib.crc32(kind)) != crc:
                raise Rejected("PNG chunk has a bad CRC (damaged or crafted file)")
            if not all(65 <= c <= 90 or 97 <= c <= 122 for c in kind):
                raise Rejected("PNG chunk has an invalid type")
            pos = end + 4
            if not seen_ihdr:
                if kind != b"IHDR" or length != 13:
                    raise Rejected("PNG does not start with a valid IHDR")
                width, height = struct.unpack_from(">II", data, body)
                check_pixels(width, height, limits, "PNG image")
                seen_ihdr = True
            if kind == b"IEND":
                out.append(view[start:pos])
                break
            if kind in _KEEP:
                if kind == b"IHDR" and seen_idat:
                    raise Rejected("PNG has a second IHDR")
                if kind == b"fcTL" and length >= 12:
                    fw, fh = struct.unpack_from(">II", data, body + 4)
                    check_pixels(fw, fh, limits, "APNG frame")
                seen_idat = seen_idat or kind == b"IDAT"
                out.append(view[start:pos])
            elif kind == b"iCCP":
                out.extend(self._iccp(data[body:end], limits.max_metadata_bytes, report))
            elif kind == b"eXIf":
                check_metadata_size(length, limits, "PNG eXIf")
                found = _exif.record_exif(data[body:end], report.remove)
                orientation = orientation or found
            elif kind in _TEXT:
                keyword = data[body : min(end, body + 80)].split(b"\x00", 1)[0]
                name = keyword.decode("latin-1") if _SAFE_KEYWORD.match(keyword) else "(keyword)"
                report.remove(f"PNG:{kind.decode()}", name)
            elif kind[0] & 0x20 == 0:
                # Uppercase first letter = critical: a decoder must understand
                # it to display the image, so we can neither copy nor drop it.
                raise Rejected("PNG has an unknown critical chunk")
            else:
                report.remove("PNG", kind.decode("ascii"))
        if not seen_idat:
            raise Rejected("PNG has no image data")
        if pos < n:
            report.remove("PNG", "TrailingData")
        if orientation is not None and orientation != 1:
            # eXIf must precede the first IDAT; IHDR is always out[1].
            out.insert(2, _chunk(b"eXIf", _exif.orientation_block(orientation)))
            report.kept.append("EXIF:Orientation")
        return b"".join(out)

    @staticmethod
    def _iccp(payload: bytes, max_bytes: int, report: Report) -> list[bytes]:
        name, sep, rest = payload.partition(b"\x00")
        if name != ICC_NAME:
            report.remove("PNG:iCCP", "ProfileName")
        try:
            if not sep or not rest or rest[0] != 0:
                raise IccError("unknown iCCP compression")
            inflater = zlib.decompressobj()
            # Bounded inflate: a crafted iCCP is a classic decompression bomb.
            profile = inflater.decompress(rest[1:], max_bytes + 1)
            if len(profile) > max_bytes or inflater.unconsumed_tail:
                raise Rejected("PNG colour profile inflates beyond the limit")
            cleaned = neutralise(profile, report.remove)
        except (IccError, zlib.error, struct.error):
            report.remove("ICC", "(malformed profile)")
            report.warnings.append("the ICC colour profile was malformed and was removed")
            return []
        report.kept.append("ICC:colour data (description and device fields neutralised)")
        return [_chunk(b"iCCP", ICC_NAME + b"\x00\x00" + zlib.compress(cleaned, 9))]


SCRUBBER = PngScrubber()
