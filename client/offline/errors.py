"""Errors of the offline CLI: each message is what the journalist reads, with a hint.

Must never put a passphrase, key or plaintext in a message.
"""

from __future__ import annotations

import click


class OfflineError(click.ClickException):
    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint
