"""scrub.sniff: real types from magic bytes, never from names; never raises."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scrub.sniff import TYPES, sniff, sniff_bytes


def _zip(members: dict[str, bytes], first: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        if first:
            archive.writestr(zipfile.ZipInfo(first), members.pop(first))
        for name, body in members.items():
            archive.writestr(name, body, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "png"),
        (b"GIF89a\x01\x00", "gif"),
        (b"GIF87a\x01\x00", "gif"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "webp"),
        (b"RIFF\x10\x00\x00\x00WAVEfmt ", "unknown"),
        (b"II*\x00\x08\x00\x00\x00", "tiff"),
        (b"MM\x00*\x00\x00\x00\x08", "tiff"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "heif"),
        (b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1heic", "heif"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41", "mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  ", "mov"),
        (b"%PDF-1.7\n", "pdf"),
        (b"junk before\n%PDF-1.4\n", "pdf"),
        (b"\x00" * 128 + b"DICM\x02\x00", "dicom"),
        (b"plain text, with commas\n", "text"),
        ("naïve café\n".encode(), "text"),
        (b"\x00\x01\x02binary", "unknown"),
        (b"", "unknown"),
    ],
)
def test_magic_bytes(head: bytes, kind: str) -> None:
    assert sniff(head) == kind


def test_text_cut_mid_character_is_still_text() -> None:
    assert sniff("ж".encode() * 10 + "ж".encode()[:1]) == "text"
    assert sniff_bytes("ж".encode() * 10 + "ж".encode()[:1]) == "unknown"


def test_ooxml_and_odf_are_told_apart_inside_the_zip() -> None:
    docx = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"})
    xlsx = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<x/>"})
    pptx = _zip({"[Content_Types].xml": b"<Types/>", "ppt/presentation.xml": b"<p/>"})
    odt = _zip(
        {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<c/>"},
        first="mimetype",
    )
    plain = _zip({"a.txt": b"hello"})
    assert [sniff_bytes(d) for d in (docx, xlsx, pptx, odt, plain)] == [
        "docx",
        "xlsx",
        "pptx",
        "odt",
        "unknown",
    ]
    assert sniff(odt) == "odt"


def test_a_zip_named_like_a_document_is_still_unknown() -> None:
    # Member names decide, not the outer name: a plain archive is not "clean".
    assert sniff_bytes(_zip({"readme.docx": b"x"})) == "unknown"


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.binary(max_size=600))
def test_sniff_never_raises(data: bytes) -> None:
    assert sniff(data) in TYPES
    assert sniff_bytes(data) in TYPES


@settings(max_examples=200, derandomize=True, deadline=None)
@given(
    st.sampled_from([b"PK\x03\x04", b"\xff\xd8\xff", b"RIFF", b"\x00\x00\x00\x18ftyp", b"II*\x00"]),
    st.binary(max_size=400),
)
def test_sniff_never_raises_on_magic_prefixes(prefix: bytes, rest: bytes) -> None:
    assert sniff(prefix + rest) in TYPES
    assert sniff_bytes(prefix + rest) in TYPES


@pytest.mark.parametrize(
    "data",
    [
        b"{\\rtf1\\ansi{\\info{\\author MARKER}}hello}",
        b'<?xml version="1.0"?><x creator="MARKER"/>',
        b"\xef\xbb\xbf<svg xmlns='http://www.w3.org/2000/svg'><metadata>MARKER</metadata></svg>",
        b"<!DOCTYPE html><html><head><meta name='author' content='MARKER'></head></html>",
        b"%!PS-Adobe-3.0\n%%Creator: MARKER\n",
        b"Received: from MARKER\nFrom: a@b\n\nbody",
    ],
)
def test_text_formats_with_metadata_are_never_passed_as_clean(data: bytes) -> None:
    from scrub.api import scrub_bytes
    from scrub.base import Outcome

    assert sniff_bytes(data) == "markup"
    result = scrub_bytes(data)
    assert result.report.outcome is Outcome.NOT_CLEANED
    assert result.data is None
    assert "not removed" in result.report.reason


@pytest.mark.parametrize("data", [b"hello, world\n", b"name,age\nx,1\n", b"From the start\n"])
def test_plain_text_and_csv_still_pass(data: bytes) -> None:
    assert sniff_bytes(data) == "text"
