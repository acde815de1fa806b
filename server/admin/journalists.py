"""Journalist accounts: enrol, list, remove, reset password or 2FA, rotate key.

Each function is one transaction with its audit record. The journalist app
calls `reset_password` and friends as well, so nothing here prints or
prompts. Must never store a plaintext password or a private client-auth key,
and never delete a key row: stored bundles name the keys they were sealed
to, and `status` must be able to say which retired key still opens them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from crypto.keys import Recipient
from server import audit
from server.admin import repository as repo
from server.admin.context import AdminContext
from server.admin.credentials import new_client_auth, new_password, new_totp_secret, totp_uri
from server.admin.errors import AdminInputError
from server.db.engine import session_scope
from server.db.tables import Journalist, JournalistKey
from server.errors import Conflict, NotFound
from server.torconfig import (
    JOURNALIST_SERVICE,
    client_auth_private_line,
    onion_address,
    remove_client_auth,
    write_client_auth,
)

__all__ = [
    "Enrolment",
    "JournalistInfo",
    "KeyInfo",
    "NewTotp",
    "Rotation",
    "enrol_journalist",
    "list_journalists",
    "remove_journalist",
    "reset_2fa",
    "reset_password",
    "rotate_key",
    "validate_name",
]

# The name becomes a file name under tor's authorized_clients/ and an account
# name in URIs: no separators, no dot files, nothing to escape.
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
# A grace period longer than this is a typo, not a policy.
MAX_GRACE_DAYS = 365


@dataclass(frozen=True, repr=False)
class Enrolment:
    """Shown once to the admin, who hands it to the journalist in person."""

    name: str
    password: str
    totp_secret: str
    totp_uri: str
    # The line for Tor Browser: `<onion>:descriptor:x25519:<key>` once the
    # journalist onion exists, else `descriptor:x25519:<key>` (prefix the
    # address printed by `samizdat admin onion`).
    client_auth: str
    client_auth_private: str
    key_fingerprint: str


@dataclass(frozen=True, repr=False)
class NewTotp:
    name: str
    totp_secret: str
    totp_uri: str


@dataclass(frozen=True)
class KeyInfo:
    fingerprint: str
    recipient: str
    status: str
    added_day: str
    retired_day: str | None
    grace_until_day: str | None


@dataclass(frozen=True)
class JournalistInfo:
    name: str
    active: bool
    created_day: str
    keys: list[KeyInfo] = field(default_factory=list)


@dataclass(frozen=True)
class Rotation:
    name: str
    new_fingerprint: str
    old_fingerprints: list[str]
    grace_until_day: str | None


def validate_name(name: str) -> str:
    if not _NAME_RE.fullmatch(name):
        raise AdminInputError(
            "a journalist name is 1-64 letters, digits, '-' or '_', "
            "starting with a letter or digit",
            hint="use a simple account name such as 'alice'",
        )
    return name


def _get(session: Session, name: str) -> Journalist:
    j = repo.journalist_by_name(session, name)
    if j is None:
        raise NotFound(f"no journalist named {name!r}", hint="see `samizdat admin journalist list`")
    return j


def _get_active(session: Session, name: str) -> Journalist:
    j = _get(session, name)
    if not j.active:
        raise Conflict(
            f"journalist {name!r} was removed",
            hint="enrol them again under a new name with `samizdat admin journalist add`",
        )
    return j


def _refuse_known_key(session: Session, recipient: Recipient) -> str:
    fingerprint = recipient.fingerprint()
    if repo.key_by_fingerprint(session, fingerprint) is not None:
        raise Conflict(
            f"key {fingerprint} is already enrolled on this instance",
            hint="each journalist key is enrolled once; generate a new key with "
            "`samizdat journalist keygen`",
        )
    return fingerprint


def _client_auth_line(ctx: AdminContext, private_b32: str) -> str:
    address = onion_address(ctx.paths.tor, JOURNALIST_SERVICE)
    if address is None:
        return f"descriptor:x25519:{private_b32}"
    return client_auth_private_line(address, private_b32)


def enrol_journalist(ctx: AdminContext, name: str, recipient: Recipient) -> Enrolment:
    """Create an account sealed to `recipient`; return the one-time credentials."""
    validate_name(name)
    password = new_password()
    totp_secret = new_totp_secret()
    client_auth = new_client_auth()
    today = ctx.today()
    auth_file = None
    try:
        with session_scope(ctx.engine) as session:
            if repo.journalist_by_name(session, name) is not None:
                raise Conflict(
                    f"a journalist named {name!r} already exists",
                    hint="choose another name; see `samizdat admin journalist list`",
                )
            fingerprint = _refuse_known_key(session, recipient)
            journalist = Journalist(
                name=name,
                password_hash=password.hash,
                totp_secret=totp_secret,
                created_day=today,
                client_auth_public=client_auth.public_b32,
            )
            session.add(journalist)
            session.flush()
            session.add(
                JournalistKey(
                    journalist_id=journalist.id,
                    recipient=recipient.encode(),
                    fingerprint=fingerprint,
                    status="active",
                    added_day=today,
                )
            )
            audit.record(
                session,
                at=ctx.timestamp(),
                actor=ctx.actor,
                action="journalist.add",
                detail=f"name={name} key={fingerprint}",
            )
            session.flush()
            # The .auth file is written inside the transaction so a failed
            # commit can remove it: tor never authorises an account that
            # does not exist.
            auth_file = write_client_auth(ctx.paths.tor, name, client_auth.public_b32)
    except IntegrityError:
        if auth_file is not None:
            auth_file.unlink(missing_ok=True)
        raise Conflict(
            f"a journalist named {name!r} or this key already exists",
            hint="choose another name or key",
        ) from None
    except BaseException:
        if auth_file is not None:
            auth_file.unlink(missing_ok=True)
        raise
    return Enrolment(
        name=name,
        password=password.plaintext,
        totp_secret=totp_secret,
        totp_uri=totp_uri(name, totp_secret),
        client_auth=_client_auth_line(ctx, client_auth.private_b32),
        client_auth_private=client_auth.private_b32,
        key_fingerprint=fingerprint,
    )


def list_journalists(ctx: AdminContext) -> list[JournalistInfo]:
    with session_scope(ctx.engine) as session:
        out = []
        for j in repo.all_journalists(session):
            keys = [
                KeyInfo(
                    fingerprint=k.fingerprint,
                    recipient=k.recipient,
                    status=k.status,
                    added_day=k.added_day,
                    retired_day=k.retired_day,
                    grace_until_day=k.grace_until_day,
                )
                for k in repo.keys_of(session, j.id)
            ]
            out.append(JournalistInfo(j.name, j.active, j.created_day, keys))
        return out


def remove_journalist(ctx: AdminContext, name: str) -> None:
    """Disable sign-in, end every session, stop sealing to their keys.

    The row and key rows stay (replies and stored bundles refer to them);
    past bundles are untouched.
    """
    today = ctx.today()
    with session_scope(ctx.engine) as session:
        j = _get_active(session, name)
        j.active = False
        j.session_epoch += 1
        j.client_auth_public = ""
        for key in repo.live_keys(session, j.id):
            key.status = "retired"
            key.retired_day = key.retired_day or today
            key.grace_until_day = None
            session.add(key)
        session.add(j)
        audit.record(
            session,
            at=ctx.timestamp(),
            actor=ctx.actor,
            action="journalist.remove",
            detail=f"name={name}",
        )
        session.flush()
        # Inside the transaction: if tor's file cannot go, the account stays.
        remove_client_auth(ctx.paths.tor, name)


def reset_password(ctx: AdminContext, name: str, *, actor: str | None = None) -> str:
    """Set a fresh generated password; returns it (shown once). Ends sessions."""
    password = new_password()
    with session_scope(ctx.engine) as session:
        j = _get_active(session, name)
        j.password_hash = password.hash
        # Bumping the epoch invalidates every session and API token at once.
        j.session_epoch += 1
        session.add(j)
        audit.record(
            session,
            at=ctx.timestamp(),
            actor=actor or ctx.actor,
            action="journalist.reset-password",
            detail=f"name={name}",
        )
    return password.plaintext


def reset_2fa(ctx: AdminContext, name: str, *, actor: str | None = None) -> NewTotp:
    """Replace the TOTP secret (old codes stop working); ends sessions."""
    secret = new_totp_secret()
    with session_scope(ctx.engine) as session:
        j = _get_active(session, name)
        j.totp_secret = secret
        j.totp_last_step = 0
        j.session_epoch += 1
        session.add(j)
        audit.record(
            session,
            at=ctx.timestamp(),
            actor=actor or ctx.actor,
            action="journalist.reset-2fa",
            detail=f"name={name}",
        )
    return NewTotp(name=name, totp_secret=secret, totp_uri=totp_uri(name, secret))


def rotate_key(
    ctx: AdminContext, name: str, recipient: Recipient, *, grace_days: int | None = None
) -> Rotation:
    """Enrol a new key for `name`; retire the old one (or keep it sealing
    for `grace_days` days, inclusive of the last day).

    Bundles already stored keep opening with the old identity offline; their
    Submission.recipients column says so.
    """
    if grace_days is not None and not 1 <= grace_days <= MAX_GRACE_DAYS:
        raise AdminInputError(
            f"--grace must be between 1 and {MAX_GRACE_DAYS} days",
            hint="leave --grace out to stop sealing to the old key at once",
        )
    now = ctx.now()
    today = ctx.today()
    grace_until = (
        (now + dt.timedelta(days=grace_days)).astimezone(dt.UTC).strftime("%Y-%m-%d")
        if grace_days
        else None
    )
    with session_scope(ctx.engine) as session:
        j = _get_active(session, name)
        fingerprint = _refuse_known_key(session, recipient)
        old = [k for k in repo.keys_of(session, j.id) if k.status == "active"]
        for key in old:
            key.retired_day = today
            if grace_until is not None:
                key.status = "grace"
                key.grace_until_day = grace_until
            else:
                key.status = "retired"
            session.add(key)
        session.add(
            JournalistKey(
                journalist_id=j.id,
                recipient=recipient.encode(),
                fingerprint=fingerprint,
                status="active",
                added_day=today,
            )
        )
        old_fps = [k.fingerprint for k in old]
        audit.record(
            session,
            at=ctx.timestamp(),
            actor=ctx.actor,
            action="journalist.rotate-key",
            detail=(
                f"name={name} new={fingerprint} old={','.join(old_fps) or '-'} "
                f"grace_until={grace_until or '-'}"
            ),
        )
    return Rotation(name, fingerprint, old_fps, grace_until)
