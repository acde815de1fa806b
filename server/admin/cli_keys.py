"""`samizdat admin signing-key|recovery-key|root-key …`: the server's
signing key, the recovery recipient and the offline root (thin shell)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from server.admin import rootkey
from server.admin.cli_common import (
    admin_context,
    confirm,
    data_dir_option,
    json_option,
    print_json,
    yes_option,
)
from server.admin.keyfile import read_public_key_file
from server.admin.recovery import remove_recovery_key, set_recovery_key
from server.admin.signing import export_public_key, rotate_signing_key


# -- signing key ---------------------------------------------------------------
@click.group("signing-key")
def signing_key() -> None:
    """The server's Ed25519 signing key and its chain (server-keys.json)."""


@signing_key.command("rotate")
@data_dir_option
@yes_option
@json_option
def signing_key_rotate(*, data_dir: Path, yes: bool, as_json: bool) -> None:
    """Make a new signing key, signed by the current one."""
    ctx = admin_context(data_dir)
    confirm(yes, "Rotate the server signing key?")
    r = rotate_signing_key(ctx)
    request = rootkey.request_if_pinned(ctx)
    if as_json:
        print_json({**asdict(r), "root_request": str(request) if request else None})
        return
    click.echo(f"new signing key {r.new_key_id}, signed by {r.old_key_id}")
    click.echo(f"server-keys.json now holds {r.chain_length} keys; restart the server to use it")
    if request is not None:
        click.echo(f"root certification request written to {request}")
        click.echo(
            "carry it to the offline root machine: samizdat admin root-key sign REQUEST "
            "--root DIR --out CERT, then: samizdat admin signing-key install-cert CERT"
        )


@signing_key.command("export")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path, dir_okay=False))
@data_dir_option
@yes_option
def signing_key_export(*, out: Path, data_dir: Path, yes: bool) -> None:
    """Write the current public key (minisign format)."""
    public = export_public_key(admin_context(data_dir), out)
    click.echo(f"wrote {out} (key {public.key_id_hex})")


# -- recovery key --------------------------------------------------------------
@click.group("recovery-key")
def recovery_key() -> None:
    """The optional organisation recovery recipient."""


@recovery_key.command("set")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@data_dir_option
@yes_option
def recovery_key_set(*, file: Path, data_dir: Path, yes: bool) -> None:
    """Seal every new bundle to this `age1…` key as well."""
    recipient = read_public_key_file(file)
    ctx = admin_context(data_dir)
    confirm(yes, "Seal every new bundle to this recovery key too?")
    change = set_recovery_key(ctx, recipient)
    click.echo(f"recovery key {change.fingerprint} set; every new bundle is sealed to it")
    if change.replaced:
        click.echo(f"previous recovery key {change.replaced} retired (older bundles still need it)")


@recovery_key.command("remove")
@data_dir_option
@yes_option
def recovery_key_remove(*, data_dir: Path, yes: bool) -> None:
    """Stop sealing to the recovery key."""
    ctx = admin_context(data_dir)
    confirm(yes, "Stop sealing new bundles to the recovery key?")
    fp = remove_recovery_key(ctx)
    click.echo(f"recovery key {fp} removed from future bundles; older bundles still name it")


# -- offline root key ----------------------------------------------------------
@click.group("root-key")
def root_key() -> None:
    """The offline organisation root key that certifies signing keys.

    `init`, `sign` and `revoke` run on the offline machine that holds the
    root; `pin` and `install-revocations` run on the server.
    """


@root_key.command("init")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path, file_okay=False))
@yes_option
def root_key_init(*, out: Path, yes: bool) -> None:
    """(offline) Make the root key pair in DIR (root.key, root.pub)."""
    r = rootkey.init_root(out)
    click.echo(f"root key {r.key_id}: secret {r.key_path} (keep offline), public {r.pub_path}")
    click.echo("on the server: samizdat admin root-key pin root.pub; give root.pub to journalists")


@root_key.command("sign")
@click.argument("request", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--root", "root_dir", required=True, type=click.Path(path_type=Path, file_okay=False))
@click.option("--out", "out", required=True, type=click.Path(path_type=Path, dir_okay=False))
@yes_option
def root_key_sign(*, request: Path, root_dir: Path, out: Path, yes: bool) -> None:
    """(offline) Certify the signing key named in a request."""
    r = rootkey.sign_request(request, root_dir, out)
    click.echo(f"certified signing key {r.key_id}; carry {out} to the server and run:")
    click.echo(f"  samizdat admin signing-key install-cert {out.name}")


@root_key.command("revoke")
@click.argument("key_ids", nargs=-1, required=True)
@click.option("--root", "root_dir", required=True, type=click.Path(path_type=Path, file_okay=False))
@click.option("--serial", type=int, required=True, help="Larger than the previous list's.")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path, dir_okay=False))
@yes_option
def root_key_revoke(
    *, key_ids: tuple[str, ...], root_dir: Path, serial: int, out: Path, yes: bool
) -> None:
    """(offline) Write a signed list revoking these signing key ids.

    The list replaces the previous one: name every key still revoked.
    """
    rootkey.make_revocation_list(root_dir, list(key_ids), serial, out)
    click.echo(f"wrote revocation list {out} (serial {serial}, {len(key_ids)} keys)")


@root_key.command("pin")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@data_dir_option
@yes_option
def root_key_pin(*, file: Path, data_dir: Path, yes: bool) -> None:
    """Pin the root's public key on this server."""
    ctx = admin_context(data_dir)
    confirm(yes, "Pin this root key (it can never be replaced)?")
    request = rootkey.pin_root(ctx, file)
    click.echo(f"root pinned; request for the current signing key: {request}")


@root_key.command("install-revocations")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@data_dir_option
@yes_option
def root_key_install_revocations(*, file: Path, data_dir: Path, yes: bool) -> None:
    """Serve the root's revocation list to journalists."""
    serial = rootkey.install_revocations(admin_context(data_dir), file)
    click.echo(f"revocation list serial {serial} installed in server-keys.json")


@signing_key.command("install-cert")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@data_dir_option
@yes_option
def signing_key_install_cert(*, file: Path, data_dir: Path, yes: bool) -> None:
    """Add the root's certificate for a signing key to server-keys.json."""
    key_id = rootkey.install_certificate(admin_context(data_dir), file)
    click.echo(f"certificate for signing key {key_id} installed")
