"""Bech32 (BIP 173) encoding for age key strings: an encoding, not a primitive.

Must never: accept mixed case or a bad checksum (a mistyped key must not
silently become some other key).
"""

from __future__ import annotations

from .errors import CryptoError

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def _polymod(values: list[int]) -> int:
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= _GEN[i] if ((top >> i) & 1) else 0
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert(data: bytes | list[int], frombits: int, tobits: int, pad: bool) -> list[int]:
    acc = 0
    bits = 0
    out: list[int] = []
    maxv = (1 << tobits) - 1
    for value in data:
        acc = (acc << frombits) | value
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (tobits - bits)) & maxv)
    elif bits >= frombits or ((acc << (tobits - bits)) & maxv):
        raise CryptoError("invalid bech32 padding")
    return out


def encode(hrp: str, data: bytes) -> str:
    """Encode `data` under the lower-case human-readable part `hrp`."""
    values = _convert(data, 8, 5, True)
    poly = _polymod([*_hrp_expand(hrp), *values, 0, 0, 0, 0, 0, 0]) ^ 1
    checksum = [(poly >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_CHARSET[d] for d in values + checksum)


def decode(text: str) -> tuple[str, bytes]:
    """Decode a Bech32 string (either all lower or all upper case); returns (hrp, data)."""
    if text.lower() != text and text.upper() != text:
        raise CryptoError("mixed-case bech32")
    s = text.lower()
    pos = s.rfind("1")
    if pos < 1 or pos + 7 > len(s) or any(ord(c) < 33 or ord(c) > 126 for c in s):
        raise CryptoError("malformed bech32")
    hrp = s[:pos]
    try:
        values = [_CHARSET.index(c) for c in s[pos + 1 :]]
    except ValueError:
        raise CryptoError("malformed bech32") from None
    if _polymod(_hrp_expand(hrp) + values) != 1:
        raise CryptoError("bad bech32 checksum")
    return hrp, bytes(_convert(values[:-6], 5, 8, False))
