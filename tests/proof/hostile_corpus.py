"""The hostile files DESIGN names, for the through-the-server test.

Most are the scrub engineers' own hostile samples (tests/scrub corpus,
reused, not duplicated); added here are the ones only a whole server can
meet: a PDF with 300k objects, and file names that try to escape or to
smuggle control characters.

Must never: write a sample to disk (built in memory, sent over loopback).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# Importing the corpus modules registers their hostile samples.
import tests.scrub.corpus_docs
import tests.scrub.corpus_images  # noqa: F401
from tests.scrub.corpus import HOSTILE

# Page outcome names for scrub.base.Outcome values.
PAGE_OUTCOME = {"cleaned": "cleaned", "not_cleaned": "not_cleaned", "rejected": "rejected"}


@dataclass(frozen=True)
class HostileUpload:
    name: str  # the case
    filename: str  # as sent in the multipart header
    data: bytes
    allowed: frozenset[str]  # page outcomes accepted as "defined"
    forbidden: tuple[bytes, ...] = ()
    raw_filename: bytes | None = None  # sent byte for byte, bypassing httpx's escaping
    # A whole-request refusal (4xx error page saying nothing was kept) is
    # also a defined outcome for this case (a designed form limit).
    refusal_ok: bool = False


def pdf_with_objects(count: int = 300_000) -> bytes:
    """A valid PDF whose one page has `count` annotation objects (~16 MB)."""
    parts: list[bytes] = [b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"]
    offsets: list[int] = []
    size = len(parts[0])

    def add(body: bytes) -> None:
        nonlocal size
        offsets.append(size)
        obj = b"%d 0 obj\n" % (len(offsets)) + body + b"\nendobj\n"
        parts.append(obj)
        size += len(obj)

    first = 5
    add(b"<< /Type /Catalog /Pages 2 0 R >>")
    add(b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    add(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Annots 4 0 R >>")
    add(b"[" + b" ".join(b"%d 0 R" % n for n in range(first, first + count)) + b"]")
    annot = b"<< /Type /Annot /Subtype /Text /Rect [0 0 1 1] >>"
    for _ in range(count):
        add(annot)
    xref = size
    table = [b"xref\n0 %d\n" % (len(offsets) + 1), b"0000000000 65535 f \n"]
    table += [b"%010d 00000 n \n" % off for off in offsets]
    trailer = b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(offsets) + 1,
        xref,
    )
    return b"".join(parts) + b"".join(table) + trailer


def _from_corpus(case: str, registry_name: str, filename: str) -> HostileUpload:
    with tempfile.TemporaryDirectory() as tmp:  # exiftool-free samples do not use it
        sample = HOSTILE[registry_name](Path(tmp))
    allowed = frozenset(PAGE_OUTCOME[o.value] for o in sample.allowed)
    return HostileUpload(case, filename, sample.data, allowed, sample.forbidden)


ANY = frozenset({"cleaned", "not_cleaned", "rejected"})
CONTROL_NAME = "\x01\x07\x1b[31m\x7f\t\u202eevil\u0085-" + "ж" * 150 + "\x00.txt"
LONG_NAME = "ж" * 2048 + ".txt"  # 4 KiB of UTF-8


def cases() -> list[Callable[[], HostileUpload]]:
    return [
        lambda: _from_corpus("truncated JPEG", "jpeg-truncated", "cut.jpg"),
        lambda: _from_corpus("PNG with bad CRC", "png-bad-crc", "crc.png"),
        lambda: _from_corpus("decompression-bomb PNG", "png-decompression-bomb", "bomb.png"),
        lambda: _from_corpus("1 GiB zip bomb as DOCX", "docx-zip-bomb-1gib", "bomb.docx"),
        lambda: _from_corpus("billion laughs in DOCX", "docx-billion-laughs", "laughs.docx"),
        lambda: HostileUpload("PDF with 300k objects", "many.pdf", pdf_with_objects(), ANY),
        lambda: _from_corpus("JPEG that is also a ZIP", "jpeg-zip-polyglot", "poly.jpg"),
        lambda: _from_corpus("malformed DICOM", "dicom-truncated", "scan.dcm"),
        lambda: _from_corpus("MP4 with absurd box sizes", "mp4-absurd-box-size", "movie.mp4"),
        lambda: HostileUpload(
            "0-byte file", "empty.bin", b"", frozenset({"not_cleaned", "rejected"})
        ),
        lambda: HostileUpload(
            "name ../../etc/passwd",
            "../../etc/passwd",
            b"root:x:0:0:not really:/root:/bin/sh\n",
            frozenset({"cleaned"}),
        ),
        lambda: HostileUpload(
            "control characters in the name",
            CONTROL_NAME,
            b"plain text under a hostile name\n",
            frozenset({"cleaned"}),
            raw_filename=CONTROL_NAME.encode("utf-8"),
        ),
        lambda: HostileUpload(
            "4 KiB of UTF-8 in the name",
            LONG_NAME,
            b"plain text under a long name\n",
            frozenset({"cleaned"}),
            raw_filename=LONG_NAME.encode("utf-8"),
            refusal_ok=True,
        ),
    ]
