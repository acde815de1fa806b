"""age X25519 key types: `Recipient` (public) and `Identity` (secret).

Must never: print, log or repr secret key material; accept a secret key where
a public key is expected (a pasted private key would be uploaded to a server).
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from . import _bech32
from ._labels import FINGERPRINT_LABEL
from .errors import CryptoError, KeyFormatError

__all__ = ["Identity", "Recipient", "generate_identity"]

_RECIPIENT_HRP = "age"
_IDENTITY_HRP = "age-secret-key-"


class Recipient:
    """An X25519 public key in age's `age1…` form."""

    __slots__ = ("_key", "_raw")

    def __init__(self, raw: bytes) -> None:
        if len(raw) != 32:
            raise KeyFormatError("an age public key is 32 bytes")
        self._raw = bytes(raw)
        self._key = X25519PublicKey.from_public_bytes(self._raw)

    @classmethod
    def parse(cls, text: str) -> Recipient:
        """Parse `age1…`; refuses secret keys and anything else with a hint."""
        text = text.strip()
        if text.upper().startswith("AGE-SECRET-KEY-"):
            raise KeyFormatError(
                "this is a secret key, not a public key",
                hint="give the age1… public key (the .pub file); keep the secret key offline",
            )
        try:
            hrp, data = _bech32.decode(text)
        except CryptoError:
            raise KeyFormatError(
                "not a valid age public key",
                hint="an age public key looks like age1… (62 characters)",
            ) from None
        if hrp != _RECIPIENT_HRP or len(data) != 32 or text != text.lower():
            raise KeyFormatError(
                "not a valid age public key",
                hint="an age public key looks like age1… (62 characters)",
            )
        return cls(data)

    @property
    def raw(self) -> bytes:
        return self._raw

    @property
    def key(self) -> X25519PublicKey:
        return self._key

    def encode(self) -> str:
        return _bech32.encode(_RECIPIENT_HRP, self._raw)

    def fingerprint(self) -> str:
        """20 bytes of a labelled SHA-256, base32 in groups of 4, for reading aloud."""
        digest = hashlib.sha256(FINGERPRINT_LABEL + self._raw).digest()[:20]
        b32 = base64.b32encode(digest).decode("ascii")
        return " ".join(b32[i : i + 4] for i in range(0, len(b32), 4))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Recipient) and other._raw == self._raw

    def __hash__(self) -> int:
        return hash(self._raw)

    def __repr__(self) -> str:
        return f"Recipient({self.encode()!r})"


class Identity:
    """An X25519 secret key in age's `AGE-SECRET-KEY-1…` form."""

    __slots__ = ("_key",)

    def __init__(self, key: X25519PrivateKey) -> None:
        self._key = key

    @classmethod
    def from_bytes(cls, raw: bytes) -> Identity:
        if len(raw) != 32:
            raise KeyFormatError("an age secret key is 32 bytes")
        return cls(X25519PrivateKey.from_private_bytes(raw))

    @classmethod
    def parse(cls, text: str) -> Identity:
        text = text.strip()
        try:
            hrp, data = _bech32.decode(text)
        except CryptoError:
            raise KeyFormatError(
                "not a valid age secret key", hint="it looks like AGE-SECRET-KEY-1…"
            ) from None
        if hrp != _IDENTITY_HRP or len(data) != 32 or text != text.upper():
            raise KeyFormatError(
                "not a valid age secret key", hint="it looks like AGE-SECRET-KEY-1…"
            )
        return cls.from_bytes(data)

    @property
    def key(self) -> X25519PrivateKey:
        return self._key

    def secret_bytes(self) -> bytes:
        return self._key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )

    def encode(self) -> str:
        return _bech32.encode(_IDENTITY_HRP, self.secret_bytes()).upper()

    def recipient(self) -> Recipient:
        return Recipient(
            self._key.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
        )

    def __repr__(self) -> str:
        # Never the secret: reprs end up in tracebacks and logs.
        return f"Identity(<secret for {self.recipient().encode()}>)"


def generate_identity() -> Identity:
    """A fresh X25519 identity from the OS CSPRNG (via OpenSSL)."""
    return Identity(X25519PrivateKey.generate())
