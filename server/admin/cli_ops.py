"""`samizdat admin tor-config|onion|backup|restore|purge|status|audit`
(thin shell over the services)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from server import audit
from server.admin.cli_common import (
    admin_context,
    confirm,
    data_dir_option,
    json_option,
    print_json,
    read_first_line,
    yes_option,
)
from server.admin.errors import AdminInputError
from server.admin.keyfile import read_identity_file, read_public_key_file
from server.admin.status import collect_status
from server.admin.tor import onion_addresses, render_instance_torrc, write_torrc
from server.backup import Unlock, restore_backup, write_backup
from server.db.engine import session_scope
from server.errors import NotFound
from server.keys import load_signing_key
from server.retention import parse_age, purge_older_than


# -- tor -----------------------------------------------------------------------
@click.command("tor-config")
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


@click.command("onion")
@data_dir_option
@json_option
def onion(*, data_dir: Path, as_json: bool) -> None:
    """Print the onion addresses once tor has created them."""
    ctx = admin_context(data_dir)
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


@click.command("backup")
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
    passphrase = read_first_line(passphrase_file, "passphrase file") if passphrase_file else None
    ctx = admin_context(data_dir)
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


@click.command("restore")
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
        else Unlock(passphrase=read_first_line(passphrase_file, "passphrase file"))  # type: ignore[arg-type]
    )
    summary = restore_backup(file, data_dir, unlock)
    ctx = admin_context(data_dir)
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
@click.command("purge")
@click.option("--older-than", "older_than", required=True, help="An age in days, e.g. 90d.")
@click.option("--dry-run", is_flag=True, help="Only report what would be deleted.")
@data_dir_option
@yes_option
@json_option
def purge(*, older_than: str, dry_run: bool, data_dir: Path, yes: bool, as_json: bool) -> None:
    """Delete submissions, replies and idle sources older than an age."""
    days = parse_age(older_than)
    ctx = admin_context(data_dir)
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
@click.command("status")
@data_dir_option
@json_option
def status(*, data_dir: Path, as_json: bool) -> None:
    """Counts, keys and their ages, retired keys still needed, disk use."""
    s = collect_status(admin_context(data_dir))
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


@click.command("audit")
@click.option("--limit", type=int, default=None, help="Only the newest N events.")
@data_dir_option
@json_option
def audit_cmd(*, limit: int | None, data_dir: Path, as_json: bool) -> None:
    """The log of admin actions: who, what, when."""
    ctx = admin_context(data_dir)
    with session_scope(ctx.engine) as session:
        events = audit.list_events(session, limit=limit)
    if as_json:
        print_json([asdict(e) for e in events])
        return
    for e in events:
        click.echo(f"{e.at}  {e.actor}  {e.action}  {e.detail}".rstrip())
