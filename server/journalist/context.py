"""Everything the journalist app's handlers share, built once by the app
factory and passed in (no module-level singletons): settings, DB engine,
ciphertext store, clock, sessions, tokens and the sign-in throttle.

Must never hold a password, a TOTP secret or a key beyond the one request
that uses it.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from crypto.passwords import hash_password
from server.clock import Clock
from server.journalist.sessions import OpaqueStore
from server.journalist.throttle import AttemptThrottle
from server.settings import Settings
from server.storage import Store


@dataclass
class JournalistContext:
    settings: Settings
    engine: Engine
    store: Store
    clock: Clock
    sessions: OpaqueStore = field(default_factory=OpaqueStore)
    tokens: OpaqueStore = field(default_factory=OpaqueStore)
    throttle: AttemptThrottle = field(default_factory=AttemptThrottle)
    _dummy_hash: str | None = None
    _dummy_lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> float:
        return self.clock().timestamp()

    def dummy_hash(self) -> str:
        """A real Argon2id hash of a random password, made once.

        Verifying a password for a name that does not exist costs the same
        as for one that does, so timing does not reveal which names are real.
        """
        with self._dummy_lock:
            if self._dummy_hash is None:
                self._dummy_hash = hash_password(secrets.token_urlsafe(24))
            return self._dummy_hash
