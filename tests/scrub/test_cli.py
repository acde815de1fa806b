"""`samizdat scrub` through the real console command (a subprocess, as users run it)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from PIL import Image

SAMIZDAT = [sys.executable, "-m", "samizdat"]


def _jpeg(path: Path, make: str) -> Path:
    exif = Image.Exif()
    exif[0x010F] = make
    exif[0x0112] = 6
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 10, 10)).save(buf, "JPEG", exif=exif)
    path.write_bytes(buf.getvalue())
    return path


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SAMIZDAT, "scrub", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=120,
    )


def test_writes_only_cleaned_files_and_exits_1_when_one_is_not(tmp_path: Path) -> None:
    photo = _jpeg(tmp_path / "photo.jpg", "SMZCliMakeQ7")
    blob = tmp_path / "blob.bin"
    blob.write_bytes(b"\x00\x01\x02 not a known type")
    out = tmp_path / "out"
    result = _run(photo, blob, "--out-dir", out, cwd=tmp_path)
    assert result.returncode == 1
    assert sorted(p.name for p in out.iterdir()) == ["photo.jpg"]
    assert b"SMZCliMakeQ7" not in (out / "photo.jpg").read_bytes()
    assert "photo.jpg: cleaned (jpeg)" in result.stdout
    assert "removed EXIF: Make" in result.stdout
    assert "kept: EXIF:Orientation" in result.stdout
    assert "blob.bin: NOT CLEANED (unknown)" in result.stdout
    assert "SMZCliMakeQ7" not in result.stdout  # names, never values


def test_json_report_and_exit_0_when_all_cleaned(tmp_path: Path) -> None:
    photo = _jpeg(tmp_path / "a.jpg", "SMZCliJsonQ7")
    notes = tmp_path / "notes.csv"
    notes.write_text("a,b\n1,2\n")
    result = _run(photo, notes, "--out-dir", tmp_path / "o", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["all_cleaned"] is True
    by_name = {Path(f["file"]).name: f for f in doc["files"]}
    assert by_name["a.jpg"]["outcome"] == "cleaned"
    assert "Make" in by_name["a.jpg"]["removed"]["EXIF"]
    assert by_name["notes.csv"]["detected_type"] == "text"
    assert (tmp_path / "o" / "notes.csv").read_text() == "a,b\n1,2\n"
    assert "SMZCliJsonQ7" not in result.stdout


def test_rejected_file_writes_nothing(tmp_path: Path) -> None:
    photo = _jpeg(tmp_path / "cut.jpg", "x")
    photo.write_bytes(photo.read_bytes()[:300])
    out = tmp_path / "out"
    result = _run(photo, "--out-dir", out, cwd=tmp_path)
    assert result.returncode == 1
    assert "REJECTED" in result.stdout
    assert list(out.iterdir()) == []


def test_never_overwrites_its_input(tmp_path: Path) -> None:
    photo = _jpeg(tmp_path / "p.jpg", "SMZKeepQ7")
    before = photo.read_bytes()
    result = _run(photo, "--out-dir", tmp_path, cwd=tmp_path)
    assert result.returncode == 1
    assert photo.read_bytes() == before


def test_sandbox_option_gives_the_same_output(tmp_path: Path) -> None:
    photo = _jpeg(tmp_path / "p.jpg", "SMZSandQ7")
    assert _run(photo, "--out-dir", tmp_path / "a", cwd=tmp_path).returncode == 0
    assert _run(photo, "--out-dir", tmp_path / "b", "--sandbox", cwd=tmp_path).returncode == 0
    assert (tmp_path / "a" / "p.jpg").read_bytes() == (tmp_path / "b" / "p.jpg").read_bytes()


def test_unknown_profile_is_a_usage_error(tmp_path: Path) -> None:
    photo = _jpeg(tmp_path / "p.jpg", "x")
    result = _run(photo, "--out-dir", tmp_path / "o", "--profile", "nope", cwd=tmp_path)
    assert result.returncode == 2
    assert "error:" in result.stderr
