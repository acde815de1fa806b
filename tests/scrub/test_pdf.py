"""PDF scrubber: markers gone (raw, inflated, exiftool), text and content
streams unchanged, one revision only, fresh /ID, hostile inputs bounded."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from pikepdf import Array, Dictionary, Name, String
from PIL import Image

from scrub.api import scrub_bytes
from scrub.base import Outcome, Profile
from scrub.formats.pdf import SCRUBBER
from scrub.limits import Limits
from tests.scrub._docs_corpus import PDF_MARKERS, make_pdf, marker
from tests.scrub._hostile import scrub_in_child
from tests.support.scan import scan_bytes


@pytest.fixture(scope="module")
def sample() -> bytes:
    return make_pdf()


@pytest.fixture(scope="module")
def cleaned(sample: bytes) -> bytes:
    result = scrub_bytes(sample)
    assert result.report.outcome is Outcome.CLEANED, result.report.reason
    assert result.data is not None
    return result.data


def test_corpus_really_holds_every_marker(sample: bytes) -> None:
    # Guards the test itself: a marker that never reached the input proves nothing.
    for m in PDF_MARKERS:
        if m == "AttachBody":
            continue
        assert scan_bytes(sample, marker(m).encode()), m


def test_no_marker_in_raw_bytes_or_any_inflated_stream(cleaned: bytes) -> None:
    for m in PDF_MARKERS:
        assert scan_bytes(cleaned, marker(m).encode()) == [], m
    with pikepdf.open(io.BytesIO(cleaned)) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream):
                data = obj.read_raw_bytes()
                with contextlib.suppress(pikepdf.PdfError):  # DCT: raw bytes searched
                    data += obj.read_bytes()
                assert b"SMZ" not in data


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool not installed")
def test_exiftool_oracle_finds_no_planted_value(cleaned: bytes, tmp_path: Path) -> None:
    out = tmp_path / "out.pdf"
    out.write_bytes(cleaned)
    proc = subprocess.run(
        ["exiftool", "-j", "-a", "-G1", "-ee", "-u", str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "SMZ" not in proc.stdout
    tags = json.loads(proc.stdout)[0]
    for key in tags:
        assert not key.startswith(("PDF:Author", "PDF:Title", "XMP")), key
    assert not any("ModifyDate" in k or "CreateDate" in k for k in tags if k.startswith("PDF"))


def test_report_names_fields_not_values(sample: bytes) -> None:
    result = scrub_bytes(sample)
    removed = result.report.removed
    # The current revision's Info (the earlier one is simply not written).
    assert set(removed["PDF:Info"]) == {"Author", "Title"}
    assert "dc:creator" in removed["PDF:XMP"]
    assert "T (author)" in removed["PDF:Annot"]
    assert "JavaScript" in removed["PDF:Actions"]
    assert "Artist" in removed["PDF:Image/EXIF"]
    assert "SMZ" not in json.dumps(result.report.to_json())


def _page_contents(data: bytes) -> list[bytes]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [
            b"".join(
                c.read_bytes()
                for c in (
                    page.obj.Contents
                    if isinstance(page.obj.Contents, pikepdf.Array)
                    else [page.obj.Contents]
                )
            )
            for page in pdf.pages
        ]


def test_content_streams_are_bit_identical(sample: bytes, cleaned: bytes) -> None:
    assert _page_contents(sample) == _page_contents(cleaned)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_text_including_hidden_ocr_layer_is_unchanged(
    sample: bytes, cleaned: bytes, tmp_path: Path
) -> None:
    texts = []
    for name, data in (("in.pdf", sample), ("out.pdf", cleaned)):
        path = tmp_path / name
        path.write_bytes(data)
        texts.append(
            subprocess.run(
                ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True
            ).stdout
        )
    assert texts[0] == texts[1]
    assert b"hidden ocr layer 2" in texts[1]
    assert b"Evidence page 3 visible text" in texts[1]


def _images(data: bytes) -> list[bytes]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        out = []
        for page in pdf.pages:
            for _, xobj in page.obj.Resources.XObject.items():
                raw = xobj.read_raw_bytes()
                out.append(Image.open(io.BytesIO(raw)).convert("RGB").tobytes())
        return out


def test_embedded_jpeg_pixels_identical_and_exif_gone(sample: bytes, cleaned: bytes) -> None:
    assert _images(sample) == _images(cleaned)
    with pikepdf.open(io.BytesIO(cleaned)) as pdf:
        raw = pdf.pages[0].obj.Resources.XObject["/Im0"].read_raw_bytes()
    assert b"Exif\x00\x00" not in raw
    # Entropy-coded data unchanged: the scan after SOS is byte-identical.
    with pikepdf.open(io.BytesIO(sample)) as pdf:
        before = pdf.pages[0].obj.Resources.XObject["/Im0"].read_raw_bytes()
    assert raw[raw.rindex(b"\xff\xda") :] == before[before.rindex(b"\xff\xda") :]


def test_full_rewrite_single_revision_no_clock_fresh_id(sample: bytes, cleaned: bytes) -> None:
    assert sample.count(b"%%EOF") == 2  # the corpus has an incremental update
    assert cleaned.count(b"%%EOF") == 1
    with pikepdf.open(io.BytesIO(cleaned)) as pdf:
        assert "/Info" not in pdf.trailer
        assert "/Metadata" not in pdf.Root
        new_id = [bytes(x) for x in pdf.trailer.ID]
    with pikepdf.open(io.BytesIO(sample)) as pdf:
        old_id = [bytes(x) for x in pdf.trailer.ID]
    assert new_id[0] != old_id[0] and new_id[1] != old_id[1]
    again = scrub_bytes(sample).data
    assert again is not None
    with pikepdf.open(io.BytesIO(again)) as pdf:
        assert bytes(pdf.trailer.ID[0]) != new_id[0]  # random, not derived
    for key in (b"/ModDate", b"/CreationDate", b"/Producer"):
        assert key not in cleaned


def test_attachment_cleaned_kept_and_renamed(cleaned: bytes) -> None:
    with pikepdf.open(io.BytesIO(cleaned)) as pdf:
        names = list(pdf.attachments.keys())
        assert names == ["attachment-1.jpg"]
        body = pdf.attachments["attachment-1.jpg"].get_file().read_bytes()
    assert body.startswith(b"\xff\xd8")
    assert b"SMZ" not in body
    Image.open(io.BytesIO(body)).load()


def test_uncleanable_attachment_is_dropped_and_reported() -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.attachments["x.bin"] = pikepdf.AttachedFileSpec(pdf, b"\x00\x01binary SMZBinQ7")
    buf = io.BytesIO()
    pdf.save(buf)
    result = scrub_bytes(buf.getvalue())
    assert result.report.outcome is Outcome.CLEANED
    assert result.data is not None and b"SMZBinQ7" not in result.data
    assert scan_bytes(result.data, b"SMZBinQ7") == []
    assert result.report.warnings


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf not installed")
def test_qpdf_check_passes(cleaned: bytes, tmp_path: Path) -> None:
    path = tmp_path / "out.pdf"
    path.write_bytes(cleaned)
    proc = subprocess.run(
        ["qpdf", "--check", str(path)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_password_protected_pdf_is_not_cleaned() -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    buf = io.BytesIO()
    pdf.save(buf, encryption=pikepdf.Encryption(user="secret", owner="owner"))
    result = scrub_bytes(buf.getvalue())
    assert result.report.outcome is Outcome.NOT_CLEANED
    assert result.data is None


def test_garbage_pdf_is_rejected_without_output() -> None:
    result = scrub_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 100)
    assert result.report.outcome in (Outcome.REJECTED, Outcome.NOT_CLEANED)
    assert result.data is None


def _many_objects(n: int, *, reachable: bool) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    junk = b""
    if reachable:
        junk = b" /Junk [" + b" ".join(b"%d 0 R" % i for i in range(4, n + 1)) + b"]"
    out.write(b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R" + junk + b" >>\nendobj\n")
    out.write(b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n")
    out.write(b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>\nendobj\n")
    for i in range(4, n + 1):
        out.write(b"%d 0 obj\n<< /A %d >>\nendobj\n" % (i, i))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\n%%%%EOF\n" % (n + 1))
    return out.getvalue()


def test_object_limit_rejects_before_walking() -> None:
    data = _many_objects(3_000, reachable=True)
    tight = Profile(limits=Limits(max_objects=1_000))
    result = scrub_bytes(data, profile=tight)
    assert result.report.outcome is Outcome.REJECTED
    assert result.data is None


@pytest.mark.slow
def test_300k_object_pdf_has_bounded_time_and_memory(tmp_path: Path) -> None:
    # 300k orphan objects (no xref: qpdf reconstructs it by scanning).
    path = tmp_path / "many.pdf"
    path.write_bytes(_many_objects(300_000, reachable=False))
    stats = scrub_in_child(path)
    assert stats["outcome"] in ("cleaned", "rejected")
    assert float(stats["maxrss_mb"]) < 600  # type: ignore[arg-type]
    assert float(stats["seconds"]) < 60  # type: ignore[arg-type]


def test_scrubber_direct_call_raises_instead_of_partial_output() -> None:
    from scrub.base import Report, ScrubError

    with pytest.raises(ScrubError):
        SCRUBBER.scrub(b"%PDF-1.4\n1 0 obj\n<<", Profile(), Report("pdf"))


@pytest.fixture(scope="module")
def small_pdf() -> bytes:
    return make_pdf(pages=1, incremental_old_value=False)


@seed(20261125)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_fuzz_mutated_pdf_gets_a_defined_outcome(small_pdf: bytes, data: st.DataObject) -> None:
    buf = bytearray(small_pdf)
    for _ in range(data.draw(st.integers(1, 8))):
        pos = data.draw(st.integers(0, len(buf) - 1))
        buf[pos] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        del buf[data.draw(st.integers(1, len(buf) - 1)) :]
    result = scrub_bytes(bytes(buf))
    assert result.report.outcome in set(Outcome)
    if result.report.outcome is Outcome.CLEANED:
        assert result.data is not None
        if result.report.detected_type == "pdf":  # a mutation can make it text
            with pikepdf.open(io.BytesIO(result.data)):
                pass
    else:
        assert result.data is None


@pytest.mark.slow
def test_libreoffice_exported_pdf(tmp_path: Path) -> None:
    """A real producer's PDF (tagged, subset fonts, XMP, Info filled from the
    document's properties): properties gone, text identical, qpdf happy."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or shutil.which("pdftotext") is None or shutil.which("qpdf") is None:
        pytest.skip("LibreOffice, pdftotext and qpdf are needed")
    from tests.scrub._office_corpus import make_docx

    src = tmp_path / "memo.docx"
    src.write_bytes(make_docx())
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless",
         "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(src)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    original = (tmp_path / "memo.pdf").read_bytes()

    def exif_view(path: Path) -> str:
        return subprocess.run(
            ["exiftool", "-j", "-a", "-G1", "-ee", "-u", str(path)],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip

    # LibreOffice writes Info as UTF-16 hex strings: read it the way a reader does.
    seen = exif_view(tmp_path / "memo.pdf")
    planted = [m for m in ("CoreCreator", "CoreTitle", "CoreKeywords") if marker(m) in seen]
    assert planted, "LibreOffice did not carry the document properties into the PDF"
    result = scrub_bytes(original)
    assert result.report.outcome is Outcome.CLEANED, result.report.reason
    out = result.data
    assert out is not None
    assert {"Author", "Title", "Keywords", "Producer"} <= set(result.report.removed["PDF:Info"])
    (tmp_path / "clean.pdf").write_bytes(out)
    texts = [
        subprocess.run(
            ["pdftotext", str(tmp_path / n), "-"], capture_output=True, check=True
        ).stdout
        for n in ("memo.pdf", "clean.pdf")
    ]
    assert texts[0] == texts[1] and b"Evidence paragraph one" in texts[1]
    check = subprocess.run(
        ["qpdf", "--check", str(tmp_path / "clean.pdf")], capture_output=True, check=False
    )
    assert check.returncode == 0, check.stdout
    cleaned_view = exif_view(tmp_path / "clean.pdf")
    assert "SMZ" not in cleaned_view and "LibreOffice" not in cleaned_view
    for m in planted:
        assert scan_bytes(out, marker(m).encode()) == [], m


def test_damaged_pdf_is_repaired_with_a_warning() -> None:
    data = make_pdf(pages=3, incremental_old_value=False)
    result = scrub_bytes(data[: len(data) - 300])  # xref and trailer cut off
    assert result.report.outcome is Outcome.CLEANED, result.report.reason
    assert any("damaged" in w for w in result.report.warnings)
    assert result.data is not None and b"SMZ" not in result.data
    assert not any("damaged" in w for w in scrub_bytes(data).report.warnings)


def test_owner_password_only_pdf_is_cleaned_and_unlocked() -> None:
    # Common "no printing/copying" PDFs: empty user password, owner password set.
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.docinfo["/Author"] = marker("LockedAuthor")
    buf = io.BytesIO()
    pdf.save(
        buf,
        encryption=pikepdf.Encryption(
            user="", owner="owner", allow=pikepdf.Permissions(extract=False)
        ),
    )
    result = scrub_bytes(buf.getvalue())
    assert result.report.outcome is Outcome.CLEANED, result.report.reason
    assert result.data is not None
    with pikepdf.open(io.BytesIO(result.data)) as out:
        assert not out.is_encrypted
        assert "/Info" not in out.trailer


def test_links_keep_targets_but_lose_local_paths() -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    links = [
        Dictionary(S=Name.URI, URI=String("https://example.org/report")),
        Dictionary(S=Name.URI, URI=String(f"file:///C:/Users/{marker('UriUser')}/notes.docx")),
        Dictionary(S=Name.GoToR, F=String(f"C:\\Users\\{marker('GoToRUser')}\\other.pdf"),
                   D=Array([0, Name.Fit])),
    ]  # fmt: skip
    pdf.pages[0].obj.Annots = Array(
        [
            pdf.make_indirect(
                Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=Array([0, 0, 10, 10]), A=a)
            )
            for a in links
        ]
    )
    buf = io.BytesIO()
    pdf.save(buf)
    result = scrub_bytes(buf.getvalue())
    assert result.report.outcome is Outcome.CLEANED, result.report.reason
    assert result.data is not None and b"SMZ" not in result.data
    with pikepdf.open(io.BytesIO(result.data)) as out:
        actions = [a.A for a in out.pages[0].obj.Annots]
        assert str(actions[0].URI) == "https://example.org/report"
        assert str(actions[1].URI) == "notes.docx"
        assert str(actions[2].F) == "other.pdf"
