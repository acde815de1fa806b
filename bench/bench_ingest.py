"""Ingest benchmark against a real `samizdat serve` process over loopback.

1. One 256 MiB upload, streamed from a file by the client: MiB/s, and the
   ratio to `age -e` of the same file in the same run.
2. Peak RSS of the server process and its children (scrub workers) during a
   1 GiB upload.
3. Landing-page latency (p50/p95) while 16 clients each upload 20 MB.

Usage: .venv/bin/python bench/bench_ingest.py [--small]   (--small: 64 MiB / 256 MiB / 4 MB)
Prints one JSON object. Random (incompressible, "unknown" type) files: they
stream straight into the sealer, the path a large upload takes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import contextlib

from crypto.keys import generate_identity
from server.admin.context import open_admin
from server.admin.init import init_instance
from server.admin.journalists import enrol_journalist
from tests.server.serve_helpers import start_server

MiB = 1024 * 1024
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_file(path: Path, size: int) -> None:
    with path.open("wb") as f:
        left = size
        while left:
            n = min(left, 8 * MiB)
            f.write(os.urandom(n))
            left -= n


def signed_in_client(base: str) -> tuple[httpx.Client, str]:
    c = httpx.Client(base_url=base, timeout=600, follow_redirects=True)
    token = CSRF.search(c.get("/").text).group(1)  # type: ignore[union-attr]
    page = c.post("/new", data={"csrf_token": token}).text
    return c, CSRF.search(page).group(1)  # type: ignore[union-attr]


def upload(c: httpx.Client, token: str, path: Path) -> float:
    """POST /submit as a browser would, the file body sent with sendfile(2).

    A lean client on purpose: on a 2-core machine an httpx multipart encoder
    in the same run costs about as much CPU as the server's own parsing.
    """
    url = httpx.URL(str(c.base_url))
    boundary = "----samizdatbench" + os.urandom(8).hex()
    pre = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
        f'filename="{path.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()
    post = f"\r\n--{boundary}--\r\n".encode()
    size = path.stat().st_size
    cookie = "; ".join(f"{k}={v}" for k, v in c.cookies.items())
    head = (
        f"POST /submit HTTP/1.1\r\nHost: {url.host}:{url.port}\r\nCookie: {cookie}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(pre) + size + len(post)}\r\nConnection: close\r\n\r\n"
    ).encode()
    t0 = time.perf_counter()
    with socket.create_connection((url.host, url.port)) as s, path.open("rb") as f:
        s.sendall(head + pre)
        s.sendfile(f)
        s.sendall(post)
        resp = b""
        while chunk := s.recv(65536):
            resp += chunk
    dt = time.perf_counter() - t0
    assert resp.startswith(b"HTTP/1.1 200"), resp[:500]
    return dt


def tree_rss(pid: int) -> int:
    try:
        p = psutil.Process(pid)
        procs = [p, *p.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for q in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += q.memory_info().rss
    return total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", action="store_true")
    args = ap.parse_args()
    size1, size2, size3 = (
        (64 * MiB, 256 * MiB, 4_000_000) if args.small else (256 * MiB, 1024 * MiB, 20_000_000)
    )
    work = Path(tempfile.mkdtemp(prefix="sz-bench-"))
    try:
        root = work / "data"
        init_instance(root, actor="bench")
        ident = generate_identity()
        ctx = open_admin(root, actor="bench")
        enrol_journalist(ctx, "bench", ident.recipient())
        ctx.engine.dispose()
        server = start_server(root, work / "logs")
        out: dict[str, object] = {}
        try:
            f1 = work / "upload-1.bin"
            make_file(f1, size1)
            c, token = signed_in_client(server.source_url)
            upload(c, token, f1)  # warm-up (page cache, first-run imports)
            dt = upload(c, token, f1)
            rate = size1 / MiB / dt
            age = shutil.which("age")
            age_rate = None
            if age:
                t0 = time.perf_counter()
                subprocess.run(
                    [age, "-e", "-r", ident.recipient().encode(), "-o", os.devnull, str(f1)],
                    check=True,
                )
                age_rate = size1 / MiB / (time.perf_counter() - t0)
            out["upload_mib"] = size1 // MiB
            out["upload_mib_s"] = round(rate, 1)
            out["age_e_mib_s"] = round(age_rate, 1) if age_rate else None
            out["ratio_vs_age"] = round(rate / age_rate, 2) if age_rate else None
            c.close()
            f1.unlink()

            # 2. peak RSS during a big upload
            f2 = work / "upload-2.bin"
            make_file(f2, size2)
            c, token = signed_in_client(server.source_url)
            peak = tree_rss(server.proc.pid)
            done = threading.Event()

            def sample() -> None:
                nonlocal peak
                while not done.is_set():
                    peak = max(peak, tree_rss(server.proc.pid))
                    time.sleep(0.05)

            t = threading.Thread(target=sample)
            t.start()
            dt2 = upload(c, token, f2)
            done.set()
            t.join()
            out["big_upload_mib"] = size2 // MiB
            out["big_upload_mib_s"] = round(size2 / MiB / dt2, 1)
            out["peak_rss_mib"] = round(peak / MiB, 1)
            c.close()
            f2.unlink()

            # 3. landing page latency under 16 concurrent uploads
            f3 = work / "upload-3.bin"
            make_file(f3, size3)
            clients = [signed_in_client(server.source_url) for _ in range(16)]
            lat: list[float] = []
            stop = threading.Event()

            def uploader(cl: httpx.Client, tok: str) -> None:
                upload(cl, tok, f3)

            threads = [threading.Thread(target=uploader, args=ct) for ct in clients]
            t0 = time.perf_counter()
            for th in threads:
                th.start()
            with httpx.Client(base_url=server.source_url, timeout=60) as probe:
                while any(th.is_alive() for th in threads):
                    s = time.perf_counter()
                    assert probe.get("/").status_code == 200
                    lat.append(time.perf_counter() - s)
                    time.sleep(0.05)
            for th in threads:
                th.join()
            stop.set()
            total = time.perf_counter() - t0
            lat.sort()
            out["concurrent_uploads"] = 16
            out["concurrent_upload_mb"] = size3 / 1e6
            out["concurrent_total_s"] = round(total, 2)
            out["landing_samples"] = len(lat)
            out["landing_p50_ms"] = round(statistics.median(lat) * 1000, 1)
            out["landing_p95_ms"] = round(lat[int(0.95 * (len(lat) - 1))] * 1000, 1)
            for cl, _ in clients:
                cl.close()
        finally:
            server.stop()
        print(json.dumps(out, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
