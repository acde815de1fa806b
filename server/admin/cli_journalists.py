"""`samizdat admin journalist …`: accounts and their keys (thin shell over
`server.admin.journalists`)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from server.admin.cli_common import (
    admin_context,
    confirm,
    data_dir_option,
    json_option,
    print_json,
    yes_option,
)
from server.admin.journalists import (
    enrol_journalist,
    list_journalists,
    remove_journalist,
    reset_2fa,
    reset_password,
    rotate_key,
    validate_name,
)
from server.admin.keyfile import read_public_key_file


# -- journalists ---------------------------------------------------------------
@click.group("journalist")
def journalist() -> None:
    """Journalist accounts and their keys."""


@journalist.command("add")
@click.argument("name")
@click.option(
    "--public-key",
    "public_key",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The journalist's `age1…` public key file (FILE.pub).",
)
@data_dir_option
@yes_option
@json_option
def journalist_add(
    *, name: str, public_key: Path, data_dir: Path, yes: bool, as_json: bool
) -> None:
    """Enrol a journalist; prints the one-time credentials."""

    validate_name(name)
    recipient = read_public_key_file(public_key)
    e = enrol_journalist(admin_context(data_dir), name, recipient)
    if as_json:
        print_json(
            {
                "name": e.name,
                "password": e.password,
                "totp_secret": e.totp_secret,
                "client_auth": e.client_auth,
            }
        )
        return
    click.echo(f"enrolled journalist {e.name} (key {e.key_fingerprint})")
    click.echo("Hand these over in person; they are shown only once:")
    click.echo(f"  password:     {e.password}")
    click.echo(f"  TOTP secret:  {e.totp_secret}")
    click.echo(f"  TOTP URI:     {e.totp_uri}")
    click.echo(f"  client auth:  {e.client_auth}")
    if e.client_auth.startswith("descriptor:"):
        click.echo(
            "  (the journalist onion has no address yet: once tor has created it, "
            "prefix the line with the address shown by `samizdat admin onion`, "
            "without `.onion`, and a colon)"
        )
    click.echo("Re-render the tor config: samizdat admin tor-config, then reload tor.")


@journalist.command("list")
@data_dir_option
@json_option
def journalist_list(*, data_dir: Path, as_json: bool) -> None:
    """List accounts and their keys."""

    people = list_journalists(admin_context(data_dir))
    if as_json:
        print_json([asdict(p) for p in people])
        return
    if not people:
        click.echo("no journalists enrolled")
    for p in people:
        state = "active" if p.active else "removed"
        click.echo(f"{p.name}  {state}  since {p.created_day}")
        for k in p.keys:
            dates = f"added {k.added_day}"
            if k.retired_day:
                dates += f", retired {k.retired_day}"
            if k.grace_until_day:
                dates += f", sealing until {k.grace_until_day}"
            click.echo(f"    key {k.fingerprint}  {k.status}  ({dates})")


@journalist.command("remove")
@click.argument("name")
@data_dir_option
@yes_option
def journalist_remove(*, name: str, data_dir: Path, yes: bool) -> None:
    """Disable sign-in and stop sealing to the journalist's keys."""

    ctx = admin_context(data_dir)
    confirm(yes, f"Remove journalist {name}?")
    remove_journalist(ctx, name)
    click.echo(f"removed {name}: sign-in disabled, keys retired; past bundles are untouched")
    click.echo("Re-render the tor config: samizdat admin tor-config, then reload tor.")


@journalist.command("reset-password")
@click.argument("name")
@data_dir_option
@yes_option
@json_option
def journalist_reset_password(*, name: str, data_dir: Path, yes: bool, as_json: bool) -> None:
    """Generate a new password (ends every session of the account)."""

    ctx = admin_context(data_dir)
    confirm(yes, f"Reset the password of {name}?")
    password = reset_password(ctx, name)
    if as_json:
        print_json({"name": name, "password": password})
    else:
        click.echo(f"new password for {name} (shown once): {password}")


@journalist.command("reset-2fa")
@click.argument("name")
@data_dir_option
@yes_option
@json_option
def journalist_reset_2fa(*, name: str, data_dir: Path, yes: bool, as_json: bool) -> None:
    """Generate a new TOTP secret (ends every session of the account)."""

    ctx = admin_context(data_dir)
    confirm(yes, f"Reset two-factor authentication of {name}?")
    t = reset_2fa(ctx, name)
    if as_json:
        print_json({"name": name, "totp_secret": t.totp_secret, "totp_uri": t.totp_uri})
    else:
        click.echo(f"new TOTP secret for {name} (shown once): {t.totp_secret}")
        click.echo(f"TOTP URI: {t.totp_uri}")


@journalist.command("rotate-key")
@click.argument("name")
@click.option(
    "--public-key",
    "public_key",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The journalist's new `age1…` public key file.",
)
@click.option(
    "--grace",
    "grace",
    type=int,
    default=None,
    help="Also seal to the old key for this many days (off unless given).",
)
@data_dir_option
@yes_option
@json_option
def journalist_rotate_key(
    *, name: str, public_key: Path, grace: int | None, data_dir: Path, yes: bool, as_json: bool
) -> None:
    """Seal new bundles to a new key; retire the old one."""

    recipient = read_public_key_file(public_key)
    ctx = admin_context(data_dir)
    confirm(yes, f"Rotate the key of {name}?")
    r = rotate_key(ctx, name, recipient, grace_days=grace)
    if as_json:
        print_json(asdict(r))
        return
    click.echo(f"{name}: new key {r.new_fingerprint} seals every new bundle")
    for fp in r.old_fingerprints:
        if r.grace_until_day:
            click.echo(f"  old key {fp} also seals until {r.grace_until_day}, then retires")
        else:
            click.echo(f"  old key {fp} retired")
    click.echo("Bundles sealed before now still open only with the old identity: keep it.")
