"""Errors of the online CLI. Each message is what the journalist reads, and
each carries a hint: the launcher prints `error: …` and `hint: …`.

Must never put a password, token or TOTP code in a message.
"""

from __future__ import annotations

import click


class OnlineError(click.ClickException):
    """Base of every online-CLI failure; exit status 1 unless said otherwise."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class UsageProblem(OnlineError):
    """Options are missing or contradict each other (exit 2, like click)."""

    exit_code = 2


class ServerUnreachable(OnlineError):
    """No connection to the server (directly or through the proxy)."""


class SignInRefused(OnlineError):
    """The server refused the user name, password or code, or throttled us."""


class ApiFailure(OnlineError):
    """The server answered with an unexpected status or body."""


class TrustProblem(OnlineError):
    """No pinned key, an unreadable key file, or a key chain that does not
    follow from the pinned key."""
