"""Server-side source sessions behind an opaque random cookie.

The cookie holds 32 random bytes and nothing else. The server keys its
session table by a hash of the cookie, and keeps the source's reply key only
*sealed to a key derived from the cookie*: a memory or disk snapshot of the
server alone cannot read replies, and a session dies with the process.

Must never: put a codename, source id or any readable state in a cookie;
keep a reply key in the clear between requests; set the `Secure` flag or a
`__Host-` prefix (onion services are plain http; Tor Browser treats them as
secure and would otherwise drop the cookie).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE_NAME = "samizdat_session"
# At most this many live sessions; the least recently used is dropped first.
# Bounds memory under a flood of cookie-less requests.
MAX_SESSIONS = 50_000
_TOKEN_BYTES = 32

Monotonic = Callable[[], float]


def _digest(token: bytes, person: bytes) -> bytes:
    # Domain-separated hashes of the cookie: one names the session in the
    # table, the other is the key that unwraps the reply key.
    return hashlib.blake2b(token, digest_size=32, person=person).digest()


@dataclass
class SourceSession:
    key: str
    csrf_token: str
    last_seen: float
    language: str | None = None
    source_id: str | None = None
    # The reply identity, sealed to `wrap_secret(token)`; see module docstring.
    sealed_reply_key: bytes | None = None
    # Monotonic times of this session's recent submissions (hourly cap).
    submissions: deque[float] = field(default_factory=deque)
    # Set when the cookie must be (re)sent with this response.
    token_to_send: bytes | None = None
    # The raw cookie token, only for the duration of one request.
    request_token: bytes | None = None

    @property
    def signed_in(self) -> bool:
        return self.source_id is not None

    def check_csrf(self, untrusted_token: str) -> bool:
        # Constant time: a timing oracle would let a page guess the token.
        return hmac.compare_digest(self.csrf_token.encode(), untrusted_token.encode())


def wrap_secret(token: bytes) -> bytes:
    """32 bytes derived from the cookie token that seal the reply key."""
    return _digest(token, b"sz-sess-wrap-v1")


def _encode(token: bytes) -> str:
    return base64.urlsafe_b64encode(token).decode("ascii").rstrip("=")


def _decode(value: str) -> bytes | None:
    if len(value) != 43:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=")
    except (ValueError, TypeError):
        return None
    return raw if len(raw) == _TOKEN_BYTES else None


class SessionStore:
    """In-memory sessions with an idle timeout. Thread-safe."""

    def __init__(self, idle_seconds: float, *, now: Monotonic = time.monotonic) -> None:
        self._idle = idle_seconds
        self._now = now
        self._lock = threading.Lock()
        self._sessions: OrderedDict[str, SourceSession] = OrderedDict()

    def _new(self) -> tuple[bytes, SourceSession]:
        token = secrets.token_bytes(_TOKEN_BYTES)
        key = _digest(token, b"sz-sess-id-v1").hex()
        sess = SourceSession(key=key, csrf_token=secrets.token_urlsafe(32), last_seen=self._now())
        sess.token_to_send = token
        sess.request_token = token
        with self._lock:
            self._sessions[key] = sess
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)
        return token, sess

    def load(self, cookie_value: str | None) -> SourceSession:
        """The session for a cookie, or a fresh anonymous one."""
        token = _decode(cookie_value) if cookie_value else None
        if token is not None:
            key = _digest(token, b"sz-sess-id-v1").hex()
            now = self._now()
            with self._lock:
                sess = self._sessions.get(key)
                if sess is not None and now - sess.last_seen > self._idle:
                    del self._sessions[key]
                    sess = None
                if sess is not None:
                    sess.last_seen = now
                    self._sessions.move_to_end(key)
                    sess.request_token = token
                    return sess
        return self._new()[1]

    def rotate(self, old: SourceSession) -> SourceSession:
        """A new session id on sign-in (no session fixation); keeps the language."""
        self.drop(old)
        _token, sess = self._new()
        sess.language = old.language
        return sess

    def drop(self, sess: SourceSession) -> None:
        with self._lock:
            self._sessions.pop(sess.key, None)
        sess.source_id = None
        sess.sealed_reply_key = None

    def expire_idle(self) -> int:
        now = self._now()
        with self._lock:
            stale = [k for k, s in self._sessions.items() if now - s.last_seen > self._idle]
            for k in stale:
                del self._sessions[k]
        return len(stale)

    def __len__(self) -> int:
        return len(self._sessions)


def cookie_header(token: bytes) -> bytes:
    # HttpOnly: no script can read it; SameSite=Strict: no other site's page
    # can make the browser send it. No Secure flag, no Max-Age: see docstring
    # (a session cookie also dies with Tor Browser's New Identity).
    return f"{COOKIE_NAME}={_encode(token)}; Path=/; HttpOnly; SameSite=Strict".encode("ascii")


class SessionMiddleware:
    """Loads the session into `scope["state"]["source_session"]` and sends the cookie."""

    def __init__(self, app: ASGIApp, store: SessionStore) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookie_value = _read_cookie(scope)
        sess = self.store.load(cookie_value)
        scope.setdefault("state", {})["source_session"] = sess

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Read the session from scope: a route may have rotated it.
                current: SourceSession = scope["state"]["source_session"]
                if current.token_to_send is not None:
                    headers = list(message.get("headers", ()))
                    headers.append((b"set-cookie", cookie_header(current.token_to_send)))
                    message = {**message, "headers": headers}
                    current.token_to_send = None
                current.request_token = None
            await send(message)

        try:
            await self.app(scope, receive, send_with_cookie)
        finally:
            scope["state"]["source_session"].request_token = None


def _read_cookie(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == COOKIE_NAME:
                    return str(v)
    return None
