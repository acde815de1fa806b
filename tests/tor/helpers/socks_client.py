"""The test client inside the namespace: HTTP over the tor client's SOCKS port.

Prints one JSON object on stdout. Modes:
  get PROXY URL                 -> {"status", "body", "seconds"}
  upload PROXY URL NBYTES       -> {"status", "body", "sha256", "seconds"}
  socks-reply SOCKSPORT HOST    -> {"reply": <SOCKS5 reply code>}
Failures print {"error": "..."} and exit 1. The `socks-reply` mode speaks
SOCKS5 by hand because tor's extended reply codes (0xF4: onion service
missing client authorisation) are exactly what the test asserts on.
"""

from __future__ import annotations

import hashlib
import json
import os
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
