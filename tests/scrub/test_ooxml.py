"""DOCX/XLSX scrubber: every planted marker gone (members, exiftool), text
and tracked changes kept with neutral authors, ZIP rebuilt deterministically,
LibreOffice still opens it, hostile packages refused with bounded memory."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from defusedxml import ElementTree
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from PIL import Image

from scrub.api import scrub_bytes
from scrub.base import Outcome
from tests.scrub._hostile import scrub_in_child
from tests.scrub._office_checks import assert_zip_hygiene, exiftool_dump, libreoffice_text
from tests.scrub._office_corpus import (
    BILLION_LAUGHS,
    DOCX_DATE,
    DOCX_MARKERS,
    XLSX_MARKERS,
    make_docx,
    make_xlsx,
    marker,
    with_member,
    zip_bomb_docx,
)
from tests.support.scan import scan_bytes

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="module")
def docx_in() -> bytes:
    return make_docx()


@pytest.fixture(scope="module")
def docx_out(docx_in: bytes) -> bytes:
    result = scrub_bytes(docx_in)
    assert result.report.outcome is Outcome.CLEANED, result.report.reason
    assert result.data is not None
    return result.data


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def test_every_marker_was_planted(docx_in: bytes) -> None:
    for m in DOCX_MARKERS:
        assert scan_bytes(docx_in, marker(m).encode()), m


def test_no_marker_in_any_member_or_media(docx_out: bytes) -> None:
    for m in DOCX_MARKERS:
        assert scan_bytes(docx_out, marker(m).encode()) == [], m
    for name, data in _members(docx_out).items():
        assert b"SMZ" not in data, name
        assert DOCX_DATE.encode() not in data, name


def test_exiftool_oracle(docx_out: bytes, tmp_path: Path) -> None:
    dump = exiftool_dump(docx_out, ".docx", tmp_path)
    assert "SMZ" not in dump
    assert DOCX_DATE[:10].replace("-", ":") not in dump


def _all_text(data: bytes) -> list[str]:
    root = ElementTree.fromstring(_members(data)["word/document.xml"])
    return [el.text or "" for el in root.iter() if el.tag in (f"{W}t", f"{W}delText")]


def test_document_text_and_tracked_changes_unchanged(docx_in: bytes, docx_out: bytes) -> None:
    assert _all_text(docx_in) == _all_text(docx_out)
    assert "inserted evidence" in _all_text(docx_out)
    import docx

    before = [p.text for p in docx.Document(io.BytesIO(docx_in)).paragraphs]
    after = [p.text for p in docx.Document(io.BytesIO(docx_out)).paragraphs]
    assert before == after


def test_authors_become_neutral_labels_and_dates_go(docx_out: bytes) -> None:
    members = _members(docx_out)
    document = members["word/document.xml"].decode()
    authors = re.findall(r'w:author="([^"]*)"', document)
    # Two distinct people made the two changes: two distinct labels.
    assert len(authors) == 2 and len(set(authors)) == 2
    assert all(re.fullmatch(r"Author \d+", a) for a in authors)
    assert "w:date=" not in document
    assert "w:rsid" not in document and "w14:paraId" not in document
    comments = members["word/comments.xml"].decode()
    (comment_author,) = re.findall(r'w:author="([^"]*)"', comments)
    assert re.fullmatch(r"Author \d+", comment_author) and comment_author not in authors
    assert "w:initials" not in comments and "w:date" not in comments
    assert "comment body kept" in comments


def test_settings_lose_template_mailmerge_docvars_rsids_docid(docx_out: bytes) -> None:
    settings_xml = _members(docx_out)["word/settings.xml"].decode()
    for name in ("attachedTemplate", "mailMerge", "docVars", "rsids", "docId"):
        assert f":{name}" not in settings_xml, name


def test_dropped_parts_and_consistent_package(docx_out: bytes) -> None:
    members = _members(docx_out)
    names = set(members)
    for gone in (
        "docProps/core.xml",
        "docProps/app.xml",
        "docProps/custom.xml",
        "docProps/thumbnail.jpeg",
        "word/people.xml",
        "word/printerSettings/printerSettings1.bin",
        "word/orphan.xml",
        "word/_rels/settings.xml.rels",
    ):
        assert gone not in names or gone.endswith(".rels"), gone
    assert not any(n.startswith("customXml/") for n in names)
    # Every internal relationship target exists; every override names a part.
    for rels_name, data in members.items():
        if not rels_name.endswith(".rels"):
            continue
        base = rels_name.replace("_rels/", "").removesuffix(".rels")
        folder = base.rsplit("/", 1)[0] if "/" in base else ""
        for rel in ElementTree.fromstring(data):
            if rel.get("TargetMode") == "External":
                assert "SMZ" not in rel.get("Target", "")
                continue
            target = rel.get("Target", "")
            path = (
                target.lstrip("/") if target.startswith("/") else f"{folder}/{target}".lstrip("/")
            )
            parts = []
            for seg in path.split("/"):
                if seg == "..":
                    parts.pop()
                elif seg not in ("", "."):
                    parts.append(seg)
            assert "/".join(parts) in names, (rels_name, target)
    types = ElementTree.fromstring(members["[Content_Types].xml"])
    for override in types:
        if override.tag.endswith("Override"):
            assert override.get("PartName", "").lstrip("/") in names


def test_zip_rebuilt_deterministically(docx_in: bytes, docx_out: bytes) -> None:
    assert_zip_hygiene(docx_out)
    again = scrub_bytes(docx_in).data
    assert again == docx_out
    with zipfile.ZipFile(io.BytesIO(docx_out)) as zf:
        assert zf.namelist()[0] == "[Content_Types].xml"


def test_media_cleaned_pixels_identical(docx_in: bytes, docx_out: bytes) -> None:
    before = _members(docx_in)["word/media/image1.jpg"]
    after = _members(docx_out)["word/media/image1.jpg"]
    assert b"Exif" not in after
    a = Image.open(io.BytesIO(before)).convert("RGB").tobytes()
    b = Image.open(io.BytesIO(after)).convert("RGB").tobytes()
    assert a == b


def test_report_names_places_never_values(docx_in: bytes) -> None:
    report = scrub_bytes(docx_in).report
    removed = report.removed
    assert "creator" in removed["DOCX:docProps/core.xml"]
    assert "Company" in removed["DOCX:docProps/app.xml"]
    assert "ins@author" in removed["DOCX:word/document.xml"]
    assert "attachedTemplate" in removed["DOCX:word/settings.xml"]
    assert "word/people.xml" in removed["DOCX:package"]
    assert "SMZ" not in str(report.to_json())


@pytest.mark.slow
def test_libreoffice_opens_cleaned_docx(docx_out: bytes, tmp_path: Path) -> None:
    text = libreoffice_text(docx_out, ".docx", tmp_path)
    assert "Evidence paragraph one" in text
    assert "inserted evidence" in text


def test_xlsx_markers_gone_and_cells_kept(tmp_path: Path) -> None:
    data = make_xlsx()
    for m in XLSX_MARKERS:
        assert scan_bytes(data, marker(m).encode()), m
    result = scrub_bytes(data)
    assert result.report.outcome is Outcome.CLEANED, result.report.reason
    out = result.data
    assert out is not None
    for m in XLSX_MARKERS:
        assert scan_bytes(out, marker(m).encode()) == [], m
    members = _members(out)
    assert b"Proof" in members["xl/worksheets/sheet1.xml"]
    assert b"<author>Author 1</author>" in members["xl/comments1.xml"]
    assert b"absPath" not in members["xl/workbook.xml"]
    assert "absPath" in result.report.removed["XLSX:xl/workbook.xml"]
    connections = members["xl/connections.xml"].decode()
    assert 'connection=""' in connections and 'command="SELECT 1"' in connections
    assert 'sourceFile="data.csv"' in connections and "odcFile" not in connections
    assert_zip_hygiene(out)
    assert "SMZ" not in exiftool_dump(out, ".xlsx", tmp_path)


@pytest.mark.slow
def test_libreoffice_opens_cleaned_xlsx(tmp_path: Path) -> None:
    out = scrub_bytes(make_xlsx()).data
    assert out is not None
    text = libreoffice_text(out, ".xlsx", tmp_path)
    assert "Proof" in text and "42" in text


# --- hostile -----------------------------------------------------------------


def test_one_gib_zip_bomb_rejected_fast_with_bounded_memory(tmp_path: Path) -> None:
    for lie in (False, True):
        path = tmp_path / f"bomb{lie}.docx"
        path.write_bytes(zip_bomb_docx(lie=lie))
        stats = scrub_in_child(path)
        assert stats["outcome"] == "rejected", stats
        assert stats["has_data"] is False
        assert float(stats["seconds"]) < 10  # type: ignore[arg-type]
        assert float(stats["maxrss_mb"]) < 250  # type: ignore[arg-type]


def test_billion_laughs_rejected(docx_in: bytes) -> None:
    result = scrub_bytes(with_member(docx_in, "word/document.xml", BILLION_LAUGHS))
    assert result.report.outcome is Outcome.REJECTED
    assert result.data is None


def test_external_entity_rejected(docx_in: bytes) -> None:
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        b"<w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>"
    )
    result = scrub_bytes(with_member(docx_in, "word/document.xml", xxe))
    assert result.report.outcome is Outcome.REJECTED
    assert result.data is None


def test_malformed_xml_part_is_not_cleaned(docx_in: bytes) -> None:
    result = scrub_bytes(with_member(docx_in, "word/document.xml", b"<w:document><unclosed>"))
    assert result.report.outcome in (Outcome.NOT_CLEANED, Outcome.REJECTED)
    assert result.data is None


def test_too_many_members_rejected_before_inflating() -> None:
    from dataclasses import replace

    from scrub.base import Profile
    from scrub.limits import Limits

    data = make_xlsx()
    tight = replace(Profile(), limits=Limits(max_zip_members=3))
    result = scrub_bytes(data, profile=tight)
    assert result.report.outcome is Outcome.REJECTED
    assert result.data is None


@pytest.fixture(scope="module")
def small_xlsx() -> bytes:
    return make_xlsx()


@seed(20261125)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_fuzz_mutated_package_gets_a_defined_outcome(
    small_xlsx: bytes, data: st.DataObject
) -> None:
    buf = bytearray(small_xlsx)
    for _ in range(data.draw(st.integers(1, 6))):
        buf[data.draw(st.integers(0, len(buf) - 1))] = data.draw(st.integers(0, 255))
    result = scrub_bytes(bytes(buf))
    assert result.report.outcome in set(Outcome)
    if result.report.outcome is not Outcome.CLEANED:
        assert result.data is None
    elif result.report.detected_type == "xlsx":
        assert result.data is not None
        assert_zip_hygiene(result.data)
        assert b"SMZ" not in b"".join(_members(result.data).values())


@pytest.fixture(scope="module")
def pptx_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    import shutil

    from tests.scrub._office_corpus import make_pptx

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice builds the PPTX sample; it is not installed")
    data = make_pptx(tmp_path_factory.mktemp("pptx"), soffice)
    result = scrub_bytes(data)
    assert result.report.detected_type == "pptx"
    assert result.report.outcome is Outcome.CLEANED, result.report.reason
    assert result.data is not None
    return data, result.data


@pytest.mark.slow
def test_pptx_markers_gone_text_and_comments_kept(
    pptx_pair: tuple[bytes, bytes], tmp_path: Path
) -> None:
    from tests.scrub._office_corpus import PPTX_DATE, PPTX_MARKERS

    before, after = pptx_pair
    for m in PPTX_MARKERS:
        assert scan_bytes(before, marker(m).encode()), m
        assert scan_bytes(after, marker(m).encode()) == [], m
    members = _members(after)
    assert PPTX_DATE.encode() not in b"".join(members.values())
    assert b"Evidence slide text" in members["ppt/slides/slide1.xml"]
    assert b'name="Author 1"' in members["ppt/commentAuthors.xml"]
    assert b"slide note kept" in members["ppt/comments/comment1.xml"]
    assert_zip_hygiene(after)
    assert "SMZ" not in exiftool_dump(after, ".pptx", tmp_path)
    assert "Evidence slide text" in libreoffice_text(after, ".pptx", tmp_path)


def test_svg_media_loses_metadata_and_editor_data_keeps_drawing(docx_in: bytes) -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" '
        'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" '
        f'inkscape:export-filename="/home/{marker("SvgUser")}/fig.png" width="10" height="10">'
        f"<title>{marker('SvgTitle')}</title>"
        f"<metadata><rdf>{marker('SvgRdf')}</rdf></metadata>"
        '<path d="M0 0 L10 10" stroke="black"/></svg>'
    ).encode()
    data = with_member(docx_in, "word/media/figure.svg", svg)
    members = _members(data)
    members["word/_rels/document.xml.rels"] = members["word/_rels/document.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdSvg" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/image" Target="media/figure.svg"/></Relationships>',
    )
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"</Types>", b'<Default Extension="svg" ContentType="image/svg+xml"/></Types>'
    )
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in members.items():
            zf.writestr(name, body)
    result = scrub_bytes(package.getvalue())
    assert result.report.outcome is Outcome.CLEANED, result.report.reason
    assert result.data is not None
    out = _members(result.data)["word/media/figure.svg"]
    assert b"SMZ" not in out and b"inkscape" not in out
    assert b'<path d="M0 0 L10 10" stroke="black"/>' in out
    assert "metadata" in result.report.removed["DOCX:word/media/figure.svg"]


def test_rtf_alt_chunk_makes_the_document_not_cleaned(docx_in: bytes) -> None:
    members = _members(docx_in)
    members["word/afchunk.rtf"] = b"{\\rtf1{\\info{\\author SMZRtfAuthorQ7}}hello}"
    members["word/_rels/document.xml.rels"] = members["word/_rels/document.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdAf" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/aFChunk" Target="afchunk.rtf"/></Relationships>',
    )
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"</Types>", b'<Default Extension="rtf" ContentType="application/rtf"/></Types>'
    )
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in members.items():
            zf.writestr(name, body)
    result = scrub_bytes(package.getvalue())
    # RTF sniffs as text but carries an author: never passed as clean.
    assert result.report.outcome is Outcome.NOT_CLEANED
    assert result.data is None


def _emf(description: str) -> bytes:
    import struct

    desc = (description + "\x00").encode("utf-16-le")
    header_size = 88 + len(desc)
    eof = struct.pack("<IIIII", 14, 20, 0, 16, 20)
    total = header_size + len(eof)
    header = struct.pack(
        "<II4i4iIIIIHHIIIii ii".replace(" ", ""),
        1, header_size, 0, 0, 10, 10, 0, 0, 100, 100, 0x464D4520, 0x10000, total, 2, 1, 0,
        len(desc) // 2, 88, 0, 1024, 768, 320, 240,
    )  # fmt: skip
    return header + desc + eof


def test_emf_description_blanked_drawing_unchanged() -> None:
    from scrub.formats._metafile import blank_emf_description, is_metafile

    emf = _emf("Microsoft Office\x00C:\\Users\\SMZEmfUserQ7\\chart.xlsx")
    assert is_metafile(emf)
    out, changed = blank_emf_description(emf)
    assert changed and len(out) == len(emf)
    assert "SMZ".encode("utf-16-le") not in out
    assert out[:88] == emf[:88] and out[-20:] == emf[-20:]  # records untouched


def test_emf_media_in_docx_is_kept_with_blank_description(docx_in: bytes) -> None:
    members = _members(docx_in)
    members["word/media/chart.emf"] = _emf("Word\x00C:\\Users\\SMZEmfUserQ7\\chart.xlsx")
    members["word/_rels/document.xml.rels"] = members["word/_rels/document.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdEmf" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/image" Target="media/chart.emf"/></Relationships>',
    )
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"</Types>", b'<Default Extension="emf" ContentType="image/x-emf"/></Types>'
    )
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in members.items():
            zf.writestr(name, body)
    result = scrub_bytes(package.getvalue())
    assert result.report.outcome is Outcome.CLEANED, result.report.reason
    assert result.data is not None
    assert scan_bytes(result.data, b"SMZEmfUserQ7") == []
    assert "EMF description" in result.report.removed["DOCX:word/media/chart.emf"]
