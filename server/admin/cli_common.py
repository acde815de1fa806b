"""Shared pieces of the `samizdat admin` click shell: the options every
command takes, confirmation without a terminal, JSON output.

Must never prompt without a terminal, or print a secret to stderr or a log.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from server.admin.context import AdminContext, open_admin
from server.admin.errors import AdminInputError

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


def admin_context(data_dir: Path) -> AdminContext:
    """Open the instance (InstanceError with a hint when it is missing)."""
    return open_admin(data_dir)


def read_first_line(path: Path, what: str) -> bytes:
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
