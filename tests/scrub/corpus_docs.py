"""Contract-test samples for the document, DICOM and video scrubbers.

The thorough per-format tests live in test_{pdf,ooxml,odf,dicom,mp4}.py;
these register the same generated files with the shared contract test.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pikepdf
import pydicom

from scrub.base import Outcome
from tests.scrub import _docs_corpus as docs
from tests.scrub import _office_corpus as office
from tests.scrub.corpus import HostileSample, Sample, generator, hostile


def _pdf_same(before: bytes, after: bytes) -> None:
    def contents(data: bytes) -> list[bytes]:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            return [page.obj.Contents.read_bytes() for page in pdf.pages]

    assert contents(before) == contents(after)


@generator("pdf-with-everything")
def _pdf(tmp: Path) -> Sample:
    return Sample(
        kind="pdf",
        data=docs.make_pdf(),
        markers=tuple(docs.marker(m) for m in docs.PDF_MARKERS if m != "AttachBody"),
        same_content=_pdf_same,
        expect_removed=("PDF:Info:Author", "PDF:XMP:dc:creator", "PDF:Annot:T (author)"),
        deterministic=False,  # fresh random /ID on every run
    )


def _zip_text(member: str, tags: tuple[str, ...]) -> object:
    import re

    def same(before: bytes, after: bytes) -> None:
        def text(data: bytes) -> list[str]:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                xml = zf.read(member).decode()
            return re.findall(rf"<(?:{'|'.join(tags)})[^>]*>([^<]*)<", xml)

        assert text(before) == text(after)

    return same


@generator("docx-with-everything")
def _docx(tmp: Path) -> Sample:
    return Sample(
        kind="docx",
        data=office.make_docx(),
        markers=tuple(office.marker(m) for m in office.DOCX_MARKERS),
        same_content=_zip_text("word/document.xml", ("w:t", "w:delText")),  # type: ignore[arg-type]
        expect_removed=(
            "DOCX:docProps/core.xml:creator",
            "DOCX:word/document.xml:ins@author",
            "DOCX:word/settings.xml:attachedTemplate",
        ),
    )


@generator("xlsx-with-everything")
def _xlsx(tmp: Path) -> Sample:
    return Sample(
        kind="xlsx",
        data=office.make_xlsx(),
        markers=tuple(office.marker(m) for m in office.XLSX_MARKERS),
        same_content=_zip_text("xl/worksheets/sheet1.xml", ("t", "v")),  # type: ignore[arg-type]
        expect_removed=("XLSX:xl/workbook.xml:absPath",),
    )


_ODF_ABSENT = {
    "odt": {"OdfPrinterSetup"},
    "ods": {"OdfPrinterSetup", "OdfChangeAuthor", "OdfLinkPath"},
    "odp": {"OdfPrinterSetup", "OdfChangeAuthor", "OdfAnnotAuthor", "OdfAnnotInit", "OdfLinkPath"},
}


def _odf_generator(kind: str) -> None:
    @generator(f"{kind}-with-everything")
    def _odf(tmp: Path) -> Sample:
        return Sample(
            kind=kind,
            data=office.make_odf(kind),
            markers=tuple(
                office.marker(m) for m in office.ODF_MARKERS if m not in _ODF_ABSENT[kind]
            ),
            same_content=None,
            expect_removed=(f"{kind.upper()}:meta.xml:initial-creator",),
        )


for _kind in ("odt", "ods", "odp"):
    _odf_generator(_kind)


def _dicom_same(before: bytes, after: bytes) -> None:
    a = pydicom.dcmread(io.BytesIO(before))
    b = pydicom.dcmread(io.BytesIO(after))
    assert a.PixelData == b.PixelData


@generator("dicom-ct-operator-and-site")
def _dicom(tmp: Path) -> Sample:
    short = {"RetrieveAE", "Accession", "ImplVersion", "MetaSourceAE"}
    return Sample(
        kind="dicom",
        data=docs.make_dicom(),
        markers=tuple(
            docs.marker(m)[:16] if m in short else docs.marker(m)
            for m in docs.DICOM_OPERATOR_MARKERS
        ),
        same_content=_dicom_same,
        expect_removed=("DICOM:OperatorsName", "DICOM:InstitutionName"),
        deterministic=False,  # fresh random instance UIDs on every run
    )


def _video_same(suffix: str) -> object:
    def same(before: bytes, after: bytes) -> None:
        def frames(data: bytes) -> list[str]:
            proc = subprocess.run(
                ["ffmpeg", "-v", "error", "-f", suffix, "-i", "pipe:0", "-map", "0:v",
                 "-map", "0:a", "-c", "copy", "-f", "framemd5", "-"],
                input=data, capture_output=True, check=True,
            )  # fmt: skip
            return [x for x in proc.stdout.decode().splitlines() if not x.startswith("#")]

        assert frames(before) == frames(after)

    return same


if shutil.which("ffmpeg"):

    @generator("mov-location-and-title")
    def _mov(tmp: Path) -> Sample:
        out = tmp / "in.mov"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=duration=1:size=96x64:rate=5",
             "-f", "lavfi", "-i", "sine=duration=1", "-c:v", "mjpeg", "-c:a", "pcm_s16le",
             "-metadata", f"title={docs.marker('MovTitle')}",
             "-metadata", "location=+12.3456+065.4321/", "-y", str(out)],
            check=True, capture_output=True,
        )  # fmt: skip
        return Sample(
            kind="mov",
            data=out.read_bytes(),
            markers=(docs.marker("MovTitle"), "+12.3456+065.4321"),
            same_content=_video_same("mov"),  # type: ignore[arg-type]
            expect_removed=("MOV:moov:udta",),
        )

    def _mp4(tmp: Path, *flags: str) -> bytes:
        srt = tmp / "sub.srt"
        srt.write_text(f"1\n00:00:00,000 --> 00:00:01,000\n{docs.marker('Mp4Subtitle')}\n")
        out = tmp / "in.mp4"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=duration=2:size=96x64:rate=10",
             "-f", "lavfi", "-i", "sine=duration=2", "-i", str(srt), "-map", "0", "-map", "1",
             "-map", "2", "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-c:a", "aac",
             "-c:s", "mov_text", "-metadata", f"title={docs.marker('Mp4Title')}",
             *flags, "-y", str(out)],
            check=True, capture_output=True,
        )  # fmt: skip
        return out.read_bytes()

    @generator("mp4-subtitle-track-and-location")
    def _mp4_plain(tmp: Path) -> Sample:
        return Sample(
            kind="mp4",
            data=_mp4(tmp),
            markers=(docs.marker("Mp4Title"), docs.marker("Mp4Subtitle")),
            same_content=_video_same("mp4"),  # type: ignore[arg-type]
            expect_removed=("MP4:tracks:sbtl track", "MP4:moov:udta"),
        )

    @generator("mp4-fragmented-subtitle-track")
    def _mp4_fragmented(tmp: Path) -> Sample:
        return Sample(
            kind="mp4",
            data=_mp4(tmp, "-movflags", "frag_keyframe+empty_moov"),
            markers=(docs.marker("Mp4Title"), docs.marker("Mp4Subtitle")),
            same_content=_video_same("mp4"),  # type: ignore[arg-type]
            expect_removed=("MP4:tracks:sbtl track",),
        )


# --- hostile ------------------------------------------------------------------

_BAD = frozenset({Outcome.REJECTED, Outcome.NOT_CLEANED})


@hostile("docx-zip-bomb-1gib")
def _bomb(tmp: Path) -> HostileSample:
    return HostileSample("docx", office.zip_bomb_docx(), frozenset({Outcome.REJECTED}))


@hostile("docx-zip-bomb-lying-sizes")
def _bomb_lie(tmp: Path) -> HostileSample:
    return HostileSample("docx", office.zip_bomb_docx(lie=True), frozenset({Outcome.REJECTED}))


@hostile("docx-billion-laughs")
def _laughs(tmp: Path) -> HostileSample:
    data = office.with_member(office.make_docx(), "word/document.xml", office.BILLION_LAUGHS)
    return HostileSample("docx", data, frozenset({Outcome.REJECTED}))


@hostile("dicom-truncated")
def _dicom_cut(tmp: Path) -> HostileSample:
    data = docs.make_dicom()
    return HostileSample("dicom", data[: len(data) // 3], _BAD | {Outcome.CLEANED})


@hostile("mp4-absurd-box-size")
def _mp4_absurd(tmp: Path) -> HostileSample:
    import struct

    ftyp = struct.pack(">I4s", 16, b"ftyp") + b"isom\x00\x00\x02\x00"
    data = ftyp + struct.pack(">I4sQ", 1, b"moov", 1 << 62) + b"\x00" * 64
    return HostileSample("mp4", data, frozenset({Outcome.REJECTED}))


@hostile("pdf-truncated")
def _pdf_cut(tmp: Path) -> HostileSample:
    data = docs.make_pdf(pages=1, incremental_old_value=False)
    return HostileSample(
        "pdf",
        data[: len(data) // 2],
        _BAD | {Outcome.CLEANED},
        forbidden=(b"SMZInfoAuthorQ7", b"SMZXmpCreatorQ7"),
    )
