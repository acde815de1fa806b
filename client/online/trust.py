"""The pinned server signing key, and following its rotation chain.

`journalist trust --server-key FILE` pins a key given at enrolment (out of
band: this is the root of trust). `fetch` then accepts only keys reachable
from the pin through `server-keys.json`, each link signed by the previous
key, and moves the pin forward to the newest key it reached, so a key that
was retired (and might later leak) can no longer vouch for a new chain.
Must never trust a key because the server says so without a signed link.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from client.online.config import pin_path, write_private_text
from client.online.errors import TrustProblem
from crypto.errors import CryptoError, KeyFormatError
from crypto.keychain import KeyChain
from crypto.signing import PublicKey


def read_key_file(path: Path) -> PublicKey:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TrustProblem(
            f"cannot read the server key file {path}: {type(exc).__name__}",
            hint="give the minisign public key from `samizdat admin signing-key export`",
        ) from None
    try:
        return PublicKey.parse(text)
    except KeyFormatError as exc:
        raise TrustProblem(f"{path}: {exc}", hint=exc.hint) from None


@dataclass(frozen=True)
class PinResult:
    key: PublicKey
    previous: PublicKey | None


def pin(key: PublicKey, *, replace: bool, environ: dict[str, str] | None = None) -> PinResult:
    path = pin_path(environ)
    previous = load_pinned(environ) if path.exists() else None
    if previous is not None and previous != key and not replace:
        raise TrustProblem(
            f"a different server key ({previous.key_id_hex}) is already pinned",
            hint="if the newsroom really changed it, pass --replace (check the new key "
            "with your admin in person first)",
        )
    write_private_text(path, key.minisign_text())
    return PinResult(key, previous)


def load_pinned(environ: dict[str, str] | None = None) -> PublicKey:
    path = pin_path(environ)
    if not path.exists():
        raise TrustProblem(
            "no server key is pinned",
            hint="run `samizdat journalist trust --server-key FILE` with the key your admin "
            "gave you, or pass --server-key",
        )
    return read_key_file(path)


def trusted_keys(pinned: PublicKey, untrusted_chain_json: str) -> list[PublicKey]:
    """The pinned key and every later key the chain proves; raises TrustProblem."""
    try:
        chain = KeyChain.from_json(untrusted_chain_json)
        # resolve() answers [pinned] for a chain that lacks the pin; a server
        # that does not know our pinned key is not the server we trust.
        if pinned not in chain.keys:
            raise CryptoError
        return list(chain.resolve(pinned))
    except CryptoError:
        raise TrustProblem(
            "the server's key chain does not follow from the pinned key",
            hint="the server may be impersonated, or its key was replaced without a signed "
            "rotation: check with your admin before trusting anything from it",
        ) from None


def advance_pin(keys: list[PublicKey], environ: dict[str, str] | None = None) -> bool:
    """Move the stored pin to the newest proven key; True if it moved."""
    newest = keys[-1]
    if load_pinned(environ) == newest:
        return False
    write_private_text(pin_path(environ), newest.minisign_text())
    return True
