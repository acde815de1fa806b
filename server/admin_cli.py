"""`samizdat admin …`: the thin click shell over `server.admin` services.

Commands parse options, ask for confirmation where a change is destructive
(never without a terminal: a command that would ask fails with a hint
unless `--yes` is given), call one service function and print. Secrets
(passwords, TOTP secrets, client-auth keys) are printed once to stdout and
never logged. Errors from services carry a message and a hint; the launcher
prints them as `error:` / `hint:`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

import click

from server import audit
from server.admin import rootkey
from server.admin.context import AdminContext, open_admin
from server.admin.errors import AdminInputError
from server.admin.init import init_instance
from server.admin.journalists import (
    enrol_journalist,
    list_journalists,
    remove_journalist,
    reset_2fa,
    reset_password,
    rotate_key,
    validate_name,
)
from server.admin.keyfile import read_identity_file, read_public_key_file
from server.admin.recovery import remove_recovery_key, set_recovery_key
from server.admin.signing import export_public_key, rotate_signing_key
from server.admin.status import collect_status
from server.admin.tor import onion_addresses, render_instance_torrc, write_torrc
from server.backup import Unlock, restore_backup, write_backup
from server.db.engine import session_scope
from server.errors import NotFound
from server.keys import load_signing_key
from server.retention import parse_age, purge_older_than

F = TypeVar("F", bound=Callable[..., Any])


class NeedsConfirmation(click.ClickException):
    """A destructive command ran without a terminal and without --yes."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


def data_dir_option(f: F) -> F:
    return click.option(
        "--data-dir",
        "data_dir",
        envvar="SAMIZDAT_DATA_DIR",
        required=True,
        type=click.Path(path_type=Path, file_okay=False),
        help="The instance's data directory (or SAMIZDAT_DATA_DIR).",
    )(f)


def yes_option(f: F) -> F:
    return click.option(
        "--yes", "-y", is_flag=True, help="Do not ask for confirmation (for scripts)."
    )(f)


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(f)


def confirm(yes: bool, question: str) -> None:
    """Ask on a terminal; without one, refuse with a hint (never hang)."""
    if yes:
        return
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise NeedsConfirmation(
            f"{question.rstrip('?')}: confirmation needed",
            hint="re-run with --yes to confirm without a terminal",
        )
    click.confirm(question, abort=True)


def print_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True))


@click.group("admin")
def admin() -> None:
    """Administer an instance: accounts, keys, tor, backups, retention."""


# -- init ----------------------------------------------------------------------
@admin.command("init")
@data_dir_option
@yes_option
def init_cmd(*, data_dir: Path, yes: bool) -> None:
    """Create a new instance in an empty or new directory."""

    result = init_instance(data_dir)
    click.echo(f"initialised {result.paths.root}")
    click.echo(f"server signing key: {result.signing_key_id}")
    click.echo(
        "next: samizdat admin journalist add NAME --public-key FILE.pub "
        f"--data-dir {result.paths.root}"
    )


# -- journalists ---------------------------------------------------------------
@admin.group("journalist")
def journalist() -> None:
    """Journalist accounts and their keys."""


def _ctx(data_dir: Path) -> AdminContext:
    return open_admin(data_dir)


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
    e = enrol_journalist(_ctx(data_dir), name, recipient)
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

    people = list_journalists(_ctx(data_dir))
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

    ctx = _ctx(data_dir)
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

    ctx = _ctx(data_dir)
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

    ctx = _ctx(data_dir)
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
    ctx = _ctx(data_dir)
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


# -- signing key ---------------------------------------------------------------
@admin.group("signing-key")
def signing_key() -> None:
    """The server's Ed25519 signing key and its chain (server-keys.json)."""


@signing_key.command("rotate")
@data_dir_option
@yes_option
@json_option
def signing_key_rotate(*, data_dir: Path, yes: bool, as_json: bool) -> None:
    """Make a new signing key, signed by the current one."""
    ctx = _ctx(data_dir)
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
    public = export_public_key(_ctx(data_dir), out)
    click.echo(f"wrote {out} (key {public.key_id_hex})")


# -- recovery key --------------------------------------------------------------
@admin.group("recovery-key")
def recovery_key() -> None:
    """The optional organisation recovery recipient."""


@recovery_key.command("set")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@data_dir_option
@yes_option
def recovery_key_set(*, file: Path, data_dir: Path, yes: bool) -> None:
    """Seal every new bundle to this `age1…` key as well."""
    recipient = read_public_key_file(file)
    ctx = _ctx(data_dir)
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
    ctx = _ctx(data_dir)
    confirm(yes, "Stop sealing new bundles to the recovery key?")
    fp = remove_recovery_key(ctx)
    click.echo(f"recovery key {fp} removed from future bundles; older bundles still name it")


# -- tor -----------------------------------------------------------------------
@admin.command("tor-config")
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False), default=None)
@click.option(
    "--tor-data-directory",
    "tor_data_directory",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="tor's own DataDirectory (default: left to the system torrc).",
)
@data_dir_option
@yes_option
def tor_config(
    *, out: Path | None, tor_data_directory: Path | None, data_dir: Path, yes: bool
) -> None:
    """Render the torrc for this instance (stdout unless --out)."""
    text = render_instance_torrc(data_dir, data_directory=tor_data_directory)
    if out is None:
        click.echo(text, nl=False)
    else:
        write_torrc(text, out)
        click.echo(f"wrote {out}", err=True)


@admin.command("onion")
@data_dir_option
@json_option
def onion(*, data_dir: Path, as_json: bool) -> None:
    """Print the onion addresses once tor has created them."""
    ctx = _ctx(data_dir)
    o = onion_addresses(ctx.paths.tor)
    if as_json:
        print_json({"source": o.source, "journalist": o.journalist})
        return
    if o.source is None and o.journalist is None:
        raise NotFound(
            "tor has not created the onion services yet",
            hint="render the config with `samizdat admin tor-config`, start tor, try again",
        )
    click.echo(f"source:     {o.source or '(not created yet)'}")
    click.echo(f"journalist: {o.journalist or '(not created yet: enrol a journalist first)'}")


# -- backup / restore ----------------------------------------------------------
def _read_first_line(path: Path, what: str) -> bytes:
    try:
        with path.open("rb") as f:
            line = f.readline(64 * 1024)
    except OSError as exc:
        raise AdminInputError(
            f"cannot read {what} {path}: {exc.strerror}", hint="check the path"
        ) from None
    line = line.rstrip(b"\r\n")
    if not line:
        raise AdminInputError(f"{what} {path} is empty", hint="its first line is the passphrase")
    return line


@admin.command("backup")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--recipient",
    "recipient_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Seal to this `age1…` public key file.",
)
@click.option(
    "--passphrase-file",
    "passphrase_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Seal with the passphrase on this file's first line.",
)
@data_dir_option
@yes_option
def backup(
    *,
    out: Path,
    recipient_file: Path | None,
    passphrase_file: Path | None,
    data_dir: Path,
    yes: bool,
) -> None:
    """Write a consistent, sealed snapshot of the instance."""
    if (recipient_file is None) == (passphrase_file is None):
        raise AdminInputError(
            "give exactly one of --recipient or --passphrase-file",
            hint="a backup recipient key kept offline is the safer choice",
        )
    if out.exists():
        raise AdminInputError(f"{out} already exists", hint="choose a new file name")
    recipient = read_public_key_file(recipient_file) if recipient_file else None
    passphrase = _read_first_line(passphrase_file, "passphrase file") if passphrase_file else None
    ctx = _ctx(data_dir)
    summary = write_backup(data_dir, out, recipient=recipient, passphrase=passphrase)
    with session_scope(ctx.engine) as session:
        audit.record(
            session,
            at=ctx.timestamp(),
            actor=ctx.actor,
            action="backup",
            detail=f"submissions={summary.submissions} replies={summary.replies} "
            f"sealed_to={'recipient ' + recipient.fingerprint() if recipient else 'passphrase'}",
        )
    click.echo(
        f"wrote {out}: {summary.submissions} submissions, {summary.replies} replies, "
        f"{summary.files} files, {summary.bytes_sealed} bytes sealed"
    )


@admin.command("restore")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--identity",
    "identity_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="The backup identity (`AGE-SECRET-KEY-1…`, as written by age-keygen).",
)
@click.option(
    "--passphrase-file",
    "passphrase_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
)
@data_dir_option
@yes_option
def restore(
    *,
    file: Path,
    identity_file: Path | None,
    passphrase_file: Path | None,
    data_dir: Path,
    yes: bool,
) -> None:
    """Verify a backup, then restore it into a new or empty data dir."""
    if (identity_file is None) == (passphrase_file is None):
        raise AdminInputError(
            "give exactly one of --identity or --passphrase-file",
            hint="use whichever the backup was sealed with",
        )
    unlock = (
        Unlock(identity=read_identity_file(identity_file))
        if identity_file
        else Unlock(passphrase=_read_first_line(passphrase_file, "passphrase file"))  # type: ignore[arg-type]
    )
    summary = restore_backup(file, data_dir, unlock)
    ctx = _ctx(data_dir)
    with session_scope(ctx.engine) as session:
        audit.record(
            session,
            at=ctx.timestamp(),
            actor=ctx.actor,
            action="restore",
            detail=f"files={summary.files} submissions={summary.submissions}",
        )
    click.echo(
        f"restored {summary.files} files ({summary.submissions} submissions) into {data_dir}"
    )
    # A backup sealed to a public recipient can be forged by anyone holding
    # that key: let the admin compare the key journalists pinned.
    key_id = load_signing_key(ctx.paths).public_key().key_id_hex
    click.echo(f"restored server signing key {key_id}: compare it with the one journalists pinned")
    click.echo("check it with: samizdat admin status --data-dir " + str(data_dir))


# -- retention -----------------------------------------------------------------
@admin.command("purge")
@click.option("--older-than", "older_than", required=True, help="An age in days, e.g. 90d.")
@click.option("--dry-run", is_flag=True, help="Only report what would be deleted.")
@data_dir_option
@yes_option
@json_option
def purge(*, older_than: str, dry_run: bool, data_dir: Path, yes: bool, as_json: bool) -> None:
    """Delete submissions, replies and idle sources older than an age."""
    days = parse_age(older_than)
    ctx = _ctx(data_dir)
    if not dry_run:
        confirm(yes, f"Delete every submission and reply older than {days} days?")
    report = purge_older_than(
        ctx.paths,
        ctx.engine,
        days=days,
        today=ctx.today(),
        dry_run=dry_run,
        actor=ctx.actor,
        at=ctx.timestamp(),
    )
    if as_json:
        print_json(asdict(report))
        return
    verb = "would delete" if dry_run else "deleted"
    click.echo(
        f"{verb} {report.submissions} submissions, {report.replies} replies and "
        f"{report.sources} idle sources dated before {report.cutoff_day} "
        f"({report.bytes_freed} bytes)"
    )


# -- status / audit ------------------------------------------------------------
@admin.command("status")
@data_dir_option
@json_option
def status(*, data_dir: Path, as_json: bool) -> None:
    """Counts, keys and their ages, retired keys still needed, disk use."""
    s = collect_status(_ctx(data_dir))
    if as_json:
        print_json(asdict(s))
        return
    click.echo(f"instance {s.data_dir}")
    click.echo(
        f"journalists: {s.journalists_active} active ({s.journalists_total} total); "
        f"sources: {s.sources}; submissions: {s.submissions}; replies: {s.replies}"
    )
    click.echo(f"last submission day: {s.last_submission_day or 'none'}")
    click.echo(
        f"disk: store {s.store_bytes} bytes, database {s.db_bytes} bytes, {s.free_bytes} free"
    )
    click.echo(
        f"signing key {s.signing_key_id} (since {s.signing_key_since}; "
        f"chain of {s.signing_chain_length})"
    )
    if s.root_key_id:
        certified = "certified" if s.signing_key_certified else "NOT certified: sign the request"
        click.echo(f"offline root {s.root_key_id}; current signing key {certified}")
    click.echo("keys:")
    for k in s.keys:
        extra = f", grace until {k.grace_until_day}" if k.status == "grace" else ""
        extra += f", retired {k.retired_day}" if k.retired_day else ""
        click.echo(
            f"  {k.owner}: {k.fingerprint}  {k.status}  {k.age_days} days old{extra}; "
            f"{k.stored_bundles} stored bundles"
        )
    if s.retired_keys_needed:
        click.echo("retired keys still needed by stored bundles (keep their identities):")
        for k in s.retired_keys_needed:
            click.echo(f"  {k.owner}: {k.fingerprint} ({k.stored_bundles} bundles)")
    if s.unknown_recipients:
        click.echo(f"bundles sealed to unknown keys: {', '.join(s.unknown_recipients)}")


@admin.command("audit")
@click.option("--limit", type=int, default=None, help="Only the newest N events.")
@data_dir_option
@json_option
def audit_cmd(*, limit: int | None, data_dir: Path, as_json: bool) -> None:
    """The log of admin actions: who, what, when."""
    ctx = _ctx(data_dir)
    with session_scope(ctx.engine) as session:
        events = audit.list_events(session, limit=limit)
    if as_json:
        print_json([asdict(e) for e in events])
        return
    for e in events:
        click.echo(f"{e.at}  {e.actor}  {e.action}  {e.detail}".rstrip())


# -- offline root key ----------------------------------------------------------
@admin.group("root-key")
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
    ctx = _ctx(data_dir)
    confirm(yes, "Pin this root key (it can never be replaced)?")
    request = rootkey.pin_root(ctx, file)
    click.echo(f"root pinned; request for the current signing key: {request}")


@root_key.command("install-revocations")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@data_dir_option
@yes_option
def root_key_install_revocations(*, file: Path, data_dir: Path, yes: bool) -> None:
    """Serve the root's revocation list to journalists."""
    serial = rootkey.install_revocations(_ctx(data_dir), file)
    click.echo(f"revocation list serial {serial} installed in server-keys.json")


@signing_key.command("install-cert")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@data_dir_option
@yes_option
def signing_key_install_cert(*, file: Path, data_dir: Path, yes: bool) -> None:
    """Add the root's certificate for a signing key to server-keys.json."""
    key_id = rootkey.install_certificate(_ctx(data_dir), file)
    click.echo(f"certificate for signing key {key_id} installed")
