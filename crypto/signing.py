"""Ed25519 signatures in minisign's format (prehashed `ED`), and key files.

Must never: return a bool from verification (it raises CryptoError), accept the
legacy non-prehashed `Ed` algorithm or an unsigned trusted comment, or write a
secret seed with group/other permissions.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

import nacl.hashlib
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ._labels import KEYID_LABEL, SEED_FILE_PREFIX
from .errors import CryptoError, KeyFormatError

__all__ = [
    "Prehash",
    "PublicKey",
    "SigningKey",
    "TrustedComment",
    "new_prehash",
    "verify_bytes",
    "verify_file",
    "verify_file_trusted",
]

_ALG_PREHASHED = b"ED"
_ALG_PUBKEY = b"Ed"
_UNTRUSTED = "untrusted comment: "
_TRUSTED = "trusted comment: "
# Upper bound on a .minisig we are willing to parse (hostile input).
_MAX_SIG_TEXT = 4096


class Prehash(Protocol):
    def update(self, data: bytes) -> None: ...
    def digest(self) -> bytes: ...


def new_prehash() -> Prehash:
    """BLAKE2b-512, incremental (libsodium's: faster than hashlib's here)."""
    h: Prehash = nacl.hashlib.blake2b(digest_size=64)
    return h


def _b64decode_strict(untrusted: str, size: int) -> bytes:
    try:
        raw = base64.b64decode(untrusted.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise CryptoError from None
    if len(raw) != size or base64.b64encode(raw).decode() != untrusted:
        raise CryptoError
    return raw


@dataclass(frozen=True, slots=True)
class TrustedComment:
    """A trusted comment whose signature has verified."""

    text: str

    def fields(self, prefix: str) -> dict[str, str]:
        """`prefix k=v k=v…` as a dict; CryptoError unless it has exactly that shape."""
        parts = self.text.split(" ")
        if parts[0] != prefix:
            raise CryptoError
        out: dict[str, str] = {}
        for part in parts[1:]:
            key, sep, value = part.partition("=")
            if not sep or not key or not value or key in out:
                raise CryptoError
            out[key] = value
        return out


class PublicKey:
    """An Ed25519 public key with its minisign key id."""

    __slots__ = ("_key", "key_id", "raw")

    def __init__(self, raw: bytes, key_id: bytes | None = None) -> None:
        if len(raw) != 32 or (key_id is not None and len(key_id) != 8):
            raise KeyFormatError("an Ed25519 public key is 32 bytes, its id 8")
        self.raw = bytes(raw)
        self._key = Ed25519PublicKey.from_public_bytes(self.raw)
        # Our keys get a deterministic id (the seed file need not store it);
        # keys made by minisign keep the random id from their .pub file.
        self.key_id: bytes = (
            key_id
            if key_id is not None
            else hashlib.blake2b(KEYID_LABEL + self.raw, digest_size=8).digest()
        )

    @property
    def key_id_hex(self) -> str:
        """minisign's display form: the id as a little-endian u64, upper-case hex."""
        return self.key_id[::-1].hex().upper()

    def minisign_text(self) -> str:
        blob = base64.b64encode(_ALG_PUBKEY + self.key_id + self.raw).decode()
        return f"{_UNTRUSTED}minisign public key {self.key_id_hex}\n{blob}\n"

    @classmethod
    def parse(cls, text: str) -> PublicKey:
        """A `.pub` file's text, or just its base64 line."""
        lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
        if len(lines) == 2 and lines[0].startswith(_UNTRUSTED):
            lines = lines[1:]
        hint = "give the minisign public key (the .pub file from 'admin signing-key export')"
        if len(lines) != 1:
            raise KeyFormatError("not a minisign public key", hint=hint)
        try:
            blob = _b64decode_strict(lines[0], 42)
        except CryptoError:
            raise KeyFormatError("not a minisign public key", hint=hint) from None
        if blob[:2] != _ALG_PUBKEY:
            raise KeyFormatError("not an Ed25519 minisign public key", hint=hint)
        return cls(blob[10:], blob[2:10])

    def verify_digest(self, sig_text: str, digest: bytes) -> TrustedComment:
        """Check a `.minisig` over a BLAKE2b-512 digest; returns the trusted comment."""
        if len(sig_text) > _MAX_SIG_TEXT:
            raise CryptoError
        lines = sig_text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if (
            len(lines) != 4
            or not lines[0].startswith(_UNTRUSTED)
            or not lines[2].startswith(_TRUSTED)
        ):
            raise CryptoError
        blob = _b64decode_strict(lines[1], 74)
        global_sig = _b64decode_strict(lines[3], 64)
        if blob[:2] != _ALG_PREHASHED or blob[2:10] != self.key_id:
            raise CryptoError
        signature = blob[10:]
        comment = lines[2][len(_TRUSTED) :]
        try:
            self._key.verify(signature, digest)
            self._key.verify(global_sig, signature + comment.encode("utf-8"))
        except InvalidSignature:
            raise CryptoError from None
        return TrustedComment(comment)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, PublicKey) and other.raw == self.raw and other.key_id == self.key_id
        )

    def __hash__(self) -> int:
        return hash((self.raw, self.key_id))

    def __repr__(self) -> str:
        return f"PublicKey({self.key_id_hex})"


class SigningKey:
    """The server's Ed25519 signing key (seed kept in a 0600 file)."""

    __slots__ = ("_key",)

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> SigningKey:
        if len(seed) != 32:
            raise KeyFormatError("an Ed25519 seed is 32 bytes")
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    def _seed(self) -> bytes:
        return self._key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the seed file with mode 0600 from creation on (no readable window)."""
        text = (
            "# samizdat server signing key: secret, keep mode 0600\n"
            f"{SEED_FILE_PREFIX}{base64.b64encode(self._seed()).decode()}\n"
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, text.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SigningKey:
        hint = "the signing key file is made by 'samizdat admin init'"
        try:
            text = Path(path).read_text("ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise KeyFormatError(f"cannot read the signing key file: {exc}", hint=hint) from None
        lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
        if len(lines) != 1 or not lines[0].startswith(SEED_FILE_PREFIX):
            raise KeyFormatError("not a samizdat signing key file", hint=hint)
        try:
            seed = _b64decode_strict(lines[0][len(SEED_FILE_PREFIX) :], 32)
        except CryptoError:
            raise KeyFormatError("not a samizdat signing key file", hint=hint) from None
        return cls.from_seed(seed)

    def public_key(self) -> PublicKey:
        return PublicKey(
            self._key.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
        )

    def sign_digest(
        self,
        digest: bytes,
        trusted_comment: str,
        untrusted_comment: str = "samizdat signature",
    ) -> str:
        """A `.minisig` text for a BLAKE2b-512 `digest` (from `new_prehash()`)."""
        if len(digest) != 64 or "\n" in trusted_comment or "\n" in untrusted_comment:
            raise ValueError("bad digest or comment")
        signature = self._key.sign(digest)
        global_sig = self._key.sign(signature + trusted_comment.encode("utf-8"))
        key_id = self.public_key().key_id
        return (
            f"{_UNTRUSTED}{untrusted_comment}\n"
            f"{base64.b64encode(_ALG_PREHASHED + key_id + signature).decode()}\n"
            f"{_TRUSTED}{trusted_comment}\n"
            f"{base64.b64encode(global_sig).decode()}\n"
        )

    def sign_bytes(self, data: bytes, trusted_comment: str) -> str:
        h = new_prehash()
        h.update(data)
        return self.sign_digest(h.digest(), trusted_comment)

    def __repr__(self) -> str:
        return f"SigningKey(<secret for {self.public_key().key_id_hex}>)"


def _file_digest(path: str | os.PathLike[str] | BinaryIO) -> bytes:
    h = new_prehash()
    if isinstance(path, (str, os.PathLike)):
        with open(path, "rb") as f:
            while block := f.read(1 << 20):
                h.update(block)
    else:
        while block := path.read(1 << 20):
            h.update(block)
    return h.digest()


def verify_bytes(public_key: PublicKey, data: bytes, sig_text: str) -> TrustedComment:
    h = new_prehash()
    h.update(data)
    return public_key.verify_digest(sig_text, h.digest())


def verify_file(
    public_key: PublicKey, path: str | os.PathLike[str], sig_text: str
) -> TrustedComment:
    """Verify `path` against `sig_text` (streaming); raises CryptoError."""
    return public_key.verify_digest(sig_text, _file_digest(path))


def verify_file_trusted(
    trusted: list[PublicKey], path: str | os.PathLike[str] | BinaryIO, sig_text: str
) -> tuple[PublicKey, TrustedComment]:
    """Verify under whichever trusted key the signature names; raises CryptoError."""
    digest = _file_digest(path)
    for key in trusted:
        try:
            return key, key.verify_digest(sig_text, digest)
        except CryptoError:
            continue
    raise CryptoError
