"""Bodies of `journalist keygen | decrypt | reply` (air-gapped workstation).

Must never open or preview a submitted file, print a passphrase or secret
key, or leave anything behind for a bundle that failed verification.
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


def _trusted_for(bundle: Path, pinned: PublicKey) -> list[PublicKey]:
    """The pinned key plus successors proven by `server-keys.json` beside the bundle."""
    chain_file = bundle.parent / KEYCHAIN_NAME
    if not chain_file.exists():
        return [pinned]
    return KeyChain.from_json(chain_file.read_bytes()).resolve(pinned)


def run_decrypt(
    *,
    bundles: tuple[Path, ...],
    identity: Path,
    passphrase_file: Path | None,
    server_key: Path,
    out_dir: Path,
    data_dir: Path | None,
) -> None:
    pinned = _pinned(server_key)
    me = _unlock(identity, passphrase_file)
    err = Console(stderr=True)
    failed: list[str] = []
    for bundle in bundles:
        sig = bundle.with_name(bundle.name + ".minisig")
        try:
            if not sig.exists():
                raise OfflineError(f"{bundle.name}: no signature ({sig.name}) beside it")
            trusted = _trusted_for(bundle, pinned)
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
        except (OfflineError, OutputExistsError) as exc:
            failed.append(bundle.name)
            click.echo(f"error: {exc}", err=True)
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
    data_dir: Path | None,
) -> None:
    message = message_file.read_bytes()
    if len(message) > MAX_REPLY_BYTES:
        raise OfflineError("the reply is too long", hint=f"keep it under {MAX_REPLY_BYTES} bytes")
    if out_file.exists():
        raise OfflineError(f"{out_file} already exists", hint="choose another --out")
    me = _unlock(identity, passphrase_file)
    sig = bundle.with_name(bundle.name + ".minisig")
    try:
        if server_key is not None:
            manifest = read_manifest(
                bundle, me, sig_path=sig, trusted=_trusted_for(bundle, _pinned(server_key))
            )
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
    if server_key is None:
        click.echo(
            "warning: the bundle's server signature was not checked (no --server-key)", err=True
        )
    click.echo(f"Reply sealed to the source and to you: {out_file}")
    click.echo(
        f"Upload it with: samizdat journalist upload-reply {out_file.name} --source {source_id} …"
    )
