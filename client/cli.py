"""`samizdat journalist …`: the journalist's commands.

Offline commands (keygen, decrypt, reply) live in client.offline_cli and run on
the air-gapped workstation; online ones (fetch, upload-reply, trust) live in
client.online_cli. Those modules import only click at module level and defer
heavy imports into the command bodies, so `--help` stays fast.
"""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def journalist() -> None:
    """Journalist tools: keys, fetching, verifying, decrypting and replying."""


def _register() -> None:
    # Each module adds its own commands; a missing module simply adds none.
    for module_name in ("client.offline_cli", "client.online_cli"):
        try:
            module = __import__(module_name, fromlist=["COMMANDS"])
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        for command in module.COMMANDS:
            journalist.add_command(command)


_register()
