"""`server-keys.json`: the server's signing keys, each new one signed by the last.

Must never: trust a key that precedes the pinned one, or skip a link whose
signature fails (a broken chain fails as a whole, opaquely).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ._labels import KEYCHAIN_FORMAT, ROTATION_COMMENT_PREFIX, ROTATION_LABEL
from .errors import CryptoError
from .signing import PublicKey, SigningKey, new_prehash

__all__ = ["KeyChain"]

# Hostile input bound: a chain longer than this is refused.
_MAX_KEYS = 1000
_MAX_JSON = 4 << 20


def _statement(previous: PublicKey, nxt: PublicKey) -> bytes:
    h = new_prehash()
    h.update(ROTATION_LABEL + previous.raw + previous.key_id + nxt.raw + nxt.key_id)
    return h.digest()


def _comment(previous: PublicKey, nxt: PublicKey) -> str:
    return f"{ROTATION_COMMENT_PREFIX} previous={previous.key_id_hex} next={nxt.key_id_hex}"


@dataclass(slots=True)
class _Link:
    key: PublicKey
    untrusted_signature: str | None


class KeyChain:
    """An ordered list of server public keys, oldest first."""

    def __init__(self, links: list[_Link]) -> None:
        self._links = links

    @classmethod
    def create(cls, first_key: SigningKey | PublicKey) -> KeyChain:
        key = first_key.public_key() if isinstance(first_key, SigningKey) else first_key
        return cls([_Link(key, None)])

    @property
    def keys(self) -> list[PublicKey]:
        return [link.key for link in self._links]

    @property
    def current(self) -> PublicKey:
        return self._links[-1].key

    def rotate(self, old_sk: SigningKey, new_sk: SigningKey) -> KeyChain:
        """Append `new_sk`'s public key, signed by `old_sk` (the current key).

        Mutates this chain and returns it.
        """
        old = old_sk.public_key()
        if old != self.current:
            raise ValueError("old_sk is not the chain's current key")
        new = new_sk.public_key()
        sig = old_sk.sign_digest(
            _statement(old, new), _comment(old, new), "samizdat server key rotation"
        )
        self._links.append(_Link(new, sig))
        return self

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": KEYCHAIN_FORMAT,
                "keys": [
                    {"public_key": link.key.minisign_text(), "signature": link.untrusted_signature}
                    for link in self._links
                ],
            },
            indent=2,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, untrusted_text: str | bytes) -> KeyChain:
        """Parse only; nothing here is trusted until `resolve` walks the links."""
        if len(untrusted_text) > _MAX_JSON:
            raise CryptoError
        try:
            doc = json.loads(untrusted_text)
            if doc["format"] != KEYCHAIN_FORMAT or not isinstance(doc["keys"], list):
                raise CryptoError
            if not 0 < len(doc["keys"]) <= _MAX_KEYS:
                raise CryptoError
            links: list[_Link] = []
            for entry in doc["keys"]:
                sig = entry["signature"]
                if sig is not None and not isinstance(sig, str):
                    raise CryptoError
                links.append(_Link(PublicKey.parse(entry["public_key"]), sig))
        except (ValueError, KeyError, TypeError):
            raise CryptoError from None
        return cls(links)

    def resolve(self, pinned: PublicKey) -> list[PublicKey]:
        """The pinned key, then every later key whose rotation link verifies.

        A chain that does not contain the pinned key yields just the pinned key.
        """
        start = next((i for i, link in enumerate(self._links) if link.key == pinned), None)
        if start is None:
            return [pinned]
        trusted = [pinned]
        for link in self._links[start + 1 :]:
            previous = trusted[-1]
            if link.untrusted_signature is None:
                raise CryptoError
            comment = previous.verify_digest(
                link.untrusted_signature, _statement(previous, link.key)
            )
            if comment.text != _comment(previous, link.key):
                raise CryptoError
            trusted.append(link.key)
        return trusted
