"""A plain HTTP server (stdlib http.server) for the onion tests.

Runs inside the namespace on 127.0.0.1. GET answers with a fixed marker
(so the test knows it reached *this* server); POST reads the whole body and
answers with its length and SHA-256 (so an upload is checked end to end
without keeping the bytes). Usage: http_sink.py PORT MARKER
"""

from __future__ import annotations

import hashlib
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main() -> None:
    port, marker = int(sys.argv[1]), sys.argv[2].encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._reply(marker)

        def do_POST(self) -> None:
            remaining = int(self.headers.get("Content-Length", "0"))
            digest = hashlib.sha256()
            total = 0
            while remaining:
                chunk = self.rfile.read(min(remaining, 65536))
                if not chunk:
                    break
                digest.update(chunk)
                total += len(chunk)
                remaining -= len(chunk)
            self._reply(json.dumps({"length": total, "sha256": digest.hexdigest()}).encode())

        def _reply(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return  # no access log: nothing to leak, nothing to fill

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
