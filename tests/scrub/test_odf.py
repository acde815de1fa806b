"""ODT/ODS/ODP scrubber: meta, thumbnails, versions, signatures, printer
settings and change/annotation authors gone; text kept; mimetype first and
stored; manifest consistent; LibreOffice opens the output."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from defusedxml import ElementTree
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from scrub.api import scrub_bytes
from scrub.base import Outcome
from tests.scrub._office_checks import assert_zip_hygiene, exiftool_dump, libreoffice_text
from tests.scrub._office_corpus import (
    BILLION_LAUGHS,
    ODF_DATE,
    ODF_MARKERS,
    make_odf,
    marker,
    with_member,
)
from tests.support.scan import scan_bytes

TEXT_NS = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
# Markers each kind's sample carries (ODS has no tracked change, ODP no comment).
_ABSENT = {
    "odt": {"OdfPrinterSetup"},
    "ods": {"OdfPrinterSetup", "OdfChangeAuthor", "OdfLinkPath"},
    "odp": {"OdfPrinterSetup", "OdfChangeAuthor", "OdfAnnotAuthor", "OdfAnnotInit", "OdfLinkPath"},
}
_SUFFIX_TEXT = {"odt": "Evidence paragraph", "ods": "Evidence cell", "odp": "Evidence slide text"}


@pytest.fixture(scope="module", params=["odt", "ods", "odp"])
def pair(request: pytest.FixtureRequest) -> tuple[str, bytes, bytes]:
    kind = request.param
    data = make_odf(kind)
    result = scrub_bytes(data)
    assert result.report.detected_type == kind
    assert result.report.outcome is Outcome.CLEANED, result.report.reason
    assert result.data is not None
    return kind, data, result.data


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def test_markers_planted_and_gone(pair: tuple[str, bytes, bytes]) -> None:
    kind, before, after = pair
    for m in ODF_MARKERS:
        if m in _ABSENT[kind]:
            continue
        assert scan_bytes(before, marker(m).encode()), m
        assert scan_bytes(after, marker(m).encode()) == [], m
    for name, data in _members(after).items():
        assert b"SMZ" not in data, name
        assert ODF_DATE.encode() not in data, name
        assert b"rsid" not in data, name


def test_exiftool_oracle(pair: tuple[str, bytes, bytes], tmp_path: Path) -> None:
    kind, _, after = pair
    dump = exiftool_dump(after, f".{kind}", tmp_path)
    assert "SMZ" not in dump


def test_package_shape(pair: tuple[str, bytes, bytes]) -> None:
    _, _, after = pair
    assert_zip_hygiene(after)
    with zipfile.ZipFile(io.BytesIO(after)) as zf:
        first = zf.infolist()[0]
        assert first.filename == "mimetype"
        assert first.compress_type == zipfile.ZIP_STORED
        names = set(zf.namelist())
    assert after[30:38] == b"mimetype"  # readable at a fixed offset, as ODF requires
    for gone in ("meta.xml", "Thumbnails/thumbnail.png", "VersionList.xml", "Versions/Version1"):
        assert gone not in names
    assert "META-INF/documentsignatures.xml" not in names
    assert "orphan.txt" not in names
    manifest = ElementTree.fromstring(_members(after)["META-INF/manifest.xml"])
    listed = {
        e.get("{urn:oasis:names:tc:opendocument:xmlns:manifest:1.0}full-path") for e in manifest
    }
    assert listed - {"/"} <= names
    assert names - {"mimetype", "META-INF/manifest.xml"} <= listed


def _paragraph_text(data: bytes) -> list[str]:
    root = ElementTree.fromstring(_members(data)["content.xml"])
    return ["".join(p.itertext()) for p in root.iter(f"{TEXT_NS}p")]


def test_text_kept_and_authors_labelled(pair: tuple[str, bytes, bytes]) -> None:
    kind, before, after = pair
    before_text = [t for t in _paragraph_text(before) if "SMZ" not in t]
    after_text = _paragraph_text(after)
    for t in before_text:
        # Annotation paragraphs embed the creator/date text; compare the rest.
        assert any(t in a for a in after_text), t
    content = _members(after)["content.xml"].decode()
    assert _SUFFIX_TEXT[kind] in content
    creators = re.findall(r"<dc:creator>([^<]*)</dc:creator>", content)
    assert all(re.fullmatch(r"Author \d+", c) for c in creators)
    if kind == "odt":
        assert len(creators) == 2 and "inserted words" in content
        assert "<dc:date>1970-01-01T00:00:00</dc:date>" in content  # schema needs one
        assert "note body kept" in content


def test_settings_keep_layout_lose_printer(pair: tuple[str, bytes, bytes]) -> None:
    _, _, after = pair
    settings_xml = _members(after)["settings.xml"].decode()
    assert "PrinterName" not in settings_xml and "PrinterSetup" not in settings_xml
    assert "AddParaTableSpacing" in settings_xml  # affects layout: kept


def test_report_names(pair: tuple[str, bytes, bytes]) -> None:
    kind, before, _ = pair
    report = scrub_bytes(before).report
    upper = kind.upper()
    assert "initial-creator" in report.removed[f"{upper}:meta.xml"]
    assert "PrinterName" in report.removed[f"{upper}:settings.xml"]
    assert "Thumbnails/thumbnail.png" in report.removed[f"{upper}:package"]
    assert "SMZ" not in str(report.to_json())


@pytest.mark.slow
def test_libreoffice_opens_cleaned_documents(
    pair: tuple[str, bytes, bytes], tmp_path: Path
) -> None:
    kind, _, after = pair
    text = libreoffice_text(after, f".{kind}", tmp_path)
    assert _SUFFIX_TEXT[kind].split()[0] in text


def test_billion_laughs_in_content_rejected() -> None:
    result = scrub_bytes(with_member(make_odf("odt"), "content.xml", BILLION_LAUGHS))
    assert result.report.outcome is Outcome.REJECTED
    assert result.data is None


def test_encrypted_document_not_cleaned() -> None:
    data = make_odf("odt")
    members = _members(data)
    manifest = (
        members["META-INF/manifest.xml"]
        .decode()
        .replace(
            'manifest:full-path="content.xml" manifest:media-type="text/xml"/>',
            'manifest:full-path="content.xml" manifest:media-type="text/xml">'
            '<manifest:encryption-data manifest:checksum-type="SHA1" manifest:checksum="AA=="/>'
            "</manifest:file-entry>",
        )
    )
    result = scrub_bytes(with_member(data, "META-INF/manifest.xml", manifest.encode()))
    assert result.report.outcome is Outcome.NOT_CLEANED
    assert result.data is None


@pytest.fixture(scope="module")
def small_odt() -> bytes:
    return make_odf("odt")


@seed(20261125)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_fuzz_mutated_odf_gets_a_defined_outcome(small_odt: bytes, data: st.DataObject) -> None:
    buf = bytearray(small_odt)
    for _ in range(data.draw(st.integers(1, 6))):
        buf[data.draw(st.integers(0, len(buf) - 1))] = data.draw(st.integers(0, 255))
    result = scrub_bytes(bytes(buf))
    assert result.report.outcome in set(Outcome)
    if result.report.outcome is not Outcome.CLEANED:
        assert result.data is None
    elif result.report.detected_type == "odt":
        assert result.data is not None
        assert b"SMZ" not in b"".join(_members(result.data).values())
