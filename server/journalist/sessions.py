"""Server-side sessions and API tokens, kept in memory behind opaque values.

The browser or CLI holds only a random value (256 bits from the OS CSPRNG);
the server keeps who it belongs to, the account's session epoch at sign-in,
the CSRF token and the expiry. Entries are keyed by the SHA-256 of the value so
a lookup does not compare secrets byte by byte, and a memory dump of the map
does not hand out live credentials.

Must never put a journalist id, a name or any state in the cookie itself
(SecureDrop's regret: signed-but-readable cookies), and never outlive the
process: a restart signs everyone out, which is the safe direction.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass, field

# Hard cap on live entries: a flood of anonymous sign-in pages cannot grow
# memory without bound (the oldest anonymous entries go first).
MAX_ENTRIES = 10_000


def _key(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()


@dataclass
class SessionRecord:
    """What the server remembers about one cookie or token."""

    journalist_id: str | None
    epoch: int
    expires_at: float
    csrf_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))


class OpaqueStore:
    """A map from opaque random values to records, with expiry."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: dict[bytes, SessionRecord] = {}
        self._lock = threading.Lock()
        self._max = max_entries

    def create(self, journalist_id: str | None, epoch: int, expires_at: float, now: float) -> str:
        value = secrets.token_urlsafe(32)
        record = SessionRecord(journalist_id=journalist_id, epoch=epoch, expires_at=expires_at)
        with self._lock:
            self._purge(now)
            if len(self._entries) >= self._max:
                self._evict()
            self._entries[_key(value)] = record
        return value

    def get(self, value: str | None, now: float) -> SessionRecord | None:
        if not value:
            return None
        with self._lock:
            record = self._entries.get(_key(value))
            if record is None:
                return None
            if record.expires_at <= now:
                del self._entries[_key(value)]
                return None
            return record

    def drop(self, value: str | None) -> None:
        if not value:
            return
        with self._lock:
            self._entries.pop(_key(value), None)

    def drop_journalist(self, journalist_id: str) -> None:
        """End every session of one account (password change, removal)."""
        with self._lock:
            for k in [k for k, r in self._entries.items() if r.journalist_id == journalist_id]:
                del self._entries[k]

    def __len__(self) -> int:
        return len(self._entries)

    def _purge(self, now: float) -> None:
        for k in [k for k, r in self._entries.items() if r.expires_at <= now]:
            del self._entries[k]

    def _evict(self) -> None:
        anonymous = [k for k, r in self._entries.items() if r.journalist_id is None]
        victims = anonymous or list(self._entries)
        # dicts keep insertion order: the first ones are the oldest.
        for k in victims[: max(1, len(victims) // 10)]:
            del self._entries[k]
