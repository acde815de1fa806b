"""`samizdat admin …`: the thin click shell over `server.admin` services.

Commands parse options, ask for confirmation where a change is destructive
(never without a terminal: a command that would ask fails with a hint
unless `--yes` is given), call one service function and print. Secrets
(passwords, TOTP secrets, client-auth keys) are printed once to stdout and
never logged. Errors from services carry a message and a hint; the launcher
prints them as `error:` / `hint:`.
"""

from __future__ import annotations

from pathlib import Path

import click

from server.admin import cli_journalists, cli_keys, cli_ops
from server.admin.cli_common import data_dir_option, yes_option
from server.admin.init import init_instance


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


admin.add_command(cli_journalists.journalist)
admin.add_command(cli_keys.signing_key)
admin.add_command(cli_keys.recovery_key)
admin.add_command(cli_keys.root_key)
for _command in (
    cli_ops.tor_config,
    cli_ops.onion,
    cli_ops.backup,
    cli_ops.restore,
    cli_ops.purge,
    cli_ops.status,
    cli_ops.audit_cmd,
):
    admin.add_command(_command)
