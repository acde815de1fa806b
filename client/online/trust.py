"""The pinned server signing key, and following its rotation chain.

`journalist trust --server-key FILE` pins a key given at enrolment (out of
band: this is the root of trust). `fetch` then accepts only keys reachable
from the pin through `server-keys.json`, each link signed by the previous
key, and moves the pin forward to the newest key it reached, so a key that
was retired (and might later leak) can no longer vouch for a new chain.
Once an organisation root is pinned (`trust --root-key`, `client.trustroot`)
the root decides instead: a chain link signed by a seized key vouches for
nothing.
Must never trust a key because the server says so without a signed link,
or fall back to the chain when a root is pinned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from client.online.config import pin_path, write_private_text
from client.online.errors import TrustProblem
from client.pinning import Pin, read_public_key, write_pin
from client.trustroot import pinned_root, require_among, verdict
from crypto.errors import CryptoError
from crypto.keychain import KeyChain
from crypto.signing import PublicKey


def read_key_file(path: Path) -> PublicKey:
    return read_public_key(
        path,
        what="server key",
        hint="give the minisign public key from `samizdat admin signing-key export`",
        error=lambda message, hint: TrustProblem(message, hint=hint),
    )


def pin(key: PublicKey, *, replace: bool, environ: dict[str, str] | None = None) -> Pin:
    return write_pin(
        pin_path(environ),
        key,
        replace=replace,
        read=lambda _path: load_pinned(environ),
        refused=lambda previous: TrustProblem(
            f"a different server key ({previous.key_id_hex}) is already pinned",
            hint="if the newsroom really changed it, pass --replace (check the new key "
            "with your admin in person first)",
        ),
    )


def load_pinned(environ: dict[str, str] | None = None) -> PublicKey:
    path = pin_path(environ)
    if not path.exists():
        raise TrustProblem(
            "no server key is pinned",
            hint="run `samizdat journalist trust --server-key FILE` (or `--root-key FILE` "
            "for your newsroom's root) with what your admin gave you, or pass --server-key",
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


@dataclass
class FetchTrust:
    """Which signing keys `fetch` verifies with: under a pinned root, the
    keys it certified and has not revoked; else the given or pinned server
    key and the successors its chain proves."""

    root: PublicKey | None
    server_key: PublicKey | None
    explicit_key: bool
    notes: list[str] = field(default_factory=list)

    def keys(self, untrusted_chain_json: str) -> list[PublicKey]:
        if self.root is not None:
            v = verdict(self.root, untrusted_chain_json)
            if self.server_key is not None:
                require_among(v, self.server_key)
            listed = f"revocation list serial {v.serial}" if v.serial else "no revocation list"
            self.notes = [f"organisation root {self.root.key_id_hex}: {listed}", *v.notes()]
            return v.trusted
        if self.server_key is None:  # fetch_trust() never builds this
            raise TrustProblem("no server key to verify with")
        return trusted_keys(self.server_key, untrusted_chain_json)

    @property
    def follows_pin(self) -> bool:
        """Whether the stored server-key pin should move with the chain."""
        return self.root is None and not self.explicit_key


def fetch_trust(server_key_file: Path | None) -> FetchTrust:
    root = pinned_root()
    key = read_key_file(server_key_file) if server_key_file else None
    if root is None and key is None:
        key = load_pinned()
    return FetchTrust(root, key, server_key_file is not None)
