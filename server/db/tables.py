"""Table definitions. Only days, never precise times, for anything a source
did; ids are random UUID4 hex strings, never sequential, so nothing exposes
arrival order."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

from server.ids import new_id


class Source(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True)
    # Argon2id-derived from the codename with an instance secret; the codename
    # itself is never stored.
    lookup_id: str = Field(index=True, unique=True)
    # The source's reply key (public half only; the secret is re-derived at login).
    reply_recipient: str
    # Two generated words for journalists; carries no source data.
    designation: str
    created_day: str
    last_active_day: str
    starred: bool = False


class Submission(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True)
    source_id: str = Field(foreign_key="source.id", index=True)
    # Ciphertext size of the .age file (already Padmé-padded inside).
    size: int
    day: str
    # True only when every file in it was cleaned.
    cleaned: bool
    file_count: int
    # JSON list of recipient fingerprints the bundle was sealed to, so admins
    # and the journalist CLI can tell which identity opens what.
    recipients: str
    signing_key_id: str
    downloaded: bool = False


class Reply(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True)
    source_id: str = Field(foreign_key="source.id", index=True)
    journalist_id: str = Field(foreign_key="journalist.id")
    size: int
    day: str


class Journalist(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True)
    name: str = Field(index=True, unique=True)
    password_hash: str
    # Base32 TOTP secret (160 bits).
    totp_secret: str
    # Last accepted TOTP time step: a code is accepted once (replay rejected).
    totp_last_step: int = 0
    # Bumped on password change/reset/removal: kills every session and token.
    session_epoch: int = 0
    active: bool = True
    created_day: str
    # Onion client-authorisation public key (base32) for the journalist onion.
    client_auth_public: str = ""


class JournalistKey(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True)
    journalist_id: str = Field(foreign_key="journalist.id", index=True)
    recipient: str
    fingerprint: str = Field(index=True)
    # "active" seals new bundles; "grace" (old key during a rotation's grace
    # period) still seals until grace_until_day; "retired" seals nothing.
    status: str = "active"
    added_day: str
    retired_day: str | None = None
    grace_until_day: str | None = None


class OrgKey(SQLModel, table=True):
    """Organisation-level keys, e.g. the optional recovery recipient."""

    id: str = Field(default_factory=new_id, primary_key=True)
    kind: str = Field(index=True)
    recipient: str
    fingerprint: str
    status: str = "active"
    added_day: str
    retired_day: str | None = None


class AuditEvent(SQLModel, table=True):
    """Admin actions: who, what, when. Never source data."""

    id: int | None = Field(default=None, primary_key=True)
    # Admin actions are not source actions: a precise UTC time is fine here.
    at: str
    actor: str
    action: str
    detail: str = ""
