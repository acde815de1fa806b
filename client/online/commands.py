"""The bodies of the online commands; `client.online_cli` holds only their
click declarations and imports this module when a command runs (so
`samizdat --help` does not load httpx, rich or crypto).

Must never print a password, a token or a code.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.progress import Progress as RichProgress

from client.online.api import JournalistApi, RemoteSubmission, check_endpoints
from client.online.config import pin_path
from client.online.credentials import get_otp, get_password
from client.online.errors import OnlineError, UsageProblem
from client.online.fetcher import Progress, fetch_all
from client.online.trust import advance_pin, fetch_trust, pin, read_key_file
from client.trustroot import pin_root, read_root_file, root_pin_path

_SOURCE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def signed_in(
    server: str, user: str, password_file: Path | None, otp: str | None, proxy: str | None
) -> JournalistApi:
    api = JournalistApi(server, proxy=proxy)  # validates URL/proxy before any prompt
    try:
        api.sign_in(user, get_password(password_file, user), get_otp(otp))
    except BaseException:
        api.close()
        raise
    return api


class _Bars(Progress):
    def __init__(self, bars: RichProgress) -> None:
        self.bars = bars

    def start(self, submission: RemoteSubmission) -> Callable[[int], None]:
        task = self.bars.add_task(submission.id[:12], total=submission.size)
        return lambda n: self.bars.advance(task, n)


def run_fetch(
    *,
    server: str,
    user: str,
    password_file: Path | None,
    otp: str | None,
    proxy: str | None,
    server_key: Path | None,
    out_dir: Path,
) -> None:
    check_endpoints(server, proxy)  # a bad URL or an onion without Tor: fail first
    trust = fetch_trust(server_key)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with (
        signed_in(server, user, password_file, otp, proxy) as api,
        RichProgress(*columns, console=Console(stderr=True)) as bars,
    ):
        summary, trusted = fetch_all(api, out_dir, trust.keys, _Bars(bars))
    for note in trust.notes:
        click.echo(note)
    if trust.follows_pin and advance_pin(trusted):
        click.echo(f"pinned server key moved to {trusted[-1].key_id_hex} (signed rotation)")
    for sid in summary.fetched:
        click.echo(f"fetched  {sid}")
    for sid in summary.skipped:
        click.echo(f"skipped  {sid} (already in {out_dir})")
    for sid, why in summary.failed:
        click.echo(f"FAILED   {sid}: {why}", err=True)
    click.echo(
        f"{len(summary.fetched)} fetched, {len(summary.skipped)} skipped, "
        f"{len(summary.failed)} failed; verified with server key "
        f"{', '.join(summary.key_ids)}"
    )
    if not summary.ok:
        raise OnlineError(
            f"{len(summary.failed)} bundle(s) could not be fetched and verified",
            hint=f"see above; bundles failing verification are kept in "
            f"{out_dir / 'quarantine'}, interrupted downloads resume on the next run",
        )


def run_upload_reply(
    *,
    reply: Path,
    server: str,
    user: str,
    password_file: Path | None,
    otp: str | None,
    proxy: str | None,
    source_id: str,
) -> None:
    if not _SOURCE_ID.fullmatch(source_id):
        raise UsageProblem(
            f"not a source id: {source_id}",
            hint="the id is 32 hex characters, as shown by `decrypt` and the source's page",
        )
    sealed = reply.read_bytes()
    with signed_in(server, user, password_file, otp, proxy) as api:
        reply_id = api.upload_reply(source_id, sealed)
    click.echo(f"reply uploaded ({len(sealed)} bytes, id {reply_id}) for source {source_id}")


def run_trust(*, server_key: Path | None, root_key: Path | None, replace: bool) -> None:
    if server_key is None and root_key is None:
        raise UsageProblem(
            "nothing to pin",
            hint="pass --server-key FILE (the server's key) and/or --root-key FILE "
            "(your newsroom's organisation root), as your admin gave them to you",
        )
    # Read both before pinning either: a bad file changes nothing.
    key = read_key_file(server_key) if server_key is not None else None
    root = read_root_file(root_key) if root_key is not None else None
    if key is not None:
        result = pin(key, replace=replace)
        if result.previous is not None and result.previous != result.key:
            click.echo(f"replaced pinned key {result.previous.key_id_hex}")
        click.echo(f"pinned server key {result.key.key_id_hex} in {pin_path()}")
    if root is not None:
        pinned = pin_root(root, replace=replace)
        if pinned.previous is not None and pinned.previous != pinned.key:
            click.echo(f"replaced pinned organisation root {pinned.previous.key_id_hex}")
        click.echo(f"pinned organisation root key {root.key_id_hex} in {root_pin_path()}")
        click.echo(
            "from now on only server keys this root certified and has not revoked are trusted"
        )
