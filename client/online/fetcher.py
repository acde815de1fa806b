"""`journalist fetch`: download every sealed bundle not yet in the output
folder, resume partial ones, verify each signature as it lands.

Layout of DIR (CONTRACT.md): `<id>.age`, `<id>.age.minisig`,
`server-keys.json`; partial downloads are `<id>.age.part`; a bundle that fails
verification goes to `quarantine/<id>.age.unverified` with its signature and a
note saying why. Must never leave an unverified file under a `.age` name in
DIR (the transfer stick only ever carries verified bundles there), and never
delete a failed bundle: it is evidence, kept in quarantine.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from client.online.api import JournalistApi, RemoteSubmission
from client.online.config import write_private_text
from client.online.errors import OnlineError
from crypto.errors import CryptoError
from crypto.signing import PublicKey, verify_file_trusted

QUARANTINE = "quarantine"


@dataclass
class FetchSummary:
    fetched: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    key_ids: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


class Progress:
    """What the fetcher reports while it works (rich bars in the CLI)."""

    def start(self, submission: RemoteSubmission) -> Callable[[int], None]:
        return lambda _n: None

    def done(self, submission: RemoteSubmission, ok: bool) -> None:
        return None


def _quarantine(out: Path, sid: str, part: Path, sig_text: str | None, why: str) -> Path:
    qdir = out / QUARANTINE
    qdir.mkdir(mode=0o700, exist_ok=True)
    target = qdir / f"{sid}.age.unverified"
    if part.exists():
        os.replace(part, target)
    if sig_text is not None:
        write_private_text(qdir / f"{sid}.age.minisig", sig_text)
    write_private_text(qdir / f"{sid}.why.txt", why + "\n")
    return target


def _fetch_one(
    api: JournalistApi,
    out: Path,
    sub: RemoteSubmission,
    trusted: list[PublicKey],
    progress: Progress,
) -> None:
    part = out / f"{sub.id}.age.part"
    if not sub.signature_present:
        raise OnlineError(f"{sub.id}: the server holds no signature for it")
    sig_text = api.signature(sub.id)
    api.download_bundle(sub.id, part, progress.start(sub))
    try:
        verify_file_trusted(trusted, part, sig_text)
    except CryptoError:
        where = _quarantine(
            out,
            sub.id,
            part,
            sig_text,
            "The signature does not verify against any server key you trust (the "
            "pinned server key or a key it rotated to; under a pinned organisation "
            "root, only keys the root certified and has not revoked). The file may "
            "have been altered, or signed by a key a thief added. Do not open it; "
            "tell your admin.",
        )
        raise OnlineError(
            f"{sub.id}: signature does not verify: quarantined as {where}",
            hint="the bundle may be altered or not from your server; report it",
        ) from None
    # Signature first, bundle last: a `.age` in DIR always has its `.minisig`.
    write_private_text(out / f"{sub.id}.age.minisig", sig_text)
    os.replace(part, out / f"{sub.id}.age")


def fetch_all(
    api: JournalistApi,
    out: Path,
    trust: Callable[[str], list[PublicKey]],
    progress: Progress,
) -> tuple[FetchSummary, list[PublicKey]]:
    """`trust` turns the server's untrusted `server-keys.json` into the keys
    to verify with (client.online.trust.FetchTrust.keys), or raises."""
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    summary = FetchSummary()
    chain_json = api.server_keys()
    trusted = trust(chain_json)
    summary.key_ids = [k.key_id_hex for k in trusted]
    write_private_text(out / "server-keys.json", chain_json)
    for sub in api.submissions():
        if (out / f"{sub.id}.age").is_file() and (out / f"{sub.id}.age.minisig").is_file():
            summary.skipped.append(sub.id)
            continue
        try:
            _fetch_one(api, out, sub, trusted, progress)
        except OnlineError as exc:
            summary.failed.append((sub.id, exc.format_message()))
            progress.done(sub, False)
            continue
        summary.fetched.append(sub.id)
        progress.done(sub, True)
    return summary, trusted
