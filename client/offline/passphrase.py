"""Getting the identity passphrase: a file (automation) or a hidden prompt.

Must never echo, log or store the passphrase; never prompt without a terminal.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from client.offline.errors import OfflineError
from crypto.identity import read_passphrase_file

_NO_TTY_HINT = "run it in a terminal, or pass --passphrase-file FILE (first line = passphrase)"


def get_passphrase(passphrase_file: Path | None, *, confirm: bool = False) -> str:
    if passphrase_file is not None:
        value = read_passphrase_file(passphrase_file)
    else:
        if not sys.stdin.isatty():
            raise OfflineError("no terminal to ask for the passphrase", hint=_NO_TTY_HINT)
        value = click.prompt("Passphrase", hide_input=True, confirmation_prompt=confirm, err=True)
    if not value:
        raise OfflineError("the passphrase is empty", hint="use a long passphrase")
    return value
