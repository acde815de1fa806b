"""Replies from journalists to sources: small age files (SPEC.md §7).

Must never: return unauthenticated plaintext, or accept an unbounded reply.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from ._header import parse_header
from ._labels import REPLY_MAGIC
from .age import decrypt_bytes, encrypt_bytes
from .errors import CryptoError
from .keys import Identity, Recipient

__all__ = ["MAX_REPLY_BYTES", "check_age_header", "open_reply", "seal_reply"]

# Replies are typed messages; a bound keeps a hostile upload from costing memory.
MAX_REPLY_BYTES = 1 << 20


def seal_reply(message: bytes, recipients: Sequence[Recipient]) -> bytes:
    if len(message) > MAX_REPLY_BYTES:
        raise ValueError("reply too large")
    if not recipients:
        raise ValueError("at least one recipient is required")
    return encrypt_bytes(REPLY_MAGIC + message, list(dict.fromkeys(recipients)))


def open_reply(ciphertext: bytes, identity: Identity) -> bytes:
    plain = decrypt_bytes(ciphertext, [identity], limit=MAX_REPLY_BYTES + len(REPLY_MAGIC))
    if not plain.startswith(REPLY_MAGIC):
        raise CryptoError
    return plain[len(REPLY_MAGIC) :]


def check_age_header(data: bytes) -> None:
    """Well-formedness of an uploaded reply (header parses, X25519 stanzas only).

    This cannot check that the payload decrypts: only the source's key can.
    """
    if len(data) > MAX_REPLY_BYTES * 2:
        raise CryptoError
    src = io.BytesIO(data)
    header = parse_header(src)
    if any(s.type != b"X25519" for s in header.stanzas):
        raise CryptoError
    # nonce + at least one (final) chunk tag must follow the header
    if len(data) - src.tell() < 16 + 16:
        raise CryptoError
