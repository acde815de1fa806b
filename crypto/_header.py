"""age v1 header: stanza encoding, strict parsing, header MAC.

Must never: accept a header that re-encodes differently from its bytes (the
MAC is computed over the raw bytes, so parsing must be canonical), or read
an unbounded amount of untrusted input.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from hashlib import sha256
from typing import BinaryIO

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from . import _b64
from ._labels import AGE_VERSION_LINE, HEADER_INFO
from .errors import CryptoError

# A header larger than this is refused: bounds memory on hostile input while
# leaving room for hundreds of recipients.
MAX_HEADER_BYTES = 1 << 20
_BODY_COLUMNS = 64
_MAC_PREFIX = b"---"


@dataclass(frozen=True, slots=True)
class Stanza:
    type: bytes
    args: tuple[bytes, ...]
    body: bytes

    def encode(self) -> bytes:
        line = b"-> " + b" ".join((self.type, *self.args)) + b"\n"
        b64 = _b64.encode(self.body)
        lines = [b64[i : i + _BODY_COLUMNS] for i in range(0, len(b64), _BODY_COLUMNS)]
        if len(b64) % _BODY_COLUMNS == 0:
            lines.append(b"")  # the last body line is always shorter than 64
        return line + b"".join(x + b"\n" for x in lines)


def header_key(file_key: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"", info=HEADER_INFO).derive(file_key)


def compute_mac(file_key: bytes, header_up_to_mark: bytes) -> bytes:
    return hmac.new(header_key(file_key), header_up_to_mark, sha256).digest()


def encode_header(stanzas: list[Stanza], file_key: bytes) -> bytes:
    head = AGE_VERSION_LINE + b"\n" + b"".join(s.encode() for s in stanzas) + _MAC_PREFIX
    return head + b" " + _b64.encode(compute_mac(file_key, head)) + b"\n"


@dataclass(frozen=True, slots=True)
class UnverifiedHeader:
    """A parsed header whose MAC has not been checked yet."""

    stanzas: tuple[Stanza, ...]
    untrusted_mac: bytes
    mac_input: bytes

    def verify_mac(self, file_key: bytes) -> None:
        if not hmac.compare_digest(compute_mac(file_key, self.mac_input), self.untrusted_mac):
            raise CryptoError


def _is_arg(untrusted: bytes) -> bool:
    return len(untrusted) > 0 and all(0x21 <= c <= 0x7E for c in untrusted)


class _LineReader:
    def __init__(self, src: BinaryIO) -> None:
        self._src = src
        self.consumed = bytearray()

    def line(self) -> bytes:
        remaining = MAX_HEADER_BYTES - len(self.consumed)
        if remaining <= 0:
            raise CryptoError
        untrusted_line = self._src.readline(remaining)
        if not untrusted_line.endswith(b"\n"):
            raise CryptoError  # EOF inside the header, or an over-long header
        self.consumed += untrusted_line
        return untrusted_line[:-1]


def parse_header(src: BinaryIO) -> UnverifiedHeader:
    """Read exactly the header from `src` (which must support readline)."""
    reader = _LineReader(src)
    if reader.line() != AGE_VERSION_LINE:
        raise CryptoError
    stanzas: list[Stanza] = []
    while True:
        mark = len(reader.consumed)
        untrusted_line = reader.line()
        if untrusted_line.startswith(b"-> "):
            parts = untrusted_line[3:].split(b" ")
            if not all(_is_arg(p) for p in parts):
                raise CryptoError
            body_b64 = bytearray()
            while True:
                body_line = reader.line()
                if len(body_line) > _BODY_COLUMNS:
                    raise CryptoError
                body_b64 += body_line
                if len(body_line) < _BODY_COLUMNS:
                    break
            stanzas.append(Stanza(parts[0], tuple(parts[1:]), _b64.decode(bytes(body_b64))))
        elif untrusted_line.startswith(_MAC_PREFIX + b" "):
            mac = _b64.decode(untrusted_line[4:])
            if len(mac) != 32 or not stanzas:
                raise CryptoError
            mac_input = bytes(reader.consumed[: mark + len(_MAC_PREFIX)])
            return UnverifiedHeader(tuple(stanzas), mac, mac_input)
        else:
            raise CryptoError
