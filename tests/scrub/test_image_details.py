"""Format details the shared contract test does not pin down one by one."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image, ImageCms

from scrub.api import scrub_bytes
from scrub.base import Outcome, Report
from scrub.formats import _exif
from scrub.icc import IccError, neutralise


def _jpeg(**kwargs: object) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (9, 9, 9)).save(buf, "JPEG", **kwargs)
    return buf.getvalue()


def _segments(jpeg: bytes) -> list[tuple[int, bytes]]:
    out, pos = [], 2
    while jpeg[pos + 1] != 0xDA:
        marker = jpeg[pos + 1]
        (length,) = struct.unpack_from(">H", jpeg, pos + 2)
        out.append((marker, jpeg[pos + 4 : pos + 2 + length]))
        pos += 2 + length
    return out


def test_orientation_block_is_minimal_and_readable() -> None:
    block = _exif.orientation_block(8)
    assert len(block) == 26
    exif = Image.Exif()
    exif.load(b"Exif\x00\x00" + block)
    assert dict(exif) == {0x0112: 8}
    with pytest.raises(ValueError):
        _exif.orientation_block(9)


def test_jpeg_normal_orientation_leaves_no_exif_at_all() -> None:
    exif = Image.Exif()
    exif[0x0112] = 1
    exif[0x010F] = "make"
    out = scrub_bytes(_jpeg(exif=exif))
    assert out.data is not None
    assert all(m != 0xE1 for m, _ in _segments(out.data))
    assert "EXIF:Orientation" not in out.report.kept


def test_jpeg_jfif_thumbnail_dropped_density_kept() -> None:
    data = _jpeg(dpi=(300, 300))
    app0 = next(p for m, p in _segments(data) if m == 0xE0)
    thumb = bytes([2, 1]) + bytes(2 * 1 * 3)
    hacked = app0[:12] + thumb
    seg = b"\xff\xe0" + struct.pack(">H", len(hacked) + 2) + hacked
    start = data.index(b"\xff\xe0")
    data = data[:start] + seg + data[start + 4 + len(app0) :]
    result = scrub_bytes(data)
    assert result.data is not None
    new_app0 = next(p for m, p in _segments(result.data) if m == 0xE0)
    assert new_app0 == app0[:12] + b"\x00\x00"
    assert "Thumbnail" in result.report.removed["JFIF"]
    assert Image.open(io.BytesIO(result.data)).info["dpi"] == (300, 300)


def test_jpeg_adobe_app14_kept_for_cmyk() -> None:
    buf = io.BytesIO()
    Image.new("CMYK", (16, 16), (1, 2, 3, 4)).save(buf, "JPEG")
    result = scrub_bytes(buf.getvalue())
    assert result.data is not None
    assert any(m == 0xEE and p.startswith(b"Adobe") for m, p in _segments(result.data))


def _icc_v2_with_text() -> bytes:
    def text(sig: bytes, value: bytes) -> tuple[bytes, bytes]:
        return sig, b"text\0\0\0\0" + value + b"\0"

    xyz = b"XYZ \0\0\0\0" + struct.pack(">iii", 63190, 65536, 54061)
    tags = [text(b"desc", b"SMZIccDescQ7"), (b"wtpt", xyz), text(b"targ", b"SMZTargQ7")]
    table_end = 132 + 12 * len(tags)
    table, body = struct.pack(">I", len(tags)), b""
    for sig, blob in tags:
        table += struct.pack(">4sII", sig, table_end + len(body), len(blob))
        body += blob + b"\0" * (-len(blob) % 4)
    header = bytearray(128)
    header[8] = 2
    header[12:24] = b"mntrRGB XYZ "
    header[36:40] = b"acsp"
    header[48:56] = b"SMZDSMZM"
    out = header + table + body
    struct.pack_into(">I", out, 0, len(out))
    return bytes(out)


def test_icc_v2_text_replaced_and_colour_tags_kept() -> None:
    report = Report(detected_type="jpeg")
    cleaned = neutralise(_icc_v2_with_text(), report.remove)
    assert b"SMZ" not in cleaned
    assert b"wtpt" in cleaned and b"desc" in cleaned and b"cprt" in cleaned
    assert {"ProfileDescription", "CharTarget", "DeviceManufacturer", "DeviceModel"} <= set(
        report.removed["ICC"]
    )
    # LittleCMS still reads it, with the neutral description.
    profile = ImageCms.ImageCmsProfile(io.BytesIO(cleaned))
    assert ImageCms.getProfileDescription(profile).strip() == "Embedded colour profile"


@pytest.mark.parametrize("junk", [b"", b"\0" * 131, b"\0" * 200, b"\xff" * 400])
def test_icc_malformed_raises_icc_error(junk: bytes) -> None:
    with pytest.raises(IccError):
        neutralise(junk, Report(detected_type="jpeg").remove)


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload)
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def test_png_unknown_critical_chunk_is_rejected() -> None:
    buf = io.BytesIO()
    Image.new("L", (4, 4)).save(buf, "PNG")
    data = buf.getvalue()
    data = data[:33] + _png_chunk(b"CRIT", b"x") + data[33:]
    result = scrub_bytes(data)
    assert result.report.outcome is Outcome.REJECTED
    assert "critical" in result.report.reason


def test_gif_loop_count_survives() -> None:
    frames = [Image.new("RGB", (8, 8), (60 * i, 255 - 60 * i, 20)) for i in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], loop=3, duration=40)
    result = scrub_bytes(buf.getvalue())
    assert result.data is not None
    before = Image.open(buf)
    out = Image.open(io.BytesIO(result.data))
    assert out.info.get("loop") == 3
    assert out.n_frames == before.n_frames == 3


def test_webp_flags_follow_what_is_kept() -> None:
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "m"
    Image.new("RGBA", (8, 8), (1, 2, 3, 4)).save(buf, "WEBP", lossless=True, exif=exif)
    result = scrub_bytes(buf.getvalue())
    assert result.data is not None
    data = result.data
    assert struct.unpack_from("<I", data, 4)[0] == len(data) - 8
    if data[12:16] == b"VP8X":
        assert data[20] & 0x08 == 0  # no EXIF flag: the EXIF chunk is gone
        assert data[20] & 0x04 == 0  # no XMP flag
    assert b"EXIF" not in data


def test_tiff_orientation_and_resolution_kept_every_page() -> None:
    pages = [Image.new("L", (10, 6 + i), i * 40) for i in range(4)]
    buf = io.BytesIO()
    pages[0].save(
        buf,
        "TIFF",
        save_all=True,
        append_images=pages[1:],
        dpi=(200, 200),
        tiffinfo={274: 3, 305: "SMZSoftwareQ7"},
    )
    result = scrub_bytes(buf.getvalue())
    assert result.data is not None
    assert b"SMZSoftwareQ7" not in result.data
    out = Image.open(io.BytesIO(result.data))
    assert out.n_frames == 4
    assert out.tag_v2.get(274) == 3
    assert out.info["dpi"] == (200, 200)


def test_tiff_bigtiff_is_not_cleaned_with_reason() -> None:
    result = scrub_bytes(b"II+\x00\x08\x00\x00\x00" + b"\x00" * 64)
    assert result.report.outcome is Outcome.NOT_CLEANED
    assert "BigTIFF" in result.report.reason
