"""Errors raised by admin services. Each message is what the admin reads;
each carries a hint. Never a secret, a password or source data in a message.
"""

from __future__ import annotations

from server.errors import SamizdatServerError


class AdminInputError(SamizdatServerError):
    """A file or value the admin passed is unusable (nothing was changed)."""


class BackupError(SamizdatServerError):
    """A backup could not be written, or a backup file is damaged or forged."""
