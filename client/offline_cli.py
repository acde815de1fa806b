"""`samizdat journalist keygen | decrypt | reply`: the air-gapped workstation's commands.

Only click is imported at module level; the bodies live in
`client.offline.commands`, loaded when a command runs, so `--help` stays fast.
Must never open, preview or render a submitted file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

_path = click.Path(path_type=Path)
_file_in = click.Path(path_type=Path, exists=True, dir_okay=False)


def _common(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option(
        "--data-dir",
        envvar="SAMIZDAT_DATA_DIR",
        type=_path,
        hidden=True,
        help="Accepted like every samizdat command; offline commands do not use it.",
    )(f)
    return click.option(
        "--passphrase-file",
        type=_file_in,
        help="File whose first line is the identity passphrase (else you are asked).",
    )(f)


def _root_key(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--root-key",
        type=_file_in,
        help="Organisation root key (root.pub): trust only server keys it certified and "
        "has not revoked (default: the root pinned with `journalist trust --root-key`).",
    )(f)


@click.command("keygen")
@click.option("--out", required=True, type=_path, help="Identity file to write (FILE.pub too).")
@_common
def keygen(**options: Any) -> None:
    """Create your passphrase-protected key; give FILE.pub to your admin."""
    from client.offline.commands import run_keygen  # noqa: PLC0415 - keeps --help fast

    run_keygen(**options)


@click.command("decrypt")
@click.argument("bundles", nargs=-1, required=True, type=_file_in)
@click.option("--identity", required=True, type=_file_in, help="Your identity file (keygen).")
@_common
@click.option(
    "--server-key",
    type=_file_in,
    help="Server signing key (minisign .pub), followed through server-keys.json.",
)
@_root_key
@click.option("--out", "out_dir", required=True, type=_path, help="Output folder.")
def decrypt(**options: Any) -> None:
    """Verify and decrypt BUNDLE… (.age files) into one folder per submission."""
    from client.offline.commands import run_decrypt  # noqa: PLC0415 - keeps --help fast

    run_decrypt(**options)


@click.command("reply")
@click.argument("bundle", type=_file_in)
@click.option("--identity", required=True, type=_file_in, help="Your identity file (keygen).")
@_common
@click.option("--message-file", required=True, type=_file_in, help="The reply's text.")
@click.option("--out", "out_file", required=True, type=_path, help="Sealed reply to write.")
@click.option(
    "--server-key",
    type=_file_in,
    help="Server signing key: verify the bundle before trusting its reply key (recommended).",
)
@_root_key
def reply(**options: Any) -> None:
    """Seal a reply to the source of BUNDLE (and to your own key)."""
    from client.offline.commands import run_reply  # noqa: PLC0415 - keeps --help fast

    run_reply(**options)


COMMANDS = [keygen, decrypt, reply]
