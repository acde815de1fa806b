"""Bodies of `journalist keygen | decrypt | reply` (air-gapped workstation).

Which server keys a bundle may be signed by: under an organisation root
(`--root-key`, else the one pinned with `journalist trust --root-key`) only
the keys the root vouches for in the `server-keys.json` beside the bundle
(`client.trustroot`); without one, `--server-key` and the successors its
chain proves.

Must never open or preview a submitted file, print a passphrase or secret
key, leave anything behind for a bundle that failed verification, or fall
back to the rotation chain when a root applies.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from client.offline.errors import OfflineError
from client.offline.passphrase import get_passphrase
from client.offline.report import NEVER_OPENED, render
from client.trustroot import RootTrustError, pinned_root, read_root_file, require_among, verdict
from crypto.errors import CryptoError, KeyFormatError
from crypto.identity import load_identity_file, write_identity_file
from crypto.keychain import KeyChain
from crypto.keys import Identity, Recipient, generate_identity
from crypto.opener import OutputExistsError, open_bundle, read_manifest
from crypto.reply import MAX_REPLY_BYTES, seal_reply
from crypto.signing import PublicKey

KEYCHAIN_NAME = "server-keys.json"
# Bundles above this get a progress bar (small ones finish before it would draw).
_PROGRESS_FROM = 8 << 20


def run_keygen(*, out: Path, passphrase_file: Path | None, data_dir: Path | None) -> None:
    pub = out.with_name(out.name + ".pub")
    for path in (out, pub):
        if path.exists():
            raise OfflineError(f"{path} already exists", hint="choose another --out")
    passphrase = get_passphrase(passphrase_file, confirm=True)
    identity = generate_identity()
    recipient = identity.recipient()
    out.parent.mkdir(parents=True, exist_ok=True)
    write_identity_file(out, identity, passphrase)
    pub.write_text(recipient.encode() + "\n", "ascii")
    click.echo(f"Identity (passphrase-protected): {out}")
    click.echo(f"Public key ({pub.name}): {recipient.encode()}")
    click.echo(f"Fingerprint: {recipient.fingerprint()}")
    click.echo("Give the .pub file to your admin; compare the fingerprint with them by voice.")


def _unlock(identity_file: Path, passphrase_file: Path | None) -> Identity:
    return load_identity_file(identity_file, get_passphrase(passphrase_file))


def _pinned(server_key: Path) -> PublicKey:
    try:
        return PublicKey.parse(server_key.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise OfflineError(
            f"cannot read --server-key: {exc}", hint="give the server's minisign .pub file"
        ) from None


class _SignerKeys:
    """Resolves the trusted signing keys for each bundle (see the module doc)."""

    def __init__(self, server_key: Path | None, root_key: Path | None) -> None:
        self.root = read_root_file(root_key) if root_key is not None else pinned_root()
        self.server_key = _pinned(server_key) if server_key is not None else None
        self._by_chain: dict[Path, list[PublicKey]] = {}

    @property
    def verifies(self) -> bool:
        return self.root is not None or self.server_key is not None

    def for_bundle(self, bundle: Path) -> list[PublicKey]:
        chain_file = (bundle.parent / KEYCHAIN_NAME).resolve()
        if self.root is None:
            if self.server_key is None:
                raise OfflineError("no server key to verify with")
            if not chain_file.exists():
                return [self.server_key]
            try:
                return KeyChain.from_json(chain_file.read_bytes()).resolve(self.server_key)
            except CryptoError:
                raise OfflineError(
                    f"{bundle.name}: the {KEYCHAIN_NAME} beside it does not follow from "
                    "--server-key (a chain link is not signed by its predecessor)",
                    hint="fetch again; if it persists, tell your admin",
                ) from None
        if chain_file not in self._by_chain:
            if not chain_file.exists():
                raise RootTrustError(
                    f"{bundle.name}: no {KEYCHAIN_NAME} beside it (under an organisation "
                    "root it carries the root's certificates)",
                    hint="copy the whole folder `journalist fetch` wrote, not just the bundles",
                )
            v = verdict(self.root, chain_file.read_bytes())
            if self.server_key is not None:
                require_among(v, self.server_key)
            for note in v.notes():
                click.echo(f"note: {note}", err=True)
            self._by_chain[chain_file] = v.trusted
        return self._by_chain[chain_file]


def _no_key_error() -> OfflineError:
    return OfflineError(
        "no key to verify the bundles with",
        hint="pass --server-key FILE or --root-key FILE, or pin your newsroom's root once "
        "with `samizdat journalist trust --root-key FILE`",
    )


def run_decrypt(
    *,
    bundles: tuple[Path, ...],
    identity: Path,
    passphrase_file: Path | None,
    server_key: Path | None,
    root_key: Path | None,
    out_dir: Path,
    data_dir: Path | None,
) -> None:
    signers = _SignerKeys(server_key, root_key)
    if not signers.verifies:
        raise _no_key_error()
    me = _unlock(identity, passphrase_file)
    err = Console(stderr=True)
    failed: list[str] = []
    for bundle in bundles:
        sig = bundle.with_name(bundle.name + ".minisig")
        try:
            if not sig.exists():
                raise OfflineError(f"{bundle.name}: no signature ({sig.name}) beside it")
            trusted = signers.for_bundle(bundle)
            size = bundle.stat().st_size
            if size >= _PROGRESS_FROM and err.is_terminal:
                with Progress(
                    TextColumn("{task.description}"),
                    BarColumn(),
                    DownloadColumn(),
                    TransferSpeedColumn(),
                    console=err,
                    transient=True,
                ) as bars:
                    task = bars.add_task(bundle.name[:16], total=size)
                    opened = open_bundle(
                        bundle,
                        sig,
                        me,
                        trusted,
                        out_dir,
                        progress=lambda n, t=task: bars.update(t, completed=n),  # type: ignore[misc]
                    )
            else:
                opened = open_bundle(bundle, sig, me, trusted, out_dir)
        except CryptoError:
            failed.append(bundle.name)
            click.echo(
                f"error: {bundle.name}: could not verify or decrypt it (tampered, signed by "
                "another key, moved, or not sealed to your key); nothing was written",
                err=True,
            )
            continue
        except (OfflineError, OutputExistsError, RootTrustError) as exc:
            failed.append(bundle.name)
            click.echo(f"error: {exc}", err=True)
            if getattr(exc, "hint", None):
                click.echo(f"hint: {exc.hint}", err=True)
            continue
        (opened.folder / "scrub-report.txt").write_text(render(opened), "utf-8")
        click.echo(
            f"{bundle.name}: verified and decrypted -> {opened.folder} "
            f"({len(opened.files)} file(s){', message' if opened.message is not None else ''}; "
            f"source id {opened.source_id})"
        )
        for f in opened.files:
            outcome = str(f.scrub.get("outcome", "unknown"))
            click.echo(f"  {f.name} [{f.type}, {f.size} bytes, {outcome}]")
    click.echo(NEVER_OPENED)
    if failed:
        raise OfflineError(
            f"{len(failed)} of {len(bundles)} bundle(s) failed: {', '.join(failed)}",
            hint="fetch them again; if it persists, tell your admin (the server or the "
            "transfer may be compromised)",
        )


def run_reply(
    *,
    bundle: Path,
    identity: Path,
    passphrase_file: Path | None,
    message_file: Path,
    out_file: Path,
    server_key: Path | None,
    root_key: Path | None,
    data_dir: Path | None,
) -> None:
    message = message_file.read_bytes()
    if len(message) > MAX_REPLY_BYTES:
        raise OfflineError("the reply is too long", hint=f"keep it under {MAX_REPLY_BYTES} bytes")
    if out_file.exists():
        raise OfflineError(f"{out_file} already exists", hint="choose another --out")
    signers = _SignerKeys(server_key, root_key)
    # Resolved before unlocking: a key file the root refuses fails without a prompt.
    trusted = signers.for_bundle(bundle) if signers.verifies else None
    me = _unlock(identity, passphrase_file)
    sig = bundle.with_name(bundle.name + ".minisig")
    try:
        if trusted is not None:
            manifest = read_manifest(bundle, me, sig_path=sig, trusted=trusted)
        else:
            manifest = read_manifest(bundle, me)
        reply_to = Recipient.parse(manifest["reply_recipient"])
        source_id = str(manifest["source_id"])
    except (CryptoError, KeyError, TypeError) as exc:
        if isinstance(exc, KeyFormatError):
            raise
        raise OfflineError(
            f"{bundle.name}: could not verify or decrypt it",
            hint="give the .age bundle you decrypted (with its .minisig beside it)",
        ) from None
    sealed = seal_reply(message, [reply_to, me.recipient()])
    fd = os.open(out_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(sealed)
    if trusted is None:
        click.echo(
            "warning: the bundle's server signature was not checked (no --server-key, "
            "--root-key or pinned root)",
            err=True,
        )
    click.echo(f"Reply sealed to the source and to you: {out_file}")
    click.echo(
        f"Upload it with: samizdat journalist upload-reply {out_file.name} --source {source_id} …"
    )
