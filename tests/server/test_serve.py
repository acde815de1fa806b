"""`samizdat serve` as a real process: start-up refusals, the recovery sweep,
and the plaintext scan (no marker byte anywhere on disk, in logs or the DB)."""

from __future__ import annotations

import secrets
import tempfile
import uuid
from pathlib import Path

import httpx
import pytest

from tests.server.conftest import make_instance
from tests.server.serve_helpers import run_cli, start_server
from tests.server.source_helpers import CODENAME_RE, csrf, gps_jpeg
from tests.support.scan import scan_paths


def test_refuses_uninitialised_dir(tmp_path: Path) -> None:
    code, out = run_cli("serve", "--data-dir", str(tmp_path / "nothing"))
    assert code != 0
    assert "error:" in out and "samizdat admin init" in out


def test_refuses_without_an_active_journalist_key(tmp_path: Path) -> None:
    make_instance(tmp_path / "d", enrol=False)
    (tmp_path / "d" / "store" / "tmp" / "left.tmp").write_bytes(b"x")
    code, out = run_cli("serve", "--data-dir", str(tmp_path / "d"))
    assert code != 0
    assert "no active journalist key" in out and "samizdat admin journalist add" in out
    # A refused start changes nothing.
    assert (tmp_path / "d" / "store" / "tmp" / "left.tmp").exists()


def test_sweep_reports_what_it_removed(tmp_path: Path) -> None:
    inst = make_instance(tmp_path / "d")
    (inst.paths.store_tmp / "a.tmp").write_bytes(b"half a bundle")
    orphan = inst.paths.bundles / f"{uuid.uuid4()}.age"
    orphan.write_bytes(b"never acknowledged")
    server = start_server(inst.root, tmp_path / "logs")
    try:
        r = httpx.get(server.source_url + "/")
        # uvicorn runs with server_header=False, date_header=False.
        assert "server" not in r.headers and "date" not in r.headers
        assert r.headers["cache-control"] == "no-store"
    finally:
        server.stop()
    assert "removed 1 temp file(s) and 1 unacknowledged file(s)" in server.logs()
    assert not orphan.exists()
    assert list(inst.paths.store_tmp.iterdir()) == []


@pytest.mark.slow
def test_no_plaintext_anywhere(tmp_path: Path) -> None:
    marker = "MARK" + secrets.token_hex(12)
    inst = make_instance(tmp_path / "d")
    server_tmp = Path(tempfile.mkdtemp(prefix="sz-scan-"))
    server = start_server(inst.root, tmp_path / "logs", env={"TMPDIR": str(server_tmp)})
    try:
        with httpx.Client(base_url=server.source_url, timeout=60, follow_redirects=True) as c:
            token = csrf(c.get("/").text)
            page = c.post("/new", data={"csrf_token": token}).text
            codename = CODENAME_RE.search(page).group(1)  # type: ignore[union-attr]
            token = csrf(page)
            big = (marker.encode() + b" ") * 200_000  # ~7 MB text, several chunks
            r = c.post(
                "/submit",
                data={"csrf_token": token, "message": f"message {marker}"},
                files=[
                    ("files", (f"{marker}.txt", big, "text/plain")),
                    ("files", ("gps.jpg", gps_jpeg(marker), "image/jpeg")),
                    ("files", ("raw.bin", b"\x00\x01" + marker.encode() * 50, "x/y")),
                ],
            )
            assert r.status_code == 200, r.text
            c.post("/logout", data={"csrf_token": csrf(r.text)})
            token = csrf(c.get("/login").text)
            r = c.post("/login", data={"csrf_token": token, "codename": codename})
            assert r.status_code == 200 and "/logout" in r.text
    finally:
        server.stop()
    hits = scan_paths([inst.root, server_tmp, Path("/dev/shm"), tmp_path / "logs"], marker.encode())
    assert hits == []
    # No codename, address or agent in the logs; nothing per request at all.
    logs = server.logs()
    assert codename not in logs
    banner = ("source app: ", "journalist app: ", "INFO uvicorn.error: Uvicorn running on ")
    request_lines = [ln for ln in logs.splitlines() if not ln.startswith(banner)]
    assert not [ln for ln in request_lines if "127.0.0.1" in ln]
    assert "python-httpx" not in logs and "POST" not in logs and "GET" not in logs
    for p in (inst.paths.db, inst.paths.db.with_name("samizdat.db-wal")):
        if p.exists():
            assert codename.encode() not in p.read_bytes()


@pytest.mark.slow
def test_demo_sets_up_and_serves(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.server.serve_helpers import free_port

    sport, jport = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAMIZDAT_")}
    out_path = tmp_path / "demo.out"
    with out_path.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "samizdat",
                "demo",
                "--data-dir",
                str(tmp_path / "demo"),
                "--source-port",
                str(sport),
                "--journalist-port",
                str(jport),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        deadline = time.monotonic() + 90
        up = False
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                up = httpx.get(f"http://127.0.0.1:{sport}/", timeout=2).status_code == 200
                up = up and httpx.get(f"http://127.0.0.1:{jport}/", timeout=2).status_code < 500
            except httpx.HTTPError:
                up = False
            if up:
                break
            time.sleep(0.3)
        assert up, out_path.read_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    text = out_path.read_text()
    passphrase = (tmp_path / "demo-journalist" / "passphrase.txt").read_text().strip()
    assert passphrase in text
    assert f"http://127.0.0.1:{sport}/" in text and f"http://127.0.0.1:{jport}/" in text
    assert "samizdat journalist decrypt" in text
    assert (tmp_path / "demo-journalist" / "demo-journalist.key.pub").read_text().startswith("age1")


def test_over_limit_upload_gets_a_clear_page_and_keeps_nothing(tmp_path: Path) -> None:
    inst = make_instance(tmp_path / "d")
    server = start_server(
        inst.root,
        tmp_path / "logs",
        env={"SAMIZDAT_MAX_FILE_BYTES": "1000000", "SAMIZDAT_MAX_SUBMISSION_BYTES": "1500000"},
    )
    try:
        with httpx.Client(base_url=server.source_url, timeout=60, follow_redirects=True) as c:
            token = csrf(c.get("/").text)
            token = csrf(c.post("/new", data={"csrf_token": token}).text)
            r = c.post(
                "/submit",
                data={"csrf_token": token},
                files=[("files", ("big.bin", secrets.token_bytes(1_200_000), "x/y"))],
            )
            assert r.status_code == 413
            assert "larger than this server accepts" in r.text
            # The session and the server are fine afterwards.
            r = c.post(
                "/submit",
                data={"csrf_token": token, "message": "small one"},
                files=[("files", ("ok.txt", b"fine\n", "text/plain"))],
            )
            assert r.status_code == 200
    finally:
        server.stop()
    assert len(list(inst.paths.bundles.glob("*.age"))) == 1
    assert list(inst.paths.store_tmp.iterdir()) == []
