"""Time-based one-time passwords (RFC 6238) for journalist sign-in.

A thin recipe over `cryptography`'s TOTP with every knob fixed: SHA-1, six
digits, 30-second steps, 160-bit secrets, a window of one step either side.
This module never stores anything and never decides on replay by itself: it
returns the time step a code matched so the caller can record it and refuse
any code at or before that step (a code is accepted once).
"""

from __future__ import annotations

import base64
import secrets

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor import InvalidToken
from cryptography.hazmat.primitives.twofactor.totp import TOTP

__all__ = [
    "DIGITS",
    "SECRET_BYTES",
    "STEP_SECONDS",
    "WINDOW_STEPS",
    "generate_totp_secret",
    "totp_code",
    "verify_totp",
]

# Fixed by CONTRACT.md so every authenticator app accepts the secret.
DIGITS = 6
STEP_SECONDS = 30
# 160 bits, the RFC 4226 recommendation; drawn from the OS CSPRNG.
SECRET_BYTES = 20
# One step either side tolerates clock drift between phone and server without
# widening a guesser's odds by more than 3 codes in a million per try.
WINDOW_STEPS = 1


def generate_totp_secret() -> str:
    """A fresh secret as unpadded base32 without spaces (what apps import)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def _decode_secret(secret_b32: str) -> bytes:
    cleaned = secret_b32.replace(" ", "").upper()
    padded = cleaned + "=" * (-len(cleaned) % 8)
    try:
        key = base64.b32decode(padded)
    except (ValueError, TypeError) as exc:
        raise ValueError("TOTP secret is not base32") from exc
    if len(key) < 16:
        raise ValueError("TOTP secret is too short")
    return key


def _totp(secret_b32: str) -> TOTP:
    return TOTP(_decode_secret(secret_b32), DIGITS, SHA1(), STEP_SECONDS)  # noqa: S303 - RFC 6238 default; every authenticator app expects SHA-1


def step_of(unix_time: float) -> int:
    """The time step a moment falls in."""
    return int(unix_time) // STEP_SECONDS


def totp_code(secret_b32: str, unix_time: float) -> str:
    """The code for a moment (for tests and enrolment checks)."""
    return _totp(secret_b32).generate(int(unix_time)).decode("ascii")


def verify_totp(secret_b32: str, untrusted_code: str, unix_time: float, last_step: int) -> int:
    """Return the time step `untrusted_code` is valid for, or raise ValueError.

    Only steps strictly after `last_step` are tried, so a code that was
    already accepted (or an older one) is refused: replay protection.
    Comparison is constant-time inside `cryptography`.
    """
    code = untrusted_code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        raise ValueError("malformed code")
    totp = _totp(secret_b32)
    now_step = step_of(unix_time)
    matched: int | None = None
    # Check every step in the window (no early exit) so timing does not tell
    # which step matched.
    for step in range(now_step - WINDOW_STEPS, now_step + WINDOW_STEPS + 1):
        try:
            totp.verify(code.encode("ascii"), step * STEP_SECONDS)
        except InvalidToken:
            continue
        if step > last_step and matched is None:
            matched = step
    if matched is None:
        raise ValueError("invalid or already used code")
    return matched
