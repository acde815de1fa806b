"""Reading and pinning minisign public keys (the server key and the
organisation root key share these rules).

A pin is the journalist's root of trust, given out of band at enrolment.
Must never: silently replace a different pinned key (only with an explicit
`--replace`), or pin anything but a well-formed public key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from client.online.config import write_private_text
from crypto.errors import KeyFormatError
from crypto.signing import PublicKey

# Builds the package's own error type from (message, hint).
ErrorFactory = Callable[[str, str], Exception]


@dataclass(frozen=True)
class Pin:
    key: PublicKey
    previous: PublicKey | None


def read_public_key(path: Path, *, what: str, hint: str, error: ErrorFactory) -> PublicKey:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read the {what} file {path}: {type(exc).__name__}", hint) from None
    try:
        return PublicKey.parse(text)
    except KeyFormatError as exc:
        raise error(f"{path}: {exc}", exc.hint or hint) from None


def write_pin(
    path: Path,
    key: PublicKey,
    *,
    replace: bool,
    read: Callable[[Path], PublicKey],
    refused: Callable[[PublicKey], Exception],
) -> Pin:
    """Pin `key` at `path`; `refused(previous)` is raised when a different
    key is pinned and `replace` was not given."""
    previous = read(path) if path.exists() else None
    if previous is not None and previous != key and not replace:
        raise refused(previous)
    write_private_text(path, key.minisign_text())
    return Pin(key, previous)
