"""age's STREAM: ChaCha20-Poly1305 over 64 KiB chunks with a last-chunk flag.

Must never: release a plaintext chunk before its tag verifies, accept a
stream without a final-flagged chunk (truncation), or accept trailing bytes.
Hot path: chunks are sealed/opened in batches straight between preallocated
buffers (encrypt_into/decrypt_into on memoryviews) to avoid per-chunk copies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ._labels import PAYLOAD_INFO
from .errors import CryptoError

CHUNK = 64 * 1024
TAG = 16
ENC_CHUNK = CHUNK + TAG
NONCE_SIZE = 16
# Chunks per batch: 16 × 64 KiB = 1 MiB of work per call at most (~1 ms),
# so a server thread never holds the CPU long; large enough to amortise calls.
BATCH = 16
_LAST = b"\x01"
_NOT_LAST = b"\x00"
_MAX_COUNTER = (1 << 88) - 1


def payload_key(file_key: bytes, nonce: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=nonce, info=PAYLOAD_INFO).derive(
        file_key
    )


def _nonce(counter: int, flag: bytes) -> bytes:
    if counter > _MAX_COUNTER:
        raise CryptoError
    return counter.to_bytes(11, "big") + flag


class StreamEncryptor:
    """Push-style STREAM sealer writing ciphertext through `emit`."""

    def __init__(self, key: bytes, emit: Callable[[memoryview], object]) -> None:
        self._aead = ChaCha20Poly1305(key)
        self._emit = emit
        self._counter = 0
        self._pending = bytearray()  # at most one chunk, never known to be the last
        self._out = bytearray(BATCH * ENC_CHUNK)
        self._closed = False

    def _seal_full(self, chunks: memoryview) -> None:
        """Seal whole, non-final chunks from `chunks` (a multiple of CHUNK)."""
        out = memoryview(self._out)
        aead = self._aead
        pos = 0
        total = len(chunks)
        while pos < total:
            n = min(BATCH * CHUNK, total - pos)
            o = 0
            for i in range(pos, pos + n, CHUNK):
                aead.encrypt_into(
                    _nonce(self._counter, _NOT_LAST),
                    chunks[i : i + CHUNK],
                    None,
                    out[o : o + ENC_CHUNK],
                )
                self._counter += 1
                o += ENC_CHUNK
            self._emit(out[:o])
            pos += n

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._closed:
            raise ValueError("write after close")
        mv = memoryview(data).cast("B")
        if not mv:
            return
        pending = self._pending
        if pending:
            take = min(CHUNK - len(pending), len(mv))
            pending += mv[:take]
            mv = mv[take:]
            if not mv:
                return
            # More data follows, so the full pending chunk is not the last one.
            self._seal_full(memoryview(pending))
            pending.clear()
        # Keep the final (possibly full) chunk back: only close() knows it is last.
        keep = len(mv) - ((len(mv) - 1) // CHUNK) * CHUNK
        if len(mv) > keep:
            self._seal_full(mv[: len(mv) - keep])
        pending += mv[len(mv) - keep :]

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        last = self._aead.encrypt(_nonce(self._counter, _LAST), bytes(self._pending), None)
        self._pending.clear()
        self._emit(memoryview(last))


def decrypt_chunks(key: bytes, src: BinaryIO) -> Iterator[memoryview]:
    """Yield authenticated plaintext batches; each view is valid until the next one.

    Like Go age, a full-size chunk is tried as non-final first and then as final,
    and a final chunk's plaintext is released before trailing bytes are refused.
    Raises CryptoError at the first failure, after yielding what verified before it.
    """
    aead = ChaCha20Poly1305(key)
    inbuf = bytearray((BATCH + 1) * ENC_CHUNK)
    inview = memoryview(inbuf)
    outview = memoryview(bytearray(BATCH * CHUNK))
    have = 0  # bytes of ciphertext at the front of inbuf
    eof = False
    counter = 0
    while True:
        while not eof and have < len(inbuf):
            n = src.readinto(inview[have:])  # type: ignore[attr-defined]
            if not n:
                eof = True
            else:
                have += n
        pos = 0
        o = 0
        final = False
        while True:
            avail = have - pos
            if avail >= ENC_CHUNK:
                clen = ENC_CHUNK
            elif eof:
                clen = avail
            else:
                break  # need more ciphertext to know where this chunk ends
            if clen < TAG or (clen == TAG and counter > 0):
                # Truncated: no final chunk, or an empty final chunk after data.
                if o:
                    yield outview[:o]
                raise CryptoError
            plen = clen - TAG
            chunk = inview[pos : pos + clen]
            out = outview[o : o + plen]
            try:
                if clen == ENC_CHUNK:
                    try:
                        aead.decrypt_into(_nonce(counter, _NOT_LAST), chunk, None, out)
                    except InvalidTag:
                        aead.decrypt_into(_nonce(counter, _LAST), chunk, None, out)
                        final = True
                else:
                    aead.decrypt_into(_nonce(counter, _LAST), chunk, None, out)
                    final = True
            except InvalidTag:
                if o:
                    yield outview[:o]
                raise CryptoError from None
            counter += 1
            pos += clen
            o += plen
            if final:
                if o:
                    yield outview[:o]
                if have > pos or (not eof and src.read(1)):
                    raise CryptoError  # trailing bytes after the final chunk
                return
            if o == len(outview):
                yield outview[:o]
                o = 0
        if o:
            yield outview[:o]
        rest = have - pos
        inview[:rest] = bytes(inview[pos:have])
        have = rest
