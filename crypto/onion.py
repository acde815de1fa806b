"""Onion-service client-authorisation keys (x25519) in tor's text encoding.

Tor's v3 client authorisation gives each journalist an x25519 key pair: the
onion host keeps only the public half (`authorized_clients/<name>.auth`), the
journalist's Tor Browser keeps the private half. Without it a client cannot
even decrypt the journalist onion's descriptor, so a leaked address alone
reaches nothing.

This module must never write files, log keys, or take randomness from
anywhere but the OS CSPRNG (via `cryptography`).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

__all__ = ["ClientAuthKeypair", "generate_client_auth_keypair", "public_from_private"]

_KEY_BYTES = 32
# 32 bytes in unpadded RFC 4648 base32: tor writes and reads exactly this.
_B32_LEN = 52


def _b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode("ascii").rstrip("=")


def _unb32(text: str) -> bytes:
    # ValueError, not a crypto error type: callers only pass keys this module
    # made, so a bad one is a programming error, not user input.
    if len(text) != _B32_LEN:
        raise ValueError("an onion client-auth key is 52 base32 characters")
    raw = base64.b32decode(text.upper() + "====")
    if len(raw) != _KEY_BYTES:  # pragma: no cover - fixed by _B32_LEN
        raise ValueError("an onion client-auth key is 32 bytes")
    return raw


@dataclass(frozen=True, repr=False)
class ClientAuthKeypair:
    """Base32 (unpadded, uppercase) private and public x25519 keys.

    `repr` is disabled so the private half never lands in a log or traceback.
    """

    private_b32: str
    public_b32: str


def generate_client_auth_keypair() -> ClientAuthKeypair:
    """A fresh key pair from the OS CSPRNG."""
    secret = X25519PrivateKey.generate()
    raw_private = secret.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    raw_public = secret.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return ClientAuthKeypair(private_b32=_b32(raw_private), public_b32=_b32(raw_public))


def public_from_private(private_b32: str) -> str:
    """The public half matching a base32 private key (for checks and recovery)."""
    secret = X25519PrivateKey.from_private_bytes(_unb32(private_b32))
    return _b32(secret.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
