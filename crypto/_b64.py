"""Canonical unpadded base64 as age uses it.

Must never: accept padding, non-alphabet bytes or non-zero trailing bits
(malleable encodings would let two headers carry one MAC).
"""

from __future__ import annotations

import base64
import binascii

from .errors import CryptoError


def encode(data: bytes) -> bytes:
    return base64.b64encode(data).rstrip(b"=")


def decode(untrusted_text: bytes) -> bytes:
    if b"=" in untrusted_text or b"\n" in untrusted_text or b"\r" in untrusted_text:
        raise CryptoError("non-canonical base64")
    if len(untrusted_text) % 4 == 1:
        raise CryptoError("malformed base64")
    try:
        data = base64.b64decode(untrusted_text + b"=" * (-len(untrusted_text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise CryptoError("malformed base64") from None
    if encode(data) != untrusted_text:
        raise CryptoError("non-canonical base64")
    return data
