"""Shared checks for the OOXML/ODF tests: ZIP hygiene, exiftool on the
package and its media, LibreOffice opening the output."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest


def assert_zip_hygiene(data: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.comment == b""
        for info in zf.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0), info.filename
            assert info.extra == b"", info.filename
            assert info.comment == b"", info.filename
            # zipfile's fixed default (0600): a constant, never the host's umask
            assert info.external_attr in (0, 0o600 << 16), info.filename
            assert info.create_system == 0, info.filename


def exiftool_dump(data: bytes, suffix: str, tmp_path: Path) -> str:
    """exiftool's view of the package and of every media member in it."""
    if shutil.which("exiftool") is None:
        pytest.skip("exiftool not installed")
    paths = [tmp_path / f"doc{suffix}"]
    paths[0].write_bytes(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for n, info in enumerate(zf.infolist()):
            if not info.filename.endswith((".xml", ".rels")):
                media = tmp_path / f"member{n}"
                media.write_bytes(zf.read(info))
                paths.append(media)
    proc = subprocess.run(
        ["exiftool", "-j", "-a", "-G1", "-ee", "-u", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
    json.loads(proc.stdout)
    return proc.stdout


def libreoffice_text(data: bytes, suffix: str, tmp_path: Path) -> str:
    """Convert with LibreOffice headless to PDF and return its text; skips
    when soffice or pdftotext is missing."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    src = tmp_path / f"cleaned{suffix}"
    src.write_bytes(data)
    out = tmp_path / "lo_out"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path}/lo_profile",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(src),
        ],
        capture_output=True,
        check=True,
        timeout=180,
    )
    pdf = out / "cleaned.pdf"
    assert pdf.exists(), "LibreOffice could not open the cleaned document"
    return subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
