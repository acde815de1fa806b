"""The scanner itself must find markers wherever they hide, or a clean scan
proves nothing."""

from __future__ import annotations

import gzip
import io
import secrets
import zipfile
import zlib
from pathlib import Path

from tests.support.scan import scan_bytes, scan_paths


def _marker() -> bytes:
    return b"MARK" + secrets.token_hex(8).encode()


def test_finds_raw_utf16_zip_zlib_and_gzip(tmp_path: Path) -> None:
    m = _marker()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("docProps/core.xml", b"<dc:creator>" + m + b"</dc:creator>")
    cases = {
        "raw.bin": b"xx" + m + b"yy",
        "utf16.bin": m.decode().encode("utf-16-le"),
        "doc.docx": buf.getvalue(),
        "stream.pdf": b"%PDF-1.7\n<<>>stream\n" + zlib.compress(m * 3) + b"\nendstream",
        "log.gz": gzip.compress(m),
        "clean.bin": secrets.token_bytes(4096),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    hits = {h.path.name for h in scan_paths([tmp_path], m)}
    assert hits == set(cases) - {"clean.bin"}


def test_no_false_positive_on_random_bytes() -> None:
    assert scan_bytes(secrets.token_bytes(1 << 20), _marker()) == []


def test_exclude(tmp_path: Path) -> None:
    m = _marker()
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "f").write_bytes(m)
    assert scan_paths([tmp_path], m, exclude=[tmp_path / "a"]) == []
