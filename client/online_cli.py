"""`samizdat journalist fetch | upload-reply | trust`: the online
workstation's commands (CONTRACT.md flags, exactly).

Only click is imported at module level; the bodies live in
`client.online.commands`, loaded when a command runs, so `--help` stays fast.
Must never decrypt anything: there is no identity on the online machine.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

_path = click.Path(path_type=Path)
_file_in = click.Path(path_type=Path, exists=True, dir_okay=False)


def _online_options(f: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--server", required=True, help="Journalist interface URL."),
        click.option("--user", required=True, help="Your journalist user name."),
        click.option(
            "--password-file",
            type=_file_in,
            help="File whose first line is your password (else you are asked).",
        ),
        click.option("--otp", help="Current two-factor code (else you are asked)."),
        click.option(
            "--proxy",
            help="Proxy URL, e.g. socks5h://127.0.0.1:9050 (Tor). Without it: direct.",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


@click.command("fetch")
@_online_options
@click.option(
    "--server-key",
    type=_file_in,
    help="Server signing key (minisign .pub). Default: what `trust` pinned (a pinned "
    "organisation root always applies).",
)
@click.option("--out", "out_dir", type=_path, required=True, help="Output folder.")
def fetch(**options: Any) -> None:
    """Download and verify every sealed bundle not yet in the output folder."""
    from client.online.commands import run_fetch  # noqa: PLC0415 - keeps --help fast

    run_fetch(**options)


@click.command("upload-reply")
@click.argument("reply", type=_file_in)
@_online_options
@click.option("--source", "source_id", required=True, help="Source id (from `decrypt`).")
def upload_reply(**options: Any) -> None:
    """Upload a reply sealed on the air-gapped workstation."""
    from client.online.commands import run_upload_reply  # noqa: PLC0415 - keeps --help fast

    run_upload_reply(**options)


@click.command("trust")
@click.option("--server-key", type=_file_in, help="Server signing key (minisign .pub).")
@click.option(
    "--root-key",
    type=_file_in,
    help="Your newsroom's organisation root key (root.pub): then only server keys it "
    "certified and has not revoked are trusted.",
)
@click.option("--replace", is_flag=True, help="Replace a different key that is already pinned.")
def trust(**options: Any) -> None:
    """Pin the server's signing key and/or the organisation root key (from your admin)."""
    from client.online.commands import run_trust  # noqa: PLC0415 - keeps --help fast

    run_trust(**options)


COMMANDS = [fetch, upload_reply, trust]
