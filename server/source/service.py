"""What the source pages do: create a source, log in, read and delete replies.

Blocking functions (Argon2id, DB, file reads): the routes run them in
threads, derivations through the DerivationLimiter.

Must never: store, log or return the codename except to the one page that
shows it once; treat "unknown codename" differently from "wrong codename"
in anything observable (response, time, log).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from crypto.codename import derive_source_keys, generate_codename, normalise
from crypto.errors import CryptoError
from crypto.keys import Identity
from crypto.reply import open_reply
from server.clock import Clock, day_of
from server.db.engine import session_scope
from server.errors import NotFound
from server.source import repository
from server.storage import Store

# A reply larger than this is not opened in the page (it is not a text reply).
_MAX_REPLY_DISPLAY = 1024 * 1024


@dataclass(frozen=True)
class NewSource:
    codename: str
    source_id: str
    reply_identity: Identity


@dataclass(frozen=True)
class SignedIn:
    source_id: str
    reply_identity: Identity


@dataclass(frozen=True)
class ShownReply:
    id: str
    day: str
    text: str | None  # None when it could not be opened


class SourceService:
    def __init__(
        self,
        *,
        engine: Engine,
        store: Store,
        lookup_secret: bytes,
        reply_secret: bytes,
        clock: Clock,
        codenames: Callable[[], str] = generate_codename,
    ) -> None:
        self._engine = engine
        self._store = store
        self._lookup_secret = lookup_secret
        self._reply_secret = reply_secret
        self._clock = clock
        self._codenames = codenames

    def create_source(self) -> NewSource:
        codename = self._codenames()
        keys = derive_source_keys(codename, self._lookup_secret, self._reply_secret)
        # Designation: two words from an independent draw, never from the
        # codename (journalists see it; it must not narrow the codename).
        designation = " ".join(self._codenames().split()[:2])
        day = day_of(self._clock())
        with session_scope(self._engine) as session:
            source_id = repository.create_source(
                session,
                lookup_id=keys.lookup_id,
                reply_recipient=keys.reply_recipient.encode(),
                designation=designation,
                day=day,
            )
        return NewSource(codename, source_id, keys.reply_identity)

    def derive_lookup(self, untrusted_codename: str) -> tuple[str, Identity]:
        keys = derive_source_keys(
            normalise(untrusted_codename), self._lookup_secret, self._reply_secret
        )
        return keys.lookup_id, keys.reply_identity

    def sign_in(self, lookup_id: str, reply_identity: Identity) -> SignedIn | None:
        with session_scope(self._engine) as session:
            row = repository.source_by_lookup(session, lookup_id)
            if row is None:
                return None
            # Defence in depth: the derived key must match the stored public key.
            if reply_identity.recipient().encode() != row.reply_recipient:
                return None
            repository.touch_source(session, row.id, day_of(self._clock()))
        return SignedIn(row.id, reply_identity)

    def source_ref(self, source_id: str) -> repository.SourceRow | None:
        with session_scope(self._engine) as session:
            return repository.source_by_id(session, source_id)

    def replies(self, source_id: str, reply_identity: Identity) -> list[ShownReply]:
        with session_scope(self._engine) as session:
            rows = repository.replies_for(session, source_id)
        shown: list[ShownReply] = []
        for row in rows:
            text: str | None = None
            try:
                path = self._store.reply_path(row.id)
                if path.stat().st_size <= _MAX_REPLY_DISPLAY + 4096:
                    text = open_reply(path.read_bytes(), reply_identity).decode(
                        "utf-8", errors="replace"
                    )
            except (OSError, CryptoError, NotFound):
                text = None
            shown.append(ShownReply(row.id, row.day, text))
        return shown

    def delete_reply(self, source_id: str, reply_id: str) -> bool:
        """A real delete: the row, then the ciphertext file (secure_delete on)."""
        with session_scope(self._engine) as session:
            deleted = repository.delete_reply(session, source_id, reply_id)
        if deleted:
            self._store.delete_reply(reply_id)
        return deleted
