"""Passphrase-protected identity files (SPEC.md §5), compatible with stock `age -d -i`.

The server may not import this module (import-linter contract).
Must never: write the secret unencrypted, or leave the file readable by others.
"""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime
from pathlib import Path

from ._recipients import DEFAULT_SCRYPT_LOG_N
from .age import AgeWriter, decrypt_bytes
from .errors import CryptoError, KeyFormatError
from .keys import Identity

__all__ = ["load_identity_file", "read_passphrase_file", "write_identity_file"]

_MAX_IDENTITY_FILE = 64 * 1024


def identity_text(identity: Identity, now: datetime | None = None) -> str:
    created = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f"# created: {created}\n"
        f"# public key: {identity.recipient().encode()}\n"
        f"{identity.encode()}\n"
    )


def write_identity_file(
    path: str | os.PathLike[str],
    identity: Identity,
    passphrase: str,
    *,
    log_n: int = DEFAULT_SCRYPT_LOG_N,
) -> None:
    if not passphrase:
        raise KeyFormatError("the passphrase is empty", hint="choose a long passphrase")
    buf = io.BytesIO()
    writer = AgeWriter.with_passphrase(passphrase.encode("utf-8"), buf, log_n=log_n)
    writer.write(identity_text(identity).encode())
    writer.close()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(buf.getvalue())
        f.flush()
        os.fsync(f.fileno())


def load_identity_file(path: str | os.PathLike[str], passphrase: str) -> Identity:
    """Unlock an identity file; KeyFormatError (with a hint) for a wrong passphrase."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise KeyFormatError(
            f"cannot read the identity file: {exc.strerror}",
            hint="--identity is the file written by 'samizdat journalist keygen'",
        ) from None
    if len(data) > _MAX_IDENTITY_FILE:
        raise KeyFormatError("this is not an identity file (too large)")
    try:
        plain = decrypt_bytes(data, passphrase=passphrase.encode("utf-8"))
    except CryptoError:
        raise KeyFormatError(
            "could not unlock the identity file",
            hint="check the passphrase (and that --identity is the keygen file, not .pub)",
        ) from None
    keys = [
        line.strip()
        for line in plain.decode("utf-8", "replace").splitlines()
        if line.strip().startswith("AGE-SECRET-KEY-1")
    ]
    if len(keys) != 1:
        raise KeyFormatError("the identity file holds no single age secret key")
    return Identity.parse(keys[0])


def read_passphrase_file(path: str | os.PathLike[str]) -> str:
    """The first line of `path`, without its line ending (CONTRACT.md)."""
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFormatError(
            f"cannot read the passphrase file: {exc}", hint="give a readable UTF-8 text file"
        ) from None
    first = text.split("\n", 1)[0].removesuffix("\r")
    return first
