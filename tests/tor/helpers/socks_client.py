"""The test client inside the namespace: HTTP over the tor client's SOCKS port.

Prints one JSON object on stdout. Modes:
  get PROXY URL                 -> {"status", "body", "seconds"}
  upload PROXY URL NBYTES       -> {"status", "body", "sha256", "seconds"}
  socks-reply SOCKSPORT HOST    -> {"reply": <SOCKS5 reply code>}
  source-submit PROXY BASE NAME MARKER
                                -> a new source (/, /new) submits one file
                                   holding MARKER with a message, as the
                                   source pages expect: {"status", "page", "seconds"}
  wait-http URL SECONDS         -> {"status"} once URL answers (direct, no proxy)
Failures print {"error": "..."} and exit 1. The `socks-reply` mode speaks
SOCKS5 by hand because tor's extended reply codes (0xF4: onion service
missing client authorisation) are exactly what the test asserts on.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import struct
import sys
import time

import httpx


def _get(proxy: str, url: str) -> dict[str, object]:
    start = time.monotonic()
    with httpx.Client(proxy=proxy, timeout=60) as client:
        r = client.get(url)
    return {"status": r.status_code, "body": r.text, "seconds": time.monotonic() - start}


def _upload(proxy: str, url: str, nbytes: int) -> dict[str, object]:
    data = os.urandom(nbytes)
    start = time.monotonic()
    with httpx.Client(proxy=proxy, timeout=120) as client:
        r = client.post(url, content=data)
    return {
        "status": r.status_code,
        "body": r.text,
        "sha256": hashlib.sha256(data).hexdigest(),
        "seconds": time.monotonic() - start,
    }


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _csrf(html: str) -> str:
    m = _CSRF.search(html)
    if m is None:
        raise OSError("no csrf_token on the page")
    return m.group(1)


def _source_submit(proxy: str, base: str, name: str, marker: str) -> dict[str, object]:
    start = time.monotonic()
    with httpx.Client(proxy=proxy, base_url=base, timeout=120) as c:
        home = c.get("/")
        new = c.post("/new", data={"csrf_token": _csrf(home.text)})
        if new.status_code != 200 or 'id="codename"' not in new.text:
            return {"error": f"/new answered {new.status_code}"}
        form = c.get("/submit")
        r = c.post(
            "/submit",
            data={"csrf_token": _csrf(form.text), "message": f"message {marker}"},
            files=[("files", (name, f"document {marker}\n".encode(), "text/plain"))],
        )
    return {"status": r.status_code, "page": r.text, "seconds": time.monotonic() - start}


def _wait_http(url: str, seconds: float) -> dict[str, object]:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return {"status": httpx.get(url, timeout=5).status_code}
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def _socks_reply(port: int, host: str) -> dict[str, object]:
    with socket.create_connection(("127.0.0.1", port), timeout=90) as s:
        s.sendall(b"\x05\x01\x00")
        if s.recv(2) != b"\x05\x00":
            return {"error": "SOCKS5 greeting refused"}
        name = host.encode()
        s.sendall(b"\x05\x01\x00\x03" + bytes([len(name)]) + name + struct.pack(">H", 80))
        head = s.recv(4)
        if len(head) < 2:
            return {"error": "SOCKS5 connection closed"}
        return {"reply": head[1]}


def main() -> None:
    mode = sys.argv[1]
    try:
        if mode == "get":
            out = _get(sys.argv[2], sys.argv[3])
        elif mode == "upload":
            out = _upload(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        elif mode == "source-submit":
            out = _source_submit(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
        elif mode == "wait-http":
            out = _wait_http(sys.argv[2], float(sys.argv[3]))
        elif mode == "socks-reply":
            out = _socks_reply(int(sys.argv[2]), sys.argv[3])
        else:
            raise SystemExit(f"unknown mode {mode}")
    except (httpx.HTTPError, OSError) as exc:
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
        sys.exit(1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
