"""Source codenames and the keys derived from them (SPEC.md §6).

Must never: store, log or cache a codename or a derived secret; derive the
lookup id and the reply key from the same secret; use a non-CSPRNG.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from functools import cache
from hashlib import blake2b
from importlib import resources

import nacl.pwhash
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ._labels import CODENAME_SALT_LABEL, LOOKUP_LABEL, REPLY_KEY_LABEL
from .keys import Identity, Recipient

__all__ = [
    "CODENAME_WORDS",
    "SourceKeys",
    "derive_source_keys",
    "generate_codename",
    "normalise",
    "wordlist",
]

CODENAME_WORDS = 8  # 8 × log2(7776) ≈ 103 bits (≥ 90 required)
ARGON2_OPSLIMIT = 3
ARGON2_MEMLIMIT = 64 * 1024 * 1024
_MIN_SECRET = 32


@cache
def wordlist() -> tuple[str, ...]:
    """The EFF large wordlist as shipped by the `diceware` package (7776 words).

    Cached: it is public data, not a secret.
    """
    text = (
        resources.files("diceware")
        .joinpath("wordlists/wordlist_en_eff.txt")
        .read_text(encoding="utf-8")
    )
    words = tuple(line.split("\t")[1].strip() for line in text.splitlines() if "\t" in line)
    if len(words) != 7776 or len(set(words)) != 7776:
        raise RuntimeError("the EFF wordlist from the diceware package is not as expected")
    return words


def generate_codename(words: int = CODENAME_WORDS) -> str:
    if words < 7:
        raise ValueError("codenames need at least 7 words (≥ 90 bits)")
    wl = wordlist()
    return " ".join(secrets.choice(wl) for _ in range(words))


def normalise(text: str) -> str:
    """What the source typed → the canonical codename (case, spacing, Unicode form)."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


@dataclass(frozen=True, slots=True)
class SourceKeys:
    lookup_id: str
    reply_identity: Identity
    reply_recipient: Recipient

    def __repr__(self) -> str:
        return f"SourceKeys(lookup_id={self.lookup_id!r}, reply_identity=<secret>)"


def derive_source_keys(codename: str, lookup_secret: bytes, reply_secret: bytes) -> SourceKeys:
    """Argon2id (64 MiB, 3 passes) once, then two HKDFs keyed by distinct secrets."""
    if len(lookup_secret) < _MIN_SECRET or len(reply_secret) < _MIN_SECRET:
        raise ValueError("instance secrets must be at least 32 bytes")
    if lookup_secret == reply_secret:
        raise ValueError("the two instance secrets must differ")
    salt = blake2b(CODENAME_SALT_LABEL, key=lookup_secret[:64], digest_size=16).digest()
    stretched = nacl.pwhash.argon2id.kdf(
        32,
        normalise(codename).encode("utf-8"),
        salt,
        opslimit=ARGON2_OPSLIMIT,
        memlimit=ARGON2_MEMLIMIT,
    )
    lookup = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=lookup_secret, info=LOOKUP_LABEL
    ).derive(stretched)
    seed = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=reply_secret, info=REPLY_KEY_LABEL
    ).derive(stretched)
    identity = Identity.from_bytes(seed)
    return SourceKeys(lookup.hex(), identity, identity.recipient())
