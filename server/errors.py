"""The server's domain errors. They know nothing of HTTP: the web layer maps
them to responses, the CLIs print `error:` and `hint:`.

A message here may reach a log or a terminal: it never carries source data.
"""

from __future__ import annotations


class SamizdatServerError(Exception):
    """Base of every server-side domain error."""

    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class ConfigError(SamizdatServerError):
    """Settings are missing, malformed or unsafe; the server refuses to start."""


class InstanceError(SamizdatServerError):
    """The data dir is missing, not initialised, or already initialised."""


class NotFound(SamizdatServerError):
    """A requested object does not exist (or is not visible to the caller)."""


class Conflict(SamizdatServerError):
    """The change would clash with existing state (e.g. a duplicate name)."""
