"""GIF: rebuild from an allowlist of blocks; image data copied byte for byte.

Kept: header, logical screen descriptor and global colour table, every image
(descriptor, local colour table, LZW data), graphic control extensions
(frame delay, transparency, disposal: they change how an animation displays),
and the looping application extension (NETSCAPE2.0 / ANIMEXTS1.0), rebuilt to
hold only the loop count.
Dropped: comment extensions, plain-text extensions (almost no viewer renders
them; they are a hiding place for text), every other application extension
(XMP, ICC, vendor data), unknown extensions, and anything after the trailer.

Must never: decode LZW data, or copy an extension it has not rebuilt.
"""

from __future__ import annotations

from scrub.base import Profile, Rejected, Report
from scrub.limits import check_count, check_pixels

_LOOP_APPS = (b"NETSCAPE2.0", b"ANIMEXTS1.0")


def _skip_sub_blocks(data: bytes, pos: int) -> int:
    """Position just after the zero-length terminator of a sub-block chain."""
    n = len(data)
    while True:
        if pos >= n:
            raise Rejected("GIF is truncated inside a data block")
        size = data[pos]
        pos += 1 + size
        if size == 0:
            return pos


def _table_size(flags: int) -> int:
    return 3 * (2 << (flags & 0x07)) if flags & 0x80 else 0


class GifScrubber:
    type_name = "gif"

    def scrub(self, untrusted_data: bytes, profile: Profile, report: Report) -> bytes:
        data = untrusted_data
        limits = profile.limits
        if len(data) < 13 or data[:6] not in (b"GIF87a", b"GIF89a"):
            raise Rejected("not a GIF file")
        view = memoryview(data)
        width, height = int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
        check_pixels(width, height, limits, "GIF screen")
        pos = 13 + _table_size(data[10])
        if pos > len(data):
            raise Rejected("GIF is truncated in its colour table")
        out: list[bytes | memoryview] = [view[:pos]]
        frames = blocks = 0
        n = len(data)
        while True:
            blocks += 1
            check_count(blocks, limits.max_segments, "GIF blocks")
            if pos >= n:
                raise Rejected("GIF is truncated (no trailer)")
            intro = data[pos]
            if intro == 0x3B:
                pos += 1
                break
            if intro == 0x2C:
                if pos + 10 > n:
                    raise Rejected("GIF is truncated in an image descriptor")
                fw = int.from_bytes(data[pos + 5 : pos + 7], "little")
                fh = int.from_bytes(data[pos + 7 : pos + 9], "little")
                check_pixels(fw, fh, limits, "GIF frame")
                frames += 1
                check_count(frames, limits.max_frames, "GIF frames")
                start = pos
                pos += 10 + _table_size(data[pos + 9])
                pos += 1  # LZW minimum code size
                pos = _skip_sub_blocks(data, pos)
                out.append(view[start:pos])
            elif intro == 0x21:
                if pos + 2 > n:
                    raise Rejected("GIF is truncated in an extension")
                label = data[pos + 1]
                start = pos
                end = _skip_sub_blocks(data, pos + 2)
                if label == 0xF9:
                    out.append(view[start:end])
                elif label == 0xFF:
                    out.append(self._application(data, pos + 2, end, report))
                elif label == 0xFE:
                    report.remove("GIF", "Comment")
                elif label == 0x01:
                    report.remove("GIF", "PlainText")
                else:
                    report.remove("GIF", f"Extension0x{label:02X}")
                pos = end
            else:
                raise Rejected("GIF has an unknown block")
        if frames == 0:
            raise Rejected("GIF has no image")
        if pos < n:
            report.remove("GIF", "TrailingData")
        out.append(b"\x3b")
        return b"".join(out)

    @staticmethod
    def _application(data: bytes, pos: int, end: int, report: Report) -> bytes:
        ident = data[pos + 1 : pos + 12] if data[pos] == 11 else b""
        if ident in _LOOP_APPS:
            sub = pos + 12
            # Loop sub-block: size 3, id 1, little-endian loop count.
            if sub + 4 <= end and data[sub] == 3 and data[sub + 1] == 1:
                report.kept.append("GIF:LoopCount")
                return b"\x21\xff\x0bNETSCAPE2.0\x03\x01" + data[sub + 2 : sub + 4] + b"\x00"
        names = {b"XMP DataXMP": "XMP", b"ICCRGBG1012": "ICCProfile"}
        report.remove("GIF:Application", names.get(ident, "ApplicationData"))
        return b""


SCRUBBER = GifScrubber()
