"""The shared security-headers middleware, on its own."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from server.web.headers import CSP, SecurityHeaders


async def _page(request: Request) -> PlainTextResponse:
    return PlainTextResponse(
        "hi", headers={"server": "leaky/1.0", "x-powered-by": "x", "cache-control": "max-age=99"}
    )


def _app(onion: str = "") -> TestClient:
    app = Starlette(routes=[Route("/p/{x}", _page)])
    return TestClient(SecurityHeaders(app, onion_location=onion))  # type: ignore[arg-type]


def test_headers_replace_what_the_app_set() -> None:
    r = _app().get("/p/1?q=secret")
    assert r.headers["content-security-policy"] == CSP
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "server" not in r.headers and "x-powered-by" not in r.headers
    assert "onion-location" not in r.headers


def test_onion_location_carries_the_path_only() -> None:
    onion = "http://" + "a" * 56 + ".onion"
    r = _app(onion).get("/p/1?q=secret")
    assert r.headers["onion-location"] == onion + "/p/1"
