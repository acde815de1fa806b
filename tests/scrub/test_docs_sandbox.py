"""The document/DICOM/video scrubbers work inside the sandboxed worker
(address-space cap, no file writes, no network) and hostile inputs get a
defined outcome there, the way the server runs them."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scrub.base import DEFAULT_PROFILE, Outcome
from scrub.sandbox import ScrubPool
from tests.scrub import _docs_corpus as docs
from tests.scrub import _office_corpus as office


@pytest.fixture(scope="module")
def pool() -> Iterator[ScrubPool]:
    p = ScrubPool(max_workers=1)
    yield p
    p.close()


_CLEAN: dict[str, Callable[[], bytes]] = {
    "pdf": lambda: docs.make_pdf(pages=2),
    "docx": office.make_docx,
    "xlsx": office.make_xlsx,
    "odt": lambda: office.make_odf("odt"),
    "dicom": docs.make_dicom,
}


@pytest.mark.parametrize("kind", sorted(_CLEAN))
def test_cleaned_inside_the_sandbox(pool: ScrubPool, kind: str) -> None:
    result = pool.scrub(_CLEAN[kind](), DEFAULT_PROFILE)
    assert result.report.detected_type == kind
    assert result.report.outcome is Outcome.CLEANED, result.report.reason
    assert result.data is not None
    leftover = result.data
    if kind == "dicom":  # the default profile keeps the clinical fields
        for kept in ("PatientName", "PatientID", "OtherIDs", "StudyDesc"):
            leftover = leftover.replace(docs.marker(kept).encode(), b"")
    assert b"SMZ" not in leftover


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
def test_video_cleaned_inside_the_sandbox(pool: ScrubPool, tmp_path: Path) -> None:
    import subprocess

    out = tmp_path / "v.mov"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=duration=1:size=64x48:rate=5",
         "-c:v", "mjpeg", "-metadata", "title=SMZSandboxTitleQ7", "-y", str(out)],
        check=True, capture_output=True,
    )  # fmt: skip
    result = pool.scrub(out.read_bytes(), DEFAULT_PROFILE)
    assert result.report.outcome is Outcome.CLEANED, result.report.reason
    assert result.data is not None and b"SMZ" not in result.data


@pytest.mark.parametrize(
    "make",
    [
        office.zip_bomb_docx,
        lambda: office.with_member(office.make_docx(), "word/document.xml", office.BILLION_LAUGHS),
        lambda: docs.make_dicom()[:400],
    ],
    ids=["zip-bomb-1gib", "billion-laughs", "dicom-truncated"],
)
def test_hostile_inside_the_sandbox(pool: ScrubPool, make: Callable[[], bytes]) -> None:
    result = pool.scrub(make(), DEFAULT_PROFILE)
    assert result.report.outcome in (Outcome.REJECTED, Outcome.NOT_CLEANED)
    assert result.data is None
