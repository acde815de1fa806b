"""Image samples for the contract test: Pillow builds the pixels, exiftool and raw
segment/chunk writers plant a unique marker in every place the issue lists.

Places planted: EXIF IFD0 (Make, Model, Artist, Software...), EXIF sub-IFD
(SerialNumber, LensSerialNumber, UserComment), GPS (GPSAreaInformation,
GPSProcessingMethod, plus coordinates), MakerNote, EXIF thumbnail (its own
COM), XMP, extended XMP, IPTC, Photoshop IRB, ICC description/copyright/
device text, MPF secondary image, JUMBF/C2PA, FlashPix, unknown APPn, COM,
trailing data; PNG text chunks, eXIf, tIME, private chunks, iCCP name, after
IEND; GIF comment/XMP/plain text/after trailer; WebP EXIF/XMP/ICCP/unknown/
trailing; TIFF IFD tags on every page, EXIF/GPS IFDs, XMP, IPTC.
"""

from __future__ import annotations

import io
import os
import random
import struct
import zlib
from pathlib import Path

from PIL import Image, ImageCms, ImageOps, ImageSequence

from scrub.base import Outcome
from tests.scrub.corpus import HostileSample, Sample, exiftool_write, generator, hostile, marker

_RANDOM = random.Random(1234)  # fixed seed: reproducible pixels


def _pixels(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    bands = len(mode) if mode != "P" else 1
    raw = bytes(_RANDOM.getrandbits(8) for _ in range(size[0] * size[1] * bands))
    return Image.frombytes(mode, size, raw)


def _mluc(text: str) -> bytes:
    encoded = text.encode("utf-16-be")
    return (
        b"mluc\0\0\0\0"
        + struct.pack(">II", 1, 12)
        + b"enUS"
        + struct.pack(">II", len(encoded), 28)
        + encoded
    )


def icc_with_markers(tag: str) -> bytes:
    """Pillow's sRGB profile: desc/cprt/dmnd/dmdd hold markers, the header names a device."""
    base = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    (count,) = struct.unpack_from(">I", base, 128)
    tags = []
    for i in range(count):
        sig, off, size = struct.unpack_from(">4sII", base, 132 + 12 * i)
        if sig not in (b"desc", b"cprt"):
            tags.append((sig, base[off : off + size]))
    for sig, name in (
        (b"desc", "IccDesc"),
        (b"cprt", "IccCprt"),
        (b"dmnd", "IccDmnd"),
        (b"dmdd", "IccDmdd"),
    ):
        tags.append((sig, _mluc(marker(tag + name))))
    table_end = 132 + 12 * len(tags)
    body = b""
    table = struct.pack(">I", len(tags))
    for sig, blob in tags:
        while (table_end + len(body)) % 4:
            body += b"\0"
        table += struct.pack(">4sII", sig, table_end + len(body), len(blob))
        body += blob
    header = bytearray(base[:128])
    header[48:52] = b"MKDV"
    header[52:56] = b"MKMD"
    out = header + table + body
    struct.pack_into(">I", out, 0, len(out))
    return bytes(out)


def _app(marker_byte: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker_byte)) + struct.pack(">H", len(payload) + 2) + payload


def insert_after_soi(jpeg: bytes, *segments: bytes) -> bytes:
    return jpeg[:2] + b"".join(segments) + jpeg[2:]


def frames(data: bytes) -> list[tuple[str, tuple[int, int], bytes]]:
    with Image.open(io.BytesIO(data)) as img:
        return [(f.mode, f.size, f.tobytes()) for f in ImageSequence.Iterator(img)]


def same_pixels(before: bytes, after: bytes) -> None:
    """Every decoded frame identical, and the displayed (orientation-applied) image too."""
    assert frames(before) == frames(after), "decoded pixels changed"
    with Image.open(io.BytesIO(before)) as a, Image.open(io.BytesIO(after)) as b:
        assert ImageOps.exif_transpose(a).tobytes() == ImageOps.exif_transpose(b).tobytes(), (
            "displayed orientation changed"
        )


def _camera_exif(tag: str, orientation: int = 6) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = marker(tag + "Make")
    exif[0x0110] = marker(tag + "Model")
    exif[0x013B] = marker(tag + "Artist")
    exif[0x0131] = marker(tag + "Software")
    exif[0x0112] = orientation
    sub = exif.get_ifd(0x8769)
    sub[0xA431] = marker(tag + "BodySerial")
    sub[0x927C] = ("MAKERNOTE" + marker(tag + "MakerNote")).encode()
    return exif


_EXIFTOOL_ARGS = (
    "-GPSLatitude=51.5007",
    "-GPSLatitudeRef=N",
    "-GPSLongitude=0.1246",
    "-GPSLongitudeRef=W",
)


def _exiftool_markers(tag: str) -> list[str]:
    return [
        f"-GPSAreaInformation={marker(tag + 'GpsArea')}",
        f"-GPSProcessingMethod={marker(tag + 'GpsMethod')}",
        f"-LensSerialNumber={marker(tag + 'LensSerial')}",
        f"-UserComment={marker(tag + 'UserComment')}",
        f"-XMP-dc:Creator={marker(tag + 'XmpCreator')}",
        f"-XMP-photoshop:City={marker(tag + 'XmpCity')}",
        f"-XMP-xmpMM:DocumentID={marker(tag + 'XmpDocId')}",
    ]


def _markers(tag: str, names: list[str]) -> tuple[str, ...]:
    return tuple(marker(tag + n) for n in names)


_EXIF_NAMES = ["Make", "Model", "Artist", "Software", "BodySerial", "MakerNote"]
_TOOL_NAMES = [
    "GpsArea",
    "GpsMethod",
    "LensSerial",
    "UserComment",
    "XmpCreator",
    "XmpCity",
    "XmpDocId",
]
_ICC_NAMES = ["IccDesc", "IccCprt", "IccDmnd", "IccDmdd"]


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _jumbf(text: str) -> bytes:
    """A well-formed JUMBF (C2PA-style) APP11 payload: superbox with a label and a JSON box."""
    description = _box(b"jumd", b"c2pa" + b"\0\x11\0\x10\x80\0\0\xaa\08\x9bq" + b"\x03c2pa\0")
    content = _box(b"json", ('{"claim": "' + text + '"}').encode())
    return b"JP\0\x01\0\0\0\x01" + _box(b"jumb", description + content)


@generator("jpeg-camera")
def _jpeg_camera(tmp: Path) -> Sample:
    tag = "Jcam"
    img = _pixels((96, 64))
    buf = io.BytesIO()
    img.save(
        buf,
        "JPEG",
        quality=92,
        exif=_camera_exif(tag),
        icc_profile=icc_with_markers(tag),
        comment=marker(tag + "Com").encode(),
    )
    thumb = io.BytesIO()
    _pixels((16, 16)).save(thumb, "JPEG", comment=marker(tag + "Thumb").encode())
    (tmp / "thumb.jpg").write_bytes(thumb.getvalue())
    data = exiftool_write(
        tmp,
        buf.getvalue(),
        ".jpg",
        *_EXIFTOOL_ARGS,
        *_exiftool_markers(tag),
        f"-IPTC:By-line={marker(tag + 'IptcByline')}",
        f"-IPTC:City={marker(tag + 'IptcCity')}",
        f"-ThumbnailImage<={tmp / 'thumb.jpg'}",
    )
    # Raw places exiftool does not write for us.
    ext_xmp = b"http://ns.adobe.com/xmp/extension/\0" + b"0" * 32 + struct.pack(">II", 40, 0)
    ext_xmp += marker(tag + "ExtXmp").encode()
    secondary = io.BytesIO()
    _pixels((32, 32)).save(secondary, "JPEG", comment=marker(tag + "Mpf2").encode())
    data = insert_after_soi(
        data,
        _app(0xE1, ext_xmp),
        # A well-formed, empty MP index (a garbage one sends exiftool into
        # a minute-long scan), with the marker after it.
        _app(0xE2, b"MPF\0MM\0*\0\0\0\x08\0\0\0\0\0\0" + marker(tag + "Mpf").encode()),
        _app(0xEB, _jumbf(marker(tag + "C2pa"))),
        _app(0xE2, b"FPXR\0" + marker(tag + "Fpxr").encode()),
        _app(0xE9, b"VENDOR\0" + marker(tag + "App9").encode()),
    )
    data += secondary.getvalue() + marker(tag + "Trail").encode()
    names = [
        *_EXIF_NAMES,
        *_TOOL_NAMES,
        *_ICC_NAMES,
        "Com",
        "Thumb",
        "IptcByline",
        "IptcCity",
        "ExtXmp",
        "Mpf",
        "Mpf2",
        "C2pa",
        "Fpxr",
        "App9",
        "Trail",
    ]
    return Sample(
        kind="jpeg",
        data=data,
        markers=_markers(tag, names),
        same_content=same_pixels,
        expect_kept=("EXIF:Orientation",),
        expect_removed=(
            "EXIF:Make",
            "EXIF:GPSLatitude",
            "EXIF:MakerNote",
            "XMP:dc:creator",
            "IPTC:By-line",
            "JPEG:Comment",
            "JPEG:TrailingData",
            "ICC:ProfileDescription",
        ),
    )


@generator("jpeg-progressive-cmyk")
def _jpeg_cmyk(tmp: Path) -> Sample:
    tag = "Jcmyk"
    buf = io.BytesIO()
    _pixels((48, 40), "CMYK").save(
        buf, "JPEG", quality=90, progressive=True, exif=_camera_exif(tag, orientation=3)
    )
    data = exiftool_write(tmp, buf.getvalue(), ".jpg", *_exiftool_markers(tag))
    return Sample(
        kind="jpeg",
        data=data,
        markers=_markers(tag, [*_EXIF_NAMES, *_TOOL_NAMES]),
        same_content=same_pixels,
        expect_kept=("EXIF:Orientation",),
    )


@generator("jpeg-restart-grey")
def _jpeg_grey(tmp: Path) -> Sample:
    tag = "Jgrey"
    buf = io.BytesIO()
    exif = _camera_exif(tag, orientation=1)
    _pixels((80, 80), "L").save(buf, "JPEG", quality=75, exif=exif, restart_marker_blocks=2)
    return Sample(
        kind="jpeg",
        data=buf.getvalue(),
        markers=_markers(tag, _EXIF_NAMES),
        same_content=same_pixels,
    )


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload))
    )


def insert_png_chunks(png: bytes, *chunks: bytes) -> bytes:
    """Insert chunks right after IHDR (8-byte signature + 25-byte IHDR)."""
    return png[:33] + b"".join(chunks) + png[33:]


@generator("png-text-exif-icc")
def _png(tmp: Path) -> Sample:
    tag = "Png"
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", marker(tag + "Text"))
    info.add_text("Comment", marker(tag + "Ztxt"), zip=True)
    info.add_itxt("Description", marker(tag + "Itxt"), lang="en", tkey="Beschreibung")
    buf = io.BytesIO()
    _pixels((50, 30), "RGBA").save(
        buf, "PNG", pnginfo=info, exif=_camera_exif(tag), icc_profile=icc_with_markers(tag)
    )
    data = buf.getvalue()
    # iCCP's profile *name* as a marker: rewrite the chunk Pillow wrote.
    start = data.index(b"iCCP") - 4
    (length,) = struct.unpack_from(">I", data, start)
    old = data[start + 8 : start + 8 + length]
    new = marker(tag + "IccName")[:40].encode() + old[old.index(b"\0") :]
    data = data[:start] + _png_chunk(b"iCCP", new) + data[start + 12 + length :]
    data = insert_png_chunks(
        data,
        _png_chunk(b"tIME", b"\x07\xe8\x01\x02\x03\x04\x05"),
        _png_chunk(b"prVt", marker(tag + "Private").encode()),
    )
    data += marker(tag + "AfterIend").encode()
    names = [*_EXIF_NAMES, *_ICC_NAMES, "Text", "Ztxt", "Itxt", "IccName", "Private", "AfterIend"]
    return Sample(
        kind="png",
        data=data,
        markers=_markers(tag, names),
        same_content=same_pixels,
        expect_kept=("EXIF:Orientation",),
        expect_removed=("PNG:tEXt:Author", "PNG:prVt", "PNG:tIME"),
    )


@generator("apng-palette")
def _apng(tmp: Path) -> Sample:
    tag = "Apng"
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Software", marker(tag + "Text"))
    pics = [_pixels((24, 24), "P") for _ in range(3)]
    buf = io.BytesIO()
    pics[0].save(
        buf, "PNG", save_all=True, append_images=pics[1:], duration=50, loop=0, pnginfo=info
    )
    return Sample(
        kind="png", data=buf.getvalue(), markers=_markers(tag, ["Text"]), same_content=same_pixels
    )


def _gif_ext(label: int, ident: bytes, payload: bytes) -> bytes:
    blocks = b"".join(
        bytes((len(payload[i : i + 255]),)) + payload[i : i + 255]
        for i in range(0, len(payload), 255)
    )
    head = bytes((len(ident),)) + ident if ident else b""
    return b"\x21" + bytes((label,)) + head + blocks + b"\x00"


@generator("gif-animated")
def _gif(tmp: Path) -> Sample:
    tag = "Gif"
    pics = [_pixels((30, 20), "P") for _ in range(3)]
    buf = io.BytesIO()
    pics[0].save(
        buf,
        "GIF",
        save_all=True,
        append_images=pics[1:],
        duration=80,
        loop=0,
        comment=marker(tag + "Com").encode(),
    )
    data = buf.getvalue()
    extra = (
        _gif_ext(0xFF, b"XMP DataXMP", marker(tag + "Xmp").encode())
        + _gif_ext(0x01, b"", b"\x00" * 12 + marker(tag + "PlainText").encode())
        + _gif_ext(0xFF, b"VENDORAPP1.0", marker(tag + "App").encode())
    )
    data = data[:-1] + extra + b"\x3b" + marker(tag + "Trail").encode()
    return Sample(
        kind="gif",
        data=data,
        markers=_markers(tag, ["Com", "Xmp", "PlainText", "App", "Trail"]),
        same_content=same_pixels,
        expect_removed=("GIF:Comment", "GIF:PlainText"),
    )


def _webp_with(tag: str, *, lossless: bool, animated: bool) -> bytes:
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="'
        + marker(tag + "Xmp")
        + '"/></rdf:RDF></x:xmpmeta>'
    ).encode()
    buf = io.BytesIO()
    kwargs = {
        "lossless": lossless,
        "exif": _camera_exif(tag),
        "icc_profile": icc_with_markers(tag),
        "xmp": xmp,
    }
    if animated:
        pics = [_pixels((20, 20)) for _ in range(3)]
        pics[0].save(buf, "WEBP", save_all=True, append_images=pics[1:], duration=60, **kwargs)
    else:
        _pixels((40, 24), "RGBA").save(buf, "WEBP", **kwargs)
    data = buf.getvalue()
    unknown = (
        b"ZZZZ" + struct.pack("<I", len(marker(tag + "Unknown"))) + marker(tag + "Unknown").encode()
    )
    if len(unknown) % 2:
        unknown += b"\0"
    data = data[:12] + data[12:] + unknown
    data = b"RIFF" + struct.pack("<I", len(data) - 8) + data[8:]
    return data + marker(tag + "Trail").encode()


@generator("webp-lossless-alpha")
def _webp_lossless(tmp: Path) -> Sample:
    tag = "Wll"
    return Sample(
        kind="webp",
        data=_webp_with(tag, lossless=True, animated=False),
        markers=_markers(tag, [*_EXIF_NAMES, *_ICC_NAMES, "Xmp", "Unknown", "Trail"]),
        same_content=same_pixels,
        expect_kept=("EXIF:Orientation",),
    )


@generator("webp-lossy-animated")
def _webp_anim(tmp: Path) -> Sample:
    tag = "Wan"
    return Sample(
        kind="webp",
        data=_webp_with(tag, lossless=False, animated=True),
        markers=_markers(tag, [*_EXIF_NAMES, *_ICC_NAMES, "Xmp", "Unknown", "Trail"]),
        same_content=same_pixels,
        expect_kept=("EXIF:Orientation",),
    )


def _tiff_pages(data: bytes) -> list[tuple[str, tuple[int, int], bytes, object]]:
    with Image.open(io.BytesIO(data)) as img:
        return [
            (f.mode, f.size, f.tobytes(), f.tag_v2.get(274)) for f in ImageSequence.Iterator(img)
        ]


def same_tiff(before: bytes, after: bytes) -> None:
    assert _tiff_pages(before) == _tiff_pages(after), "TIFF pages, pixels or orientation changed"


@generator("tiff-multipage-lzw")
def _tiff(tmp: Path) -> Sample:
    tag = "Tif"
    pages = [_pixels((40 + i, 30)) for i in range(3)]
    buf = io.BytesIO()
    pages[0].save(
        buf,
        "TIFF",
        save_all=True,
        append_images=pages[1:],
        compression="tiff_lzw",
        icc_profile=icc_with_markers(tag),
    )
    data = exiftool_write(
        tmp,
        buf.getvalue(),
        ".tif",
        *_EXIFTOOL_ARGS,
        *_exiftool_markers(tag),
        f"-Make={marker(tag + 'Make')}",
        f"-Model={marker(tag + 'Model')}",
        f"-Software={marker(tag + 'Software')}",
        f"-Artist={marker(tag + 'Artist')}",
        f"-HostComputer={marker(tag + 'Host')}",
        f"-DocumentName={marker(tag + 'DocName')}",
        f"-PageName={marker(tag + 'PageName')}",
        f"-ImageDescription={marker(tag + 'Desc')}",
        f"-IPTC:By-line={marker(tag + 'Iptc')}",
        "-Orientation#=6",
        # Every page, not just the first: exiftool's IFD1/IFD2 groups.
        f"-IFD1:Software={marker(tag + 'Page2Software')}",
        f"-IFD2:Artist={marker(tag + 'Page3Artist')}",
    )
    names = [
        *_TOOL_NAMES,
        *_ICC_NAMES,
        "Make",
        "Model",
        "Software",
        "Artist",
        "Host",
        "DocName",
        "PageName",
        "Desc",
        "Iptc",
        "Page2Software",
        "Page3Artist",
    ]
    return Sample(
        kind="tiff",
        data=data,
        markers=_markers(tag, names),
        same_content=same_tiff,
        expect_kept=("TIFF:Orientation",),
        expect_removed=("TIFF:Make", "TIFF:HostComputer", "EXIF:GPSLatitude"),
    )


@generator("tiff-jpeg")
def _tiff_jpeg(tmp: Path) -> Sample:
    tag = "Tjp"
    buf = io.BytesIO()
    _pixels((64, 48)).save(buf, "TIFF", compression="jpeg")
    data = buf.getvalue()
    data = exiftool_write(
        tmp, data, ".tif", f"-Make={marker(tag + 'Make')}", f"-Software={marker(tag + 'Software')}"
    )
    return Sample(
        kind="tiff", data=data, markers=_markers(tag, ["Make", "Software"]), same_content=same_tiff
    )


@generator("tiff-16bit-bigendian")
def _tiff_be(tmp: Path) -> Sample:
    tag = "Tbe"
    raw = bytes(_RANDOM.getrandbits(8) for _ in range(40 * 20 * 2))
    img = Image.frombytes("I;16B", (40, 20), raw)
    buf = io.BytesIO()
    img.save(buf, "TIFF")
    assert buf.getvalue()[:2] == b"MM"
    data = exiftool_write(
        tmp,
        buf.getvalue(),
        ".tif",
        f"-Make={marker(tag + 'Make')}",
        f"-Artist={marker(tag + 'Artist')}",
        f"-XMP-dc:Creator={marker(tag + 'Xmp')}",
        "-Orientation#=5",
    )
    return Sample(
        kind="tiff",
        data=data,
        markers=_markers(tag, ["Make", "Artist", "Xmp"]),
        same_content=same_tiff,
        expect_kept=("TIFF:Orientation",),
    )


@generator("text-csv")
def _text(tmp: Path) -> Sample:
    data = "name,value\nalpha,1\nbeta,2\nкириллица,3\n".encode()

    def unchanged(before: bytes, after: bytes) -> None:
        assert before == after

    return Sample(
        kind="text", data=data, markers=(), same_content=unchanged, markers_in_input=False
    )


# ------------------------------------------------------------------ hostile


def _small_jpeg() -> bytes:
    buf = io.BytesIO()
    _pixels((64, 64)).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _small_png() -> bytes:
    buf = io.BytesIO()
    _pixels((32, 32)).save(buf, "PNG")
    return buf.getvalue()


@hostile("jpeg-truncated")
def _h_jpeg_trunc(tmp: Path) -> HostileSample:
    data = _small_jpeg()
    return HostileSample("jpeg", data[: len(data) * 2 // 3], frozenset({Outcome.REJECTED}))


@hostile("jpeg-segment-overflow")
def _h_jpeg_len(tmp: Path) -> HostileSample:
    return HostileSample(
        "jpeg",
        b"\xff\xd8\xff\xe1\xff\xff" + b"Exif\0\0" + b"\0" * 20,
        frozenset({Outcome.REJECTED}),
    )


@hostile("jpeg-huge-frame")
def _h_jpeg_huge(tmp: Path) -> HostileSample:
    data = _small_jpeg()
    sof = data.index(b"\xff\xc0")
    data = data[: sof + 5] + b"\xff\xff\xff\xff" + data[sof + 9 :]
    return HostileSample("jpeg", data, frozenset({Outcome.REJECTED}))


@hostile("jpeg-zip-polyglot")
def _h_polyglot(tmp: Path) -> HostileSample:
    import zipfile

    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as archive:
        archive.writestr("secret.txt", marker("PolyZip"))
    return HostileSample(
        "jpeg",
        _small_jpeg() + zbuf.getvalue(),
        frozenset({Outcome.CLEANED}),
        forbidden=(b"PK\x03\x04", b"PK\x05\x06", marker("PolyZip").encode()),
        note="cleaned: the ZIP after EOI is dropped",
    )


@hostile("jpeg-bad-icc")
def _h_bad_icc(tmp: Path) -> HostileSample:
    data = insert_after_soi(_small_jpeg(), _app(0xE2, b"ICC_PROFILE\0\x01\x01" + b"\xff" * 200))
    return HostileSample("jpeg", data, frozenset({Outcome.CLEANED}), forbidden=(b"ICC_PROFILE",))


@hostile("png-bad-crc")
def _h_png_crc(tmp: Path) -> HostileSample:
    data = bytearray(_small_png())
    data[29] ^= 0xFF  # last byte of the IHDR CRC
    return HostileSample("png", bytes(data), frozenset({Outcome.REJECTED}))


@hostile("png-decompression-bomb")
def _h_png_bomb(tmp: Path) -> HostileSample:
    # 100k x 100k pixels claimed; the IDAT is one small deflate stream of zeros.
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * (1 << 20), 9)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )
    return HostileSample("png", data, frozenset({Outcome.REJECTED}))


@hostile("png-iccp-bomb")
def _h_png_iccp(tmp: Path) -> HostileSample:
    bomb = _png_chunk(b"iCCP", b"x\0\0" + zlib.compress(b"\0" * (64 << 20), 9))
    return HostileSample(
        "png", insert_png_chunks(_small_png(), bomb), frozenset({Outcome.REJECTED})
    )


@hostile("png-truncated")
def _h_png_trunc(tmp: Path) -> HostileSample:
    data = _small_png()
    return HostileSample("png", data[: len(data) // 2], frozenset({Outcome.REJECTED}))


@hostile("gif-no-trailer")
def _h_gif(tmp: Path) -> HostileSample:
    buf = io.BytesIO()
    _pixels((20, 20), "P").save(buf, "GIF")
    return HostileSample("gif", buf.getvalue()[:-5], frozenset({Outcome.REJECTED}))


@hostile("webp-riff-overflow")
def _h_webp(tmp: Path) -> HostileSample:
    buf = io.BytesIO()
    _pixels((20, 20)).save(buf, "WEBP", lossless=True)
    data = bytearray(buf.getvalue())
    data[4:8] = struct.pack("<I", 0xFFFFFFF0)
    return HostileSample("webp", bytes(data), frozenset({Outcome.REJECTED}))


@hostile("tiff-ifd-loop")
def _h_tiff_loop(tmp: Path) -> HostileSample:
    buf = io.BytesIO()
    _pixels((8, 8)).save(buf, "TIFF")
    data = bytearray(buf.getvalue())
    (ifd0,) = struct.unpack_from("<I", data, 4)
    (count,) = struct.unpack_from("<H", data, ifd0)
    struct.pack_into("<I", data, ifd0 + 2 + 12 * count, ifd0)  # next IFD = itself
    return HostileSample("tiff", bytes(data), frozenset({Outcome.REJECTED}))


@hostile("tiff-strip-outside")
def _h_tiff_strip(tmp: Path) -> HostileSample:
    buf = io.BytesIO()
    _pixels((8, 8)).save(buf, "TIFF")
    data = bytearray(buf.getvalue())
    (ifd0,) = struct.unpack_from("<I", data, 4)
    (count,) = struct.unpack_from("<H", data, ifd0)
    for i in range(count):
        pos = ifd0 + 2 + 12 * i
        if struct.unpack_from("<H", data, pos)[0] == 273:
            struct.pack_into("<I", data, pos + 8, 0x7FFFFFF0)
    return HostileSample("tiff", bytes(data), frozenset({Outcome.REJECTED}))


@hostile("random-bytes")
def _h_random(tmp: Path) -> HostileSample:
    return HostileSample(
        "unknown", b"\x00\x9c" + os.urandom(4096), frozenset({Outcome.NOT_CLEANED})
    )


@hostile("empty")
def _h_empty(tmp: Path) -> HostileSample:
    return HostileSample("unknown", b"", frozenset({Outcome.NOT_CLEANED}))


def _heif(tag: str, mode: str = "RGBA") -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="'
        + marker(tag + "Xmp")
        + '"/></rdf:RDF></x:xmpmeta>'
    ).encode()
    buf = io.BytesIO()
    _pixels((64, 48), mode).save(
        buf,
        "HEIF",
        exif=_camera_exif(tag).tobytes(),
        xmp=xmp,
        icc_profile=icc_with_markers(tag),
        quality=90,
    )
    return buf.getvalue()


def same_heif(before: bytes, after: bytes) -> None:
    import pillow_heif

    pillow_heif.register_heif_opener()
    with Image.open(io.BytesIO(before)) as a, Image.open(io.BytesIO(after)) as b:
        # Pillow-heif applies irot/imir when decoding: this compares the displayed image.
        assert (a.mode, a.size, a.tobytes()) == (b.mode, b.size, b.tobytes())


@generator("heif-alpha-exif-xmp-icc")
def _heif_sample(tmp: Path) -> Sample:
    tag = "Heif"
    names = [*_EXIF_NAMES, *_ICC_NAMES, "Xmp"]
    return Sample(
        kind="heif",
        data=_heif(tag),
        markers=_markers(tag, names),
        same_content=same_heif,
        expect_removed=("EXIF:Make", "XMP:dc:creator", "ICC:ProfileDescription"),
    )


@hostile("heif-truncated")
def _h_heif_trunc(tmp: Path) -> HostileSample:
    data = _heif("HeifT")
    return HostileSample("heif", data[: len(data) // 3], frozenset({Outcome.REJECTED}))


@hostile("heif-absurd-box-size")
def _h_heif_box(tmp: Path) -> HostileSample:
    data = bytearray(_heif("HeifB"))
    meta = data.index(b"meta") - 4
    struct.pack_into(">I", data, meta, 0xFFFFFFF0)
    return HostileSample("heif", bytes(data), frozenset({Outcome.REJECTED}))
