"""Journalist passwords: generation and Argon2id hashing (libsodium via PyNaCl).

Must never: compare hashes with `==`, log a password, or use a non-CSPRNG.
"""

from __future__ import annotations

import secrets

import nacl.exceptions
import nacl.pwhash

from .codename import wordlist

__all__ = ["generate_password", "hash_password", "verify_password"]

OPSLIMIT = 3
MEMLIMIT = 64 * 1024 * 1024


def generate_password(words: int = 7) -> str:
    """EFF words joined by '-' (7 words ≈ 90 bits)."""
    if words < 5:
        raise ValueError("at least 5 words")
    wl = wordlist()
    return "-".join(secrets.choice(wl) for _ in range(words))


def hash_password(password: str) -> str:
    return nacl.pwhash.argon2id.str(
        password.encode("utf-8"), opslimit=OPSLIMIT, memlimit=MEMLIMIT
    ).decode("ascii")


def verify_password(password_hash: str, password: str) -> bool:
    """Constant-time check (libsodium); False for a wrong password or a malformed hash."""
    try:
        return bool(nacl.pwhash.verify(password_hash.encode("ascii"), password.encode("utf-8")))
    except (nacl.exceptions.InvalidkeyError, nacl.exceptions.CryptoError, UnicodeEncodeError):
        return False
