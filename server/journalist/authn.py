"""Signing a journalist in: throttle, password, TOTP (accepted once), then a
fresh session or short-lived API token.

Must never reveal, by message, status or timing, whether an account exists
or which factor was wrong, and never log a name, password or code.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from crypto.passwords import verify_password
from crypto.totp import verify_totp
from server.db.engine import session_scope
from server.journalist import repository as repo
from server.journalist.context import JournalistContext
from server.journalist.errors import NotAuthenticated, SignInFailed, TooManyAttempts
from server.journalist.sessions import SessionRecord

# Longest accepted input: Argon2id cost does not depend on it, but nothing
# unbounded should reach the hash function or the DB.
MAX_FIELD_CHARS = 1024


@dataclass(frozen=True)
class JournalistPrincipal:
    """An authenticated journalist, as seen by a route."""

    journalist_id: str
    name: str
    via: str  # "session" or "token"
    csrf_token: str | None = None


@dataclass(frozen=True)
class Credential:
    value: str
    expires_at: float


def _check_factors(
    ctx: JournalistContext, username: str, password: str, otp: str
) -> tuple[str, int]:
    """Return (journalist id, session epoch) or raise SignInFailed/TooManyAttempts."""
    now = ctx.now()
    wait = ctx.throttle.check_and_record(username, now)
    if wait:
        raise TooManyAttempts(wait)
    if len(username) > MAX_FIELD_CHARS or len(password) > MAX_FIELD_CHARS or len(otp) > 64:
        raise SignInFailed
    with session_scope(ctx.engine) as session:
        journalist = repo.journalist_by_name(session, username)
        stored_hash = journalist.password_hash if journalist else ctx.dummy_hash()
        password_ok = verify_password(stored_hash, password)
        if journalist is None or not journalist.active or not password_ok:
            raise SignInFailed
        try:
            step = verify_totp(journalist.totp_secret, otp, now, journalist.totp_last_step)
        except ValueError:
            raise SignInFailed from None
        if not repo.claim_totp_step(session, journalist.id, step):
            raise SignInFailed  # the same code won a race a moment ago
        return journalist.id, journalist.session_epoch


def sign_in_session(
    ctx: JournalistContext, username: str, password: str, otp: str, previous: str | None
) -> Credential:
    """Check all factors, then issue a brand-new session value.

    The pre-sign-in session (which only held a CSRF token) is dropped: a
    session id planted before sign-in never becomes an authenticated one.
    """
    journalist_id, epoch = _check_factors(ctx, username, password, otp)
    ctx.sessions.drop(previous)
    now = ctx.now()
    expires = now + ctx.settings.journalist_session_hours * 3600
    return Credential(ctx.sessions.create(journalist_id, epoch, expires, now), expires)


def issue_token(ctx: JournalistContext, username: str, password: str, otp: str) -> Credential:
    journalist_id, epoch = _check_factors(ctx, username, password, otp)
    now = ctx.now()
    expires = now + ctx.settings.api_token_minutes * 60
    return Credential(ctx.tokens.create(journalist_id, epoch, expires, now), expires)


def anonymous_session(ctx: JournalistContext) -> Credential:
    """A pre-sign-in session that only carries the sign-in form's CSRF token."""
    now = ctx.now()
    expires = now + 15 * 60
    return Credential(ctx.sessions.create(None, 0, expires, now), expires)


def _principal(
    ctx: JournalistContext, record: SessionRecord | None, via: str
) -> JournalistPrincipal:
    if record is None or record.journalist_id is None:
        raise NotAuthenticated
    with session_scope(ctx.engine) as session:
        journalist = repo.journalist_by_id(session, record.journalist_id)
        # A password change, reset or removal bumps the epoch (or removes the
        # row): every session and token issued before it stops working.
        if journalist is None or not journalist.active or journalist.session_epoch != record.epoch:
            raise NotAuthenticated
        return JournalistPrincipal(journalist.id, journalist.name, via, record.csrf_token)


def principal_from_session(ctx: JournalistContext, value: str | None) -> JournalistPrincipal:
    return _principal(ctx, ctx.sessions.get(value, ctx.now()), "session")


def principal_from_token(ctx: JournalistContext, value: str | None) -> JournalistPrincipal:
    return _principal(ctx, ctx.tokens.get(value, ctx.now()), "token")


def csrf_matches(record_token: str | None, untrusted_token: str | None) -> bool:
    if not record_token or not untrusted_token:
        return False
    # Constant time: the token is a secret bound to the session.
    return hmac.compare_digest(record_token.encode(), untrusted_token.encode("utf-8", "replace"))


def sign_out(ctx: JournalistContext, value: str | None) -> None:
    ctx.sessions.drop(value)
