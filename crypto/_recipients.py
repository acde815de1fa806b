"""age recipient stanzas: X25519 (wrap and unwrap) and scrypt (passphrase).

Must never: tell a caller *which* check failed, or accept a low-order X25519
share (an all-zero shared secret would make the wrap key public).
"""

from __future__ import annotations

import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from . import _b64
from ._header import Stanza
from ._labels import SCRYPT_LABEL, X25519_LABEL
from .errors import CryptoError
from .keys import Identity, Recipient

FILE_KEY_SIZE = 16
_ZERO_NONCE = bytes(12)
_X25519 = b"X25519"
_SCRYPT = b"scrypt"
# age's default ceiling: 2^22 × 8 × 128 B = 4 GiB of scrypt work is the most a
# hostile file may make us spend.
MAX_SCRYPT_LOG_N = 22
DEFAULT_SCRYPT_LOG_N = 18
_LOG_N_RE = re.compile(rb"[1-9][0-9]{0,1}")


def _wrap_key(secret: bytes, share: bytes, recipient: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=share + recipient, info=X25519_LABEL
    ).derive(secret)


def _raw_public(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def wrap_x25519(file_key: bytes, recipient: Recipient) -> Stanza:
    ephemeral = X25519PrivateKey.generate()
    share = _raw_public(ephemeral.public_key())
    secret = ephemeral.exchange(recipient.key)
    body = ChaCha20Poly1305(_wrap_key(secret, share, recipient.raw)).encrypt(
        _ZERO_NONCE, file_key, None
    )
    return Stanza(_X25519, (_b64.encode(share),), body)


def _unwrap_x25519(stanza: Stanza, identities: list[Identity]) -> bytes | None:
    if len(stanza.args) != 1:
        raise CryptoError
    share = _b64.decode(stanza.args[0])
    if len(share) != 32 or len(stanza.body) != FILE_KEY_SIZE + 16:
        raise CryptoError
    try:
        share_key = X25519PublicKey.from_public_bytes(share)
    except ValueError:
        raise CryptoError from None
    for identity in identities:
        try:
            secret = identity.key.exchange(share_key)
        except ValueError:  # low-order point: all-zero shared secret
            raise CryptoError from None
        key = _wrap_key(secret, share, identity.recipient().raw)
        try:
            return ChaCha20Poly1305(key).decrypt(_ZERO_NONCE, stanza.body, None)
        except InvalidTag:
            continue
    return None


def _scrypt_key(passphrase: bytes, salt: bytes, log_n: int) -> bytes:
    return Scrypt(salt=SCRYPT_LABEL + salt, length=32, n=1 << log_n, r=8, p=1).derive(passphrase)


def wrap_scrypt(file_key: bytes, passphrase: bytes, log_n: int = DEFAULT_SCRYPT_LOG_N) -> Stanza:
    salt = os.urandom(16)
    body = ChaCha20Poly1305(_scrypt_key(passphrase, salt, log_n)).encrypt(
        _ZERO_NONCE, file_key, None
    )
    return Stanza(_SCRYPT, (_b64.encode(salt), str(log_n).encode()), body)


def _unwrap_scrypt(stanza: Stanza, passphrase: bytes, max_log_n: int) -> bytes | None:
    if len(stanza.args) != 2 or not _LOG_N_RE.fullmatch(stanza.args[1]):
        raise CryptoError
    salt = _b64.decode(stanza.args[0])
    log_n = int(stanza.args[1])
    if len(salt) != 16 or len(stanza.body) != FILE_KEY_SIZE + 16 or log_n > max_log_n:
        raise CryptoError
    try:
        return ChaCha20Poly1305(_scrypt_key(passphrase, salt, log_n)).decrypt(
            _ZERO_NONCE, stanza.body, None
        )
    except InvalidTag:
        return None


def unwrap_file_key(
    stanzas: tuple[Stanza, ...],
    identities: list[Identity],
    passphrase: bytes | None,
    max_log_n: int = MAX_SCRYPT_LOG_N,
) -> bytes:
    """The file key from the first stanza one of our identities opens, else CryptoError."""
    has_scrypt = any(s.type == _SCRYPT for s in stanzas)
    if has_scrypt and len(stanzas) != 1:
        # age: an scrypt stanza must stand alone, or a passphrase file could be
        # silently re-encrypted to an extra, attacker-chosen recipient.
        raise CryptoError
    for stanza in stanzas:
        file_key: bytes | None = None
        if stanza.type == _X25519:
            file_key = _unwrap_x25519(stanza, identities)
        elif stanza.type == _SCRYPT:
            if passphrase is None:
                continue
            file_key = _unwrap_scrypt(stanza, passphrase, max_log_n)
        if file_key is not None:
            return file_key
    raise CryptoError
