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

__all__ = [
    "MAX_REPLY_BYTES",
    "MAX_REPLY_FILE_BYTES",
    "check_age_header",
    "open_reply",
    "seal_reply",
]

# Replies are typed messages; a bound keeps a hostile upload from costing memory.
MAX_REPLY_BYTES = 1 << 20
# Upper bound on a sealed reply file: the message plus age's per-chunk tags,
# header and stanzas stay far below this.
MAX_REPLY_FILE_BYTES = 2 * MAX_REPLY_BYTES


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
    """Well-formedness of an uploaded reply: the header parses and holds at
    least one X25519 stanza (a source's reply key is X25519).

    Stanzas of unknown types are ignored, as the age spec requires (rage and
    pyrage add "grease" stanzas); a passphrase (scrypt) stanza is refused
    because a source has no passphrase to open it with. This cannot check that
    the payload decrypts: only the source's key can.
    """
    if len(data) > MAX_REPLY_FILE_BYTES:
        raise CryptoError
    src = io.BytesIO(data)
    header = parse_header(src)
    types = {s.type for s in header.stanzas}
    if b"X25519" not in types or b"scrypt" in types:
        raise CryptoError
    # nonce + at least one (final) chunk tag must follow the header
    if len(data) - src.tell() < 16 + 16:
        raise CryptoError
