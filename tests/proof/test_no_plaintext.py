"""No plaintext anywhere (DESIGN's first property), against a real
`samizdat serve`: uploads whose files, names and messages carry a random
marker (also inside a JPEG GPS tag planted with exiftool and a DOCX author
field set with python-docx) leave zero hits in the data dir (store, SQLite
DB with its WAL and journal), the server's $TMPDIR, its log (stdout and
stderr), every file new in /tmp and /dev/shm since the test began, byte for
byte and after inflating compressed streams (tests/support/scan.py).

Run twice: with the default in-memory cap, and with a small
SAMIZDAT_SCRUB_IN_MEMORY_CAP so whole-file formats above it take the
streaming "not cleaned" path.

The fixtures holding the marker are built in memory and never written, so
the whole of /tmp can be scanned; a positive control then opens the
bundles (outside the scanned places) and finds the marker where it belongs.
"""

from __future__ import annotations

import io
import random
import secrets
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from PIL import Image

from tests.proof.figures import Figures
from tests.proof.payloads import KiB, text_payload, unknown_payload
from tests.proof.verify import open_bundles, scan_for_marker, store_state
from tests.support.server_process import FreshInstance, HttpSource, ServerProcess

SMALL_CAP = 128 * KiB


def exiftool_jpeg(marker: str, *, noisy: bool) -> bytes:
    """A JPEG with the marker planted by exiftool in GPS and XMP fields, via pipes only."""
    size = (640, 480) if noisy else (64, 48)
    img = Image.frombytes("RGB", size, random.Random(7).randbytes(size[0] * size[1] * 3))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=95)
    proc = subprocess.run(
        [
            "exiftool",
            "-q",
            "-q",
            f"-GPSProcessingMethod={marker}",
            "-GPSLatitude=55.7512",
            "-GPSLatitudeRef=N",
            "-GPSLongitude=37.6184",
            "-GPSLongitudeRef=E",
            f"-Artist={marker}",
            f"-XMP-dc:Creator={marker}",
            "-o",
            "-",
            "-",
        ],
        input=buf.getvalue(),
        capture_output=True,
        check=True,
        timeout=60,
    )
    assert marker.encode() in proc.stdout
    return proc.stdout


def author_docx(marker: str, *, big: bool) -> bytes:
    d = docx.Document()
    d.core_properties.author = marker
    d.core_properties.last_modified_by = marker
    d.add_paragraph("Quarterly figures attached.")
    if big:
        # Incompressible filler so the DOCX is above the small cap.
        d.add_paragraph(random.Random(3).randbytes(200 * KiB).hex())
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


@pytest.mark.slow
@pytest.mark.parametrize("cap", ["default", "small"])
def test_marker_reaches_no_disk_log_or_db(
    cap: str,
    fresh: FreshInstance,
    server_factory: Callable[..., ServerProcess],
    figures: Figures,
    tmp_path: Path,
) -> None:
    started_at = time.time() - 1
    marker = "PLAINMARK" + secrets.token_hex(10)
    rng = random.Random(11)
    env = {"SAMIZDAT_SCRUB_IN_MEMORY_CAP": str(SMALL_CAP)} if cap == "small" else {}
    server = server_factory(fresh, env)
    server.start()
    big = cap == "small"
    uploads = [
        [(f"notes-{marker}.txt", text_payload("a", marker, 40 * KiB, rng))],
        [("data.bin", unknown_payload("b", marker, 300 * KiB, rng))],
        [("photo.jpg", exiftool_jpeg(marker, noisy=big))],
        [("report.docx", author_docx(marker, big=big))],
    ]
    outcomes: dict[str, str] = {}
    for files in uploads:
        with HttpSource(server.source_url) as source:
            assert source.new().status_code == 200
            res = source.submit(files, f"message {marker} ends")
            assert res.sent, res.page
            outcomes.update({f.name: f.outcome for f in res.files})
    # Stop first: a graceful stop checkpoints the WAL and flushes logs.
    server.stop()
    if big:
        # Above the cap a whole-file format is sealed as it is, and says so.
        assert outcomes["photo.jpg"] == "not_cleaned"
        assert outcomes["report.docx"] == "not_cleaned"
    else:
        assert outcomes["photo.jpg"] == "cleaned"
        assert outcomes["report.docx"] == "cleaned"
    hits, scanned = scan_for_marker(
        marker,
        everything_under=[fresh.data_dir, Path(server.env["TMPDIR"]), server.log_path.parent],
        recent_under=[Path("/tmp"), Path("/dev/shm")],
        since=started_at,
    )
    figures(f"{cap} cap: files scanned", scanned)
    figures(f"{cap} cap: marker hits", len(hits))
    assert not hits, hits

    # Positive control (the scan would have seen it): the marker is inside
    # the sealed submissions, and the cleaned JPEG/DOCX no longer hold it.
    workstation = tmp_path / "workstation"
    state = store_state(fresh.data_dir)
    opened = open_bundles(fresh, fresh.identity(), state.rows, workstation)
    assert len(opened) == len(uploads)
    by_name = {f.name: f.path.read_bytes() for ob in opened.values() for f in ob.files}
    assert all(marker in (ob.message or "") for ob in opened.values())
    assert marker.encode() in by_name[f"notes-{marker}.txt"]
    assert marker.encode() in by_name["data.bin"]
    for name in ("photo.jpg", "report.docx"):
        from tests.support.scan import scan_bytes

        found = scan_bytes(by_name[name], marker.encode())
        if big:
            assert found, f"{name} sealed as it is must still hold the marker"
        else:
            assert not found, f"cleaned {name} still holds the marker: {found}"
