"""Which keys the server uses right now: the recipients a new bundle is
sealed to, and the server's own signing key.

Must never return a retired key as a recipient (a removed journalist's or a
rotated-out key would otherwise keep receiving new submissions), and never
hold a journalist's secret key: only public recipients live here.
"""

from __future__ import annotations

from sqlmodel import Session

from crypto.keys import Recipient
from crypto.signing import SigningKey
from server.admin import repository as repo
from server.errors import ConfigError
from server.instance import InstancePaths

__all__ = ["load_signing_key", "sealing_recipients"]


def sealing_recipients(session: Session, today: str) -> list[Recipient]:
    """Recipients for a bundle sealed on `today` (UTC day, YYYY-MM-DD).

    Active keys of active journalists, keys still in a rotation's grace
    period (up to and including their grace day), and the organisation
    recovery key when one is set. Deduplicated, in a stable order.
    """
    encoded: list[str] = [k.recipient for k in repo.sealing_key_rows(session, today)]
    encoded += [k.recipient for k in repo.active_org_keys(session, repo.RECOVERY_KIND)]
    seen: set[str] = set()
    out: list[Recipient] = []
    for text in encoded:
        if text in seen:
            continue
        seen.add(text)
        out.append(Recipient.parse(text))
    return out


def load_signing_key(paths: InstancePaths) -> SigningKey:
    """The server's current Ed25519 signing key (`keys/signing.key`, 0600)."""
    path = paths.signing_key
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        raise ConfigError(
            "the server signing key is missing",
            hint="restore the data dir from a backup (`samizdat admin restore`)",
        ) from None
    # A key others can read may already be copied: refuse rather than sign
    # with a key whose secrecy is unknown.
    if mode & 0o077:
        raise ConfigError(
            f"the server signing key {path} is readable by other users",
            hint=f"run: chmod 600 {path} (and consider `samizdat admin signing-key rotate`)",
        )
    return SigningKey.load(path)
