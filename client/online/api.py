"""A small client for the journalist API (CONTRACT.md routes), on httpx.

All network I/O of the online CLI goes through `JournalistApi`; httpx's
errors are mapped to our own at this boundary. Without a proxy it connects
directly; a `.onion` server without a proxy is refused before any traffic
(it would otherwise leak the lookup to the local resolver).
Must never log or print the token, password or code, and never follow a
redirect to another host.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from client.online.errors import ApiFailure, ServerUnreachable, SignInRefused, UsageProblem

_TIMEOUT = httpx.Timeout(60.0, connect=30.0)
# Chunk size for streaming a bundle to disk: bounded memory for any size.
_CHUNK = 256 * 1024
_PROXY_SCHEMES = ("socks5", "socks5h", "http", "https")


def check_endpoints(server: str, proxy: str | None) -> str:
    """Validate the server URL and proxy; return the normalised base URL."""
    parts = urlsplit(server)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageProblem(
            f"not a server URL: {server}",
            hint="give the journalist interface's address, e.g. http://abc…xyz.onion",
        )
    if parts.hostname.endswith(".onion") and not proxy:
        raise UsageProblem(
            "an .onion address needs Tor",
            hint="pass --proxy socks5h://127.0.0.1:9050 (Tor's SOCKS port; 9150 for Tor Browser)",
        )
    if proxy and urlsplit(proxy).scheme not in _PROXY_SCHEMES:
        raise UsageProblem(
            f"unsupported proxy: {proxy}",
            hint="use Tor's SOCKS port: --proxy socks5h://127.0.0.1:9050",
        )
    return server.rstrip("/")


@dataclass(frozen=True)
class RemoteSubmission:
    id: str
    source_id: str
    designation: str
    size: int
    day: str
    signature_present: bool


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    detail = body.get("detail") if isinstance(body, dict) else None
    return detail if isinstance(detail, str) else f"HTTP {response.status_code}"


class JournalistApi:
    def __init__(self, server: str, *, proxy: str | None = None) -> None:
        base = check_endpoints(server, proxy)
        self._proxy = proxy
        self._client = httpx.Client(
            base_url=base,
            proxy=proxy,
            timeout=_TIMEOUT,
            follow_redirects=False,
            # Only our proxy, never one picked up from the environment.
            trust_env=False,
            headers={"User-Agent": "samizdat"},
        )
        self._token: str | None = None

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> JournalistApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing --------------------------------------------------------------
    @contextmanager
    def _mapped_errors(self) -> Iterator[None]:
        try:
            yield
        except httpx.ProxyError as exc:
            raise ServerUnreachable(
                f"the proxy refused the connection ({type(exc).__name__})",
                hint="is Tor running and the onion address right? check --proxy",
            ) from None
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            where = f"through the proxy {self._proxy}" if self._proxy else "directly"
            hint = (
                "is Tor running? is the address right? (Tor's SOCKS port is usually 9050)"
                if self._proxy
                else "check the address, or pass --proxy socks5h://127.0.0.1:9050 to use Tor"
            )
            raise ServerUnreachable(
                f"cannot reach the server {where} ({type(exc).__name__})", hint=hint
            ) from None
        except httpx.TimeoutException:
            raise ServerUnreachable(
                "the server stopped answering (timeout)", hint="try again; Tor can be slow"
            ) from None
        except httpx.TransportError as exc:
            raise ServerUnreachable(
                f"the connection failed ({type(exc).__name__})", hint="try again"
            ) from None

    def _auth(self) -> dict[str, str]:
        if self._token is None:
            raise ApiFailure("not signed in")
        return {"Authorization": f"Bearer {self._token}"}

    def _check(self, response: httpx.Response, what: str) -> None:
        if response.status_code == 401:
            raise SignInRefused(
                f"{what}: the server refused the token ({_detail(response)})",
                hint="tokens are short-lived: run the command again to sign in afresh",
            )
        if response.status_code == 404:
            raise ApiFailure(f"{what}: not found on the server", hint="it may have been deleted")
        if response.status_code >= 400:
            raise ApiFailure(f"{what}: {_detail(response)}")

    # -- API -------------------------------------------------------------------
    def sign_in(self, username: str, password: str, otp: str) -> str:
        """Get a bearer token; returns its expiry (ISO 8601)."""
        with self._mapped_errors():
            r = self._client.post(
                "/api/v1/token", json={"username": username, "password": password, "otp": otp}
            )
        if r.status_code in (401, 429):
            hint = (
                "wait, then try again (at most 5 attempts per minute)"
                if r.status_code == 429
                else "check the user name and password; codes change every 30 s and work once"
            )
            raise SignInRefused(_detail(r), hint=hint)
        self._check(r, "sign-in")
        body = r.json()
        self._token = str(body["token"])
        return str(body["expires"])

    def submissions(self) -> list[RemoteSubmission]:
        with self._mapped_errors():
            r = self._client.get("/api/v1/submissions", headers=self._auth())
        self._check(r, "listing submissions")
        items: list[dict[str, Any]] = r.json()["submissions"]
        return [
            RemoteSubmission(
                id=str(i["id"]),
                source_id=str(i["source_id"]),
                designation=str(i["designation"]),
                size=int(i["size"]),
                day=str(i["day"]),
                signature_present=bool(i["signature_present"]),
            )
            for i in items
        ]

    def server_keys(self) -> str:
        with self._mapped_errors():
            r = self._client.get("/api/v1/server-keys", headers=self._auth())
        self._check(r, "getting the server key chain")
        return r.text

    def signature(self, submission_id: str) -> str:
        with self._mapped_errors():
            r = self._client.get(
                f"/api/v1/submissions/{submission_id}/signature", headers=self._auth()
            )
        self._check(r, f"signature of {submission_id}")
        return r.text

    def download_bundle(
        self, submission_id: str, part: Path, on_bytes: Callable[[int], None]
    ) -> None:
        """Download into `part`, resuming from its current size with Range."""
        have = part.stat().st_size if part.exists() else 0
        headers = self._auth()
        if have:
            headers["Range"] = f"bytes={have}-"
        with (
            self._mapped_errors(),
            self._client.stream(
                "GET", f"/api/v1/submissions/{submission_id}/bundle", headers=headers
            ) as r,
        ):
            if r.status_code == 416 and have:
                return  # already complete
            if r.status_code not in (200, 206):
                r.read()
                self._check(r, f"bundle {submission_id}")
                raise ApiFailure(f"bundle {submission_id}: HTTP {r.status_code}")
            # 200 means the server ignored our Range: start over.
            resume = r.status_code == 206
            if resume:
                on_bytes(have)
            flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if resume else os.O_TRUNC)
            fd = os.open(part, flags, 0o600)
            with os.fdopen(fd, "ab" if resume else "wb") as f:
                for chunk in r.iter_bytes(_CHUNK):
                    f.write(chunk)
                    on_bytes(len(chunk))
                f.flush()
                os.fsync(f.fileno())

    def upload_reply(self, source_id: str, sealed_reply: bytes) -> str:
        with self._mapped_errors():
            r = self._client.post(
                f"/api/v1/sources/{source_id}/replies",
                content=sealed_reply,
                headers={**self._auth(), "Content-Type": "application/octet-stream"},
            )
        if r.status_code == 404:
            raise ApiFailure(
                f"no source with id {source_id} on the server",
                hint="use the source id shown by `decrypt` or on the source's page",
            )
        self._check(r, "uploading the reply")
        return str(r.json()["id"])
