"""Getting the password and TOTP code: from a file or flag, else a prompt.

Without a terminal nothing prompts: the command fails with a hint instead
(scripts must pass --password-file and --otp). Must never echo a password,
write it anywhere, or accept it as a command-line value (shell history).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from client.online.errors import UsageProblem


def _interactive() -> bool:
    return sys.stdin.isatty()


def read_first_line(path: Path) -> str:
    """CONTRACT.md: a password file's first line, without its line ending."""
    try:
        with path.open("r", encoding="utf-8") as f:
            line = f.readline()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageProblem(
            f"cannot read the password file {path}: {type(exc).__name__}",
            hint="the first line of the file is used as the password",
        ) from None
    return line.rstrip("\r\n")


def get_password(password_file: Path | None, user: str) -> str:
    if password_file is not None:
        return read_first_line(password_file)
    if not _interactive():
        raise UsageProblem(
            "no password given and no terminal to ask for it",
            hint="pass --password-file FILE (its first line is the password)",
        )
    password: str = click.prompt(f"Password for {user}", hide_input=True)
    return password


def get_otp(otp: str | None) -> str:
    if otp:
        return otp
    if not _interactive():
        raise UsageProblem(
            "no two-factor code given and no terminal to ask for it",
            hint="pass --otp CODE (the 6 digits from your authenticator app)",
        )
    code: str = click.prompt("Two-factor code (6 digits)")
    return code
