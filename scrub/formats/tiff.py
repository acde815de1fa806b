"""TIFF: rewrite every page from an allowlist of image-structure tags; strips/tiles byte-exact.

Kept per page (no page is ever dropped): dimensions, sample layout,
compression and its parameters (predictor, JPEG tables, T4/T6 options),
photometric interpretation, colour map, YCbCr and colorimetry tags,
resolution, page number, Orientation (reported as kept when not "normal"),
and the ICC profile, neutralised (scrub.icc). Strip/tile offsets are
rewritten; the bytes they point at are copied unchanged.
Dropped: Make, Model, Software, Artist, HostComputer, DocumentName, PageName,
ImageDescription, DateTime, Copyright, XMP, IPTC, Photoshop resources, the
EXIF and GPS IFDs, GeoTIFF tags (a location), FreeOffsets (leftover bytes),
SubIFDs, and every private or unknown tag. Unused bytes between structures
(where old metadata often lingers) are not carried over: the file is rebuilt.
Not cleaned (said so): BigTIFF, old-style JPEG (compression 6) and DNG raw
files, whose image data live in structures this rewrite does not carry.

Must never: drop a page, change a strip or tile byte, or read outside the file.
"""

from __future__ import annotations

import struct

from scrub.base import Outcome, Profile, Rejected, Report, ScrubError
from scrub.formats import _exif, _irb, _xmp
from scrub.icc import IccError, neutralise
from scrub.limits import check_count, check_metadata_size, check_pixels

# Image-structure tags (TIFF 6.0 baseline + extensions that affect decoding/display).
_KEEP = frozenset(
    {
        254,  # NewSubfileType
        255,  # SubfileType
        256,  # ImageWidth
        257,  # ImageLength
        258,  # BitsPerSample
        259,  # Compression
        262,  # PhotometricInterpretation
        263,  # Threshholding
        266,  # FillOrder
        274,  # Orientation
        277,  # SamplesPerPixel
        278,  # RowsPerStrip
        279,  # StripByteCounts
        280,  # MinSampleValue
        281,  # MaxSampleValue
        282,  # XResolution
        283,  # YResolution
        284,  # PlanarConfiguration
        292,  # T4Options
        293,  # T6Options
        296,  # ResolutionUnit
        297,  # PageNumber
        301,  # TransferFunction
        317,  # Predictor
        318,  # WhitePoint
        319,  # PrimaryChromaticities
        320,  # ColorMap
        321,  # HalftoneHints
        322,  # TileWidth
        323,  # TileLength
        325,  # TileByteCounts
        332,  # InkSet
        334,  # NumberOfInks
        336,  # DotRange
        338,  # ExtraSamples
        339,  # SampleFormat
        340,  # SMinSampleValue
        341,  # SMaxSampleValue
        347,  # JPEGTables
        529,  # YCbCrCoefficients
        530,  # YCbCrSubSampling
        531,  # YCbCrPositioning
        532,  # ReferenceBlackWhite
    }
)
STRIP_OFFSETS, STRIP_COUNTS, TILE_OFFSETS, TILE_COUNTS = 273, 279, 324, 325
ICC_TAG, XMP_TAG, IPTC_TAG, IRB_TAG = 34675, 700, 33723, 34377
DNG_VERSION = 50706
_OLD_JPEG = frozenset({513, 514})


def _ints(buf: bytes, endian: str, entry: _exif.Entry) -> list[int]:
    if entry.type not in (3, 4, 13):
        raise Rejected("TIFF offset or count tag has the wrong type")
    fmt = "H" if entry.type == 3 else "I"
    size = entry.value_size()
    if size > len(buf):
        raise Rejected("TIFF tag value larger than the file")
    pos = entry.value_pos(buf, endian)
    return list(struct.unpack_from(f"{endian}{entry.count}{fmt}", buf, pos))


def _raw(buf: bytes, endian: str, entry: _exif.Entry) -> bytes:
    size = entry.value_size()
    if entry.type not in _exif.TYPE_SIZES or size > len(buf):
        raise Rejected("TIFF tag has an unknown type or an impossible size")
    pos = entry.value_pos(buf, endian)
    return buf[pos : pos + size]


def _record_sub_ifd(buf: bytes, endian: str, offset: int, place: str, report: Report) -> None:
    """Name the tags of an EXIF/GPS sub-IFD we drop (and its Interop IFD)."""
    gps = place == "EXIF:GPS"
    try:
        entries, _ = _exif.read_ifd(buf, endian, offset)
        for entry in entries:
            if entry.tag == _exif.INTEROP_IFD:
                sub = _exif.short_value(buf, endian, entry)
                if sub and sub != offset:
                    inner, _ = _exif.read_ifd(buf, endian, sub)
                    for e in inner:
                        report.remove("EXIF", _exif.tag_name(e.tag))
                continue
            report.remove("EXIF", _exif.tag_name(entry.tag, gps=gps))
    except (_exif.ExifError, struct.error):
        report.remove("EXIF", "(unreadable sub-IFD)")


class TiffScrubber:
    type_name = "tiff"

    def scrub(self, untrusted_data: bytes, profile: Profile, report: Report) -> bytes:
        buf = untrusted_data
        limits = profile.limits
        if buf[:4] in (b"II+\x00", b"MM\x00+"):
            raise ScrubError("BigTIFF files are not supported yet", outcome=Outcome.NOT_CLEANED)
        try:
            endian, ifd_offset = _exif.header(buf)
        except _exif.ExifError:
            raise Rejected("not a TIFF file") from None
        out = bytearray(buf[:4] + b"\x00\x00\x00\x00")
        next_ptr = 4
        seen: set[int] = set()
        page = 0
        try:
            while ifd_offset:
                if ifd_offset in seen:
                    raise Rejected("TIFF page chain loops")
                seen.add(ifd_offset)
                page += 1
                check_count(page, limits.max_frames, "TIFF pages")
                entries, following = _exif.read_ifd(buf, endian, ifd_offset)
                next_ptr = self._page(
                    buf,
                    endian,
                    entries=entries,
                    page=page,
                    out=out,
                    next_ptr=next_ptr,
                    profile=profile,
                    report=report,
                )
                ifd_offset = following
        except (_exif.ExifError, struct.error):
            raise Rejected("TIFF structure is malformed") from None
        if page == 0:
            raise Rejected("TIFF has no pages")
        return bytes(out)

    def _page(
        self,
        buf: bytes,
        endian: str,
        *,
        entries: list[_exif.Entry],
        page: int,
        out: bytearray,
        next_ptr: int,
        profile: Profile,
        report: Report,
    ) -> int:
        limits = profile.limits
        tags = {e.tag: e for e in entries}
        if DNG_VERSION in tags:
            raise ScrubError("DNG raw files are not supported yet", outcome=Outcome.NOT_CLEANED)
        compression = _exif.short_value(buf, endian, tags[259]) if 259 in tags else 1
        if compression == 6 or _OLD_JPEG & tags.keys():
            raise ScrubError("old-style JPEG-in-TIFF is not supported", outcome=Outcome.NOT_CLEANED)
        if 256 not in tags or 257 not in tags:
            raise Rejected("TIFF page has no dimensions")
        width = _exif.short_value(buf, endian, tags[256]) or 0
        height = _exif.short_value(buf, endian, tags[257]) or 0
        check_pixels(width, height, limits, "TIFF page")
        if STRIP_OFFSETS in tags and STRIP_COUNTS in tags:
            offsets_tag, counts_tag = STRIP_OFFSETS, STRIP_COUNTS
        elif TILE_OFFSETS in tags and TILE_COUNTS in tags:
            offsets_tag, counts_tag = TILE_OFFSETS, TILE_COUNTS
        else:
            raise Rejected("TIFF page has no image data")
        offsets = _ints(buf, endian, tags[offsets_tag])
        counts = _ints(buf, endian, tags[counts_tag])
        if len(offsets) != len(counts):
            raise Rejected("TIFF strip offsets and counts disagree")
        check_count(len(offsets), limits.max_segments, "TIFF strips")
        # Copy image data first, byte for byte, each piece word-aligned.
        new_offsets = []
        for offset, count in zip(offsets, counts, strict=True):
            if offset + count > len(buf):
                raise Rejected("TIFF strip runs past the end of the file")
            if len(out) % 2:
                out.append(0)
            new_offsets.append(len(out))
            out += buf[offset : offset + count]
        kept: list[tuple[int, int, int, bytes]] = []
        for entry in entries:
            tag = entry.tag
            if tag in _KEEP:
                kept.append((tag, entry.type, entry.count, _raw(buf, endian, entry)))
                if tag == _exif.ORIENTATION:
                    value = _exif.short_value(buf, endian, entry)
                    if value not in (None, 1):
                        report.kept.append("TIFF:Orientation")
                if tag == 254 and (_exif.short_value(buf, endian, entry) or 0) & 1:
                    report.warnings.append(
                        f"page {page} is a reduced-resolution copy (thumbnail); it is kept "
                        "because it is part of the file and may show an uncropped version"
                    )
            elif tag == offsets_tag:
                packed = struct.pack(f"{endian}{len(new_offsets)}I", *new_offsets)
                kept.append((tag, 4, len(new_offsets), packed))
            elif tag == ICC_TAG:
                icc = self._icc(buf, endian, entry, profile, report)
                if icc is not None:
                    kept.append((tag, 7, len(icc), icc))
            else:
                self._record_dropped(buf, endian, entry, profile, report)
        if len(out) % 2:
            out.append(0)
        ifd_pos = len(out)
        kept.sort()
        ifd = bytearray(struct.pack(endian + "H", len(kept)))
        values = bytearray()
        values_start = ifd_pos + 2 + 12 * len(kept) + 4
        for tag, typ, count, raw in kept:
            if len(raw) <= 4:
                field = raw.ljust(4, b"\x00")
            else:
                if len(values) % 2:
                    values.append(0)
                field = struct.pack(endian + "I", values_start + len(values))
                values += raw
            ifd += struct.pack(endian + "HHI", tag, typ, count) + field
        ifd += b"\x00\x00\x00\x00"
        struct.pack_into(endian + "I", out, next_ptr, ifd_pos)
        out += ifd + values
        if len(out) > 0xFFFFFFFF:
            raise ScrubError("rebuilt TIFF would exceed 4 GiB", outcome=Outcome.NOT_CLEANED)
        return ifd_pos + 2 + 12 * len(kept)

    @staticmethod
    def _icc(
        buf: bytes, endian: str, entry: _exif.Entry, profile: Profile, report: Report
    ) -> bytes | None:
        check_metadata_size(entry.value_size(), profile.limits, "TIFF ICC profile")
        try:
            cleaned = neutralise(_raw(buf, endian, entry), report.remove)
        except (IccError, struct.error, _exif.ExifError):
            report.remove("ICC", "(malformed profile)")
            report.warnings.append("the ICC colour profile was malformed and was removed")
            return None
        if "ICC:colour data (description and device fields neutralised)" not in report.kept:
            report.kept.append("ICC:colour data (description and device fields neutralised)")
        return cleaned

    @staticmethod
    def _record_dropped(
        buf: bytes, endian: str, entry: _exif.Entry, profile: Profile, report: Report
    ) -> None:
        tag = entry.tag
        if tag in (_exif.EXIF_IFD, _exif.GPS_IFD):
            sub = _exif.short_value(buf, endian, entry)
            place = "EXIF" if tag == _exif.EXIF_IFD else "EXIF:GPS"
            if sub:
                _record_sub_ifd(buf, endian, sub, place, report)
            return
        if tag in (XMP_TAG, IPTC_TAG, IRB_TAG):
            check_metadata_size(entry.value_size(), profile.limits, "TIFF metadata block")
            try:
                raw = _raw(buf, endian, entry)
            except (Rejected, _exif.ExifError):
                report.remove("TIFF", _exif.tag_name(tag))
                return
            if tag == XMP_TAG:
                _xmp.record_xmp(raw, report.remove)
            elif tag == IPTC_TAG:
                _irb.record_iptc(raw, report.remove)
            else:
                _irb.record_irb(raw, report.remove)
            return
        report.remove("TIFF", _exif.tag_name(tag))


SCRUBBER = TiffScrubber()
