"""Trusting server signing keys through a pinned organisation root key
(SPEC.md §9), shared by `fetch` (online) and `decrypt`/`reply` (offline).

Threat: whoever seizes a live server holds its current signing key and can
append keys of their own to `server-keys.json`, each link validly signed by
the seized key. Once a journalist pins the newsroom's offline root, only
keys the root certified and has not revoked are trusted; the rotation chain
alone vouches for nothing. The thief also holds old, genuinely root-signed
revocation lists, so the highest list serial seen is remembered per root and
an older list (or none, once one was seen) is refused: no rollback.

State, in the client folder (`client.online.config.client_dir`, the same on
both workstations): `root-key.pub` (the pin) and `root-revocations.json`
(root key id -> highest serial seen). The serial is remembered for an
explicit `--root-key` too, so rollback protection does not depend on the pin.

Must never: trust a key because the server lists or chains it, grant trust
from the diagnostic code (`trusted_by_root` alone decides), lower a
remembered serial, or store anything secret.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from client.online.config import client_dir, write_private_text
from client.pinning import Pin, read_public_key, write_pin
from crypto.errors import CryptoError
from crypto.keychain import KeyChain
from crypto.rootcert import RevocationList, parse_revocations, trusted_by_root, verify_certificate
from crypto.signing import PublicKey

ROOT_PIN_FILE = "root-key.pub"
SERIALS_FILE = "root-revocations.json"
_ADMIN_HINT = (
    "ask your admin: the server needs the root's certificate for its current key "
    "(`samizdat admin signing-key install-cert`); if they did not rotate the key, "
    "the server may be seized: stop and check in person"
)


class RootTrustError(click.ClickException):
    """A root-trust refusal: no root, an unreadable root file, or a key file
    the pinned root does not vouch for. Carries a hint for the launcher."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


def root_pin_path(environ: dict[str, str] | None = None) -> Path:
    return client_dir(environ) / ROOT_PIN_FILE


def read_root_file(path: Path) -> PublicKey:
    return read_public_key(
        path,
        what="root key",
        hint="give root.pub from `samizdat admin root-key init` (your admin hands it over)",
        error=lambda message, hint: RootTrustError(message, hint=hint),
    )


def pin_root(key: PublicKey, *, replace: bool, environ: dict[str, str] | None = None) -> Pin:
    return write_pin(
        root_pin_path(environ),
        key,
        replace=replace,
        read=read_root_file,
        refused=lambda previous: RootTrustError(
            f"a different organisation root key ({previous.key_id_hex}) is already pinned",
            hint="a newsroom's root rarely changes: check the new root.pub with your admin "
            "in person, then pass --replace",
        ),
    )


def pinned_root(environ: dict[str, str] | None = None) -> PublicKey | None:
    path = root_pin_path(environ)
    return read_root_file(path) if path.exists() else None


# -- the remembered revocation serial -------------------------------------------
def _serials(environ: dict[str, str] | None) -> dict[str, int]:
    path = client_dir(environ) / SERIALS_FILE
    if not path.exists():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in doc.values()
        ):
            raise ValueError
    except (OSError, ValueError):
        # Failing closed: guessing 0 would let an old list back in.
        raise RootTrustError(
            f"cannot read {path}, where the newest revocation serial seen is kept",
            hint="restore it from a backup of this folder (deleting it disables "
            "rollback protection until the next list)",
        ) from None
    return {str(k): int(v) for k, v in doc.items()}


def remembered_serial(root: PublicKey, environ: dict[str, str] | None = None) -> int:
    return _serials(environ).get(root.key_id_hex, 0)


def _remember_serial(root: PublicKey, serial: int, environ: dict[str, str] | None) -> None:
    serials = _serials(environ)
    if serial <= serials.get(root.key_id_hex, 0):
        return
    serials[root.key_id_hex] = serial
    write_private_text(
        client_dir(environ) / SERIALS_FILE, json.dumps(serials, indent=2, sort_keys=True) + "\n"
    )


# -- verdicts ---------------------------------------------------------------------
@dataclass(frozen=True)
class RootVerdict:
    """What the root vouches for in one `server-keys.json`."""

    root: PublicKey
    trusted: list[PublicKey]
    serial: int  # of the verified revocation list; 0 when there is none
    refused: dict[str, str] = field(default_factory=dict)  # key id -> why

    def notes(self) -> list[str]:
        return [f"server key {kid} refused: {why}" for kid, why in sorted(self.refused.items())]


def _section(untrusted: str | bytes) -> dict[str, Any] | None:
    try:
        doc = json.loads(untrusted)
    except ValueError:
        return None
    section = doc.get("root") if isinstance(doc, dict) else None
    return section if isinstance(section, dict) else None


def _revocations(root: PublicKey, section: dict[str, Any] | None) -> RevocationList | None:
    """The section's revocation list if it verifies under `root`, else None."""
    rev = section.get("revocations") if section else None
    if rev is None:
        return None
    try:
        return parse_revocations(root, json.dumps(rev))
    except (CryptoError, TypeError, ValueError):
        return None


def _why_refused(root: PublicKey, untrusted: str | bytes) -> dict[str, str]:
    """For messages only: why each listed key is not trusted."""
    try:
        keys = KeyChain.from_json(untrusted).keys
    except CryptoError:
        return {}
    section = _section(untrusted)
    certs = section.get("certificates") if section else None
    rl = _revocations(root, section)
    out: dict[str, str] = {}
    for key in keys:
        kid = key.key_id_hex
        if rl is not None and kid in rl.revoked:
            out[kid] = f"revoked by the organisation root (revocation list serial {rl.serial})"
            continue
        cert = certs.get(kid) if isinstance(certs, dict) else None
        try:
            if not isinstance(cert, str):
                raise CryptoError
            verify_certificate(root, key, cert)
        except CryptoError:
            out[kid] = "no valid certificate from the organisation root"
    return out


def _refusal(root: PublicKey, untrusted: str | bytes, min_serial: int) -> RootTrustError:
    rid = root.key_id_hex
    try:
        KeyChain.from_json(untrusted)
    except CryptoError:
        return RootTrustError(
            "server-keys.json is not a readable server key chain",
            hint="fetch again; if it persists, tell your admin",
        )
    section = _section(untrusted)
    if section is None or not isinstance(section.get("certificates"), dict):
        return RootTrustError(
            f"server-keys.json carries no certificates from your organisation root {rid}",
            hint="the server has not pinned the root yet (`samizdat admin root-key pin`), "
            "or it is not your newsroom's server: " + _ADMIN_HINT,
        )
    rev = section.get("revocations")
    rl = _revocations(root, section)
    if rev is not None and rl is None:
        return RootTrustError(
            f"the revocation list in server-keys.json is not signed by your root {rid}",
            hint="someone altered the server's key file: tell your admin in person",
        )
    if min_serial and (rl is None or rl.serial < min_serial):
        got = "no revocation list" if rl is None else f"revocation list serial {rl.serial}"
        return RootTrustError(
            f"rollback refused: server-keys.json holds {got}, but serial {min_serial} "
            "was already seen",
            hint="an older list could bring a revoked key back: someone may have "
            "restored old key files on the server; tell your admin in person",
        )
    why = _why_refused(root, untrusted)
    detail = "; ".join(f"{kid}: {reason}" for kid, reason in sorted(why.items()))
    return RootTrustError(
        f"no server key is certified by your organisation root {rid} and unrevoked"
        + (f" ({detail})" if detail else ""),
        hint=_ADMIN_HINT,
    )


def verdict(
    root: PublicKey, untrusted_server_keys: str | bytes, *, environ: dict[str, str] | None = None
) -> RootVerdict:
    """The keys `root` vouches for in a `server-keys.json`; remembers a newer
    revocation serial. Raises RootTrustError (with the reason) on refusal."""
    min_serial = remembered_serial(root, environ)
    try:
        trusted = trusted_by_root(root, untrusted_server_keys, min_serial=min_serial)
    except CryptoError:
        raise _refusal(root, untrusted_server_keys, min_serial) from None
    # trusted_by_root verified the list (if any); read its serial to remember it.
    rl = _revocations(root, _section(untrusted_server_keys))
    serial = rl.serial if rl is not None else 0
    _remember_serial(root, serial, environ)
    why = _why_refused(root, untrusted_server_keys)
    return RootVerdict(root, trusted, serial, why)


def require_among(verdict_: RootVerdict, server_key: PublicKey) -> None:
    """An explicit `--server-key` under a root must itself be vouched for."""
    if server_key in verdict_.trusted:
        return
    why = verdict_.refused.get(server_key.key_id_hex, "it is not in server-keys.json")
    raise RootTrustError(
        f"the server key you gave ({server_key.key_id_hex}) is not trusted by your "
        f"organisation root {verdict_.root.key_id_hex}: {why}",
        hint="under a pinned root the root decides; drop --server-key, or ask your admin",
    )
