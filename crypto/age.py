"""age v1 files: a push-style streaming writer and a pull-style reader.

Must never: write plaintext anywhere but through the STREAM sealer, reuse a
file key, or release plaintext before its chunk's tag and the header MAC
verify. Everything is fixed-algorithm; the only choices are the recipients.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Sequence
from typing import BinaryIO

from ._header import encode_header, parse_header
from ._recipients import (
    DEFAULT_SCRYPT_LOG_N,
    FILE_KEY_SIZE,
    MAX_SCRYPT_LOG_N,
    unwrap_file_key,
    wrap_scrypt,
    wrap_x25519,
)
from ._stream import NONCE_SIZE, StreamEncryptor, decrypt_chunks, payload_key
from .errors import CryptoError
from .keys import Identity, Recipient

__all__ = ["AgeReader", "AgeWriter", "decrypt_bytes", "encrypt_bytes"]


class AgeWriter:
    """Writes an age v1 file to `sink` as plaintext is pushed in.

    Memory is constant (one pending chunk plus one 1 MiB batch); each
    `write` does work proportional to its argument only.
    """

    def __init__(
        self,
        recipients: Sequence[Recipient],
        sink: BinaryIO,
        *,
        _passphrase: bytes | None = None,
        _log_n: int = DEFAULT_SCRYPT_LOG_N,
    ) -> None:
        file_key = os.urandom(FILE_KEY_SIZE)
        if _passphrase is not None:
            if recipients:
                raise ValueError("a passphrase file has no other recipients")
            stanzas = [wrap_scrypt(file_key, _passphrase, _log_n)]
        else:
            if not recipients:
                raise ValueError("at least one recipient is required")
            stanzas = [wrap_x25519(file_key, r) for r in recipients]
        nonce = os.urandom(NONCE_SIZE)
        sink.write(encode_header(stanzas, file_key) + nonce)
        self._stream = StreamEncryptor(payload_key(file_key, nonce), sink.write)

    @classmethod
    def with_passphrase(
        cls, passphrase: bytes, sink: BinaryIO, *, log_n: int = DEFAULT_SCRYPT_LOG_N
    ) -> AgeWriter:
        """A file encrypted to a single scrypt stanza, like `age -p`."""
        return cls([], sink, _passphrase=passphrase, _log_n=log_n)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._stream.write(data)

    def close(self) -> None:
        """Seal the final chunk. Does not close `sink`."""
        self._stream.close()


class AgeReader:
    """Parses the header and unwraps the file key on construction (raises CryptoError).

    `chunks()` then yields authenticated plaintext; the views it yields are
    valid only until the next one is requested.
    """

    def __init__(
        self,
        src: BinaryIO,
        identities: Sequence[Identity] = (),
        *,
        passphrase: bytes | None = None,
        max_log_n: int = MAX_SCRYPT_LOG_N,
    ) -> None:
        header = parse_header(src)
        file_key = unwrap_file_key(header.stanzas, list(identities), passphrase, max_log_n)
        header.verify_mac(file_key)
        nonce = src.read(NONCE_SIZE)
        if len(nonce) != NONCE_SIZE:
            raise CryptoError
        self._key = payload_key(file_key, nonce)
        self._src = src

    def chunks(self) -> Iterator[memoryview]:
        return decrypt_chunks(self._key, self._src)

    def read_all(self, limit: int | None = None) -> bytes:
        out = bytearray()
        for chunk in self.chunks():
            out += chunk
            if limit is not None and len(out) > limit:
                raise CryptoError("the decrypted data is larger than allowed")
        return bytes(out)


def encrypt_bytes(data: bytes, recipients: Sequence[Recipient]) -> bytes:
    sink = io.BytesIO()
    writer = AgeWriter(recipients, sink)
    writer.write(data)
    writer.close()
    return sink.getvalue()


def decrypt_bytes(
    data: bytes,
    identities: Sequence[Identity] = (),
    *,
    passphrase: bytes | None = None,
    limit: int | None = None,
) -> bytes:
    reader = AgeReader(io.BytesIO(data), identities, passphrase=passphrase)
    return reader.read_all(limit)
