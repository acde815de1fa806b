"""Security headers on every response, as pure ASGI middleware.

Shared by the source and the journalist app. Pure ASGI (not Starlette's
BaseHTTPMiddleware) so a streamed upload body passes through untouched and
is never buffered here.

Must never: add a header that names the software or its version, echo a
request value into a header, or relax the CSP per route.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Source pages load nothing but our own stylesheet: no script, no font, no
# frame, no external anything (a page that fetches from another host would
# deanonymise a source on Tor Browser's Standard level, or fingerprint them).
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

BASE_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    # A Referer would tell the next site the onion address the source came from.
    (b"referrer-policy", b"no-referrer"),
    # Nothing a source sees may stay in a browser or proxy cache.
    (b"cache-control", b"no-store"),
    (b"pragma", b"no-cache"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
)

# Headers we replace or drop whatever the app or server set: our values win,
# and nothing names the server software.
_OWNED = {name for name, _ in BASE_HEADERS} | {b"server", b"x-powered-by", b"onion-location"}


class SecurityHeaders:
    """Adds BASE_HEADERS (and Onion-Location when configured) to every response."""

    def __init__(self, app: ASGIApp, *, onion_location: str = "") -> None:
        self.app = app
        # Only an http://….onion URL validated by Settings reaches here.
        self._onion = onion_location.rstrip("/").encode("ascii") if onion_location else b""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [
                    (k, v)
                    for k, v in _iter_headers(message.get("headers", ()))
                    if k.lower() not in _OWNED
                ]
                kept.extend(BASE_HEADERS)
                if self._onion:
                    # Path only, never the query: a query may hold form input.
                    kept.append((b"onion-location", self._onion + _ascii_path(path)))
                message = {**message, "headers": kept}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _iter_headers(headers: Iterable[tuple[bytes, bytes]]) -> Iterable[tuple[bytes, bytes]]:
    for k, v in headers:
        yield bytes(k), bytes(v)


def _ascii_path(path: str) -> bytes:
    return quote(path, safe="/").encode("ascii")
