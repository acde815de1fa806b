"""Read an `age1…` public key file the admin passes on the command line.

Threat: an admin who passes the wrong file (an `age-keygen` output, or the
passphrase-protected identity) would put a journalist's secret key on the
server, where a seizure would open every bundle. We refuse anything that
looks like secret material before parsing, and say which file to pass.

Must never echo the file's contents in an error.
"""

from __future__ import annotations

from pathlib import Path

from crypto.errors import KeyFormatError
from crypto.keys import Identity, Recipient
from server.admin.errors import AdminInputError

# A public key file holds one ~62-character line; anything far bigger is the
# wrong file, and reading it whole would be pointless.
_MAX_KEY_FILE_BYTES = 16 * 1024

_SECRET_MARKERS = ("AGE-SECRET-KEY-", "AGE-PLUGIN-")
_ENCRYPTED_MARKER = "age-encryption.org/"


def parse_public_key_text(untrusted_text: str) -> Recipient:
    """Parse one `age1…` recipient from text; refuse secret key material."""
    upper = untrusted_text.upper()
    if any(marker in upper for marker in _SECRET_MARKERS):
        raise AdminInputError(
            "this is a secret key, not a public key: nothing was changed",
            hint="pass the public key (the one-line FILE.pub written by "
            "`samizdat journalist keygen`), and keep the secret key offline",
        )
    if untrusted_text.lstrip().startswith(_ENCRYPTED_MARKER):
        raise AdminInputError(
            "this is an encrypted identity file, not a public key: nothing was changed",
            hint="pass FILE.pub (the `age1…` line) written next to it by "
            "`samizdat journalist keygen`",
        )
    lines = [
        line.strip()
        for line in untrusted_text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if len(lines) != 1:
        raise AdminInputError(
            "a public key file must hold exactly one `age1…` line",
            hint="pass the FILE.pub written by `samizdat journalist keygen`",
        )
    try:
        return Recipient.parse(lines[0])
    except KeyFormatError as exc:
        raise AdminInputError(
            f"not a valid age public key: {exc}",
            hint=exc.hint or "pass the `age1…` line from FILE.pub",
        ) from None


def read_public_key_file(path: Path) -> Recipient:
    try:
        with path.open("rb") as f:
            raw = f.read(_MAX_KEY_FILE_BYTES + 1)
    except OSError as exc:
        raise AdminInputError(
            f"cannot read public key file {path}: {exc.strerror or type(exc).__name__}",
            hint="check the path",
        ) from None
    if len(raw) > _MAX_KEY_FILE_BYTES:
        raise AdminInputError(
            f"{path} is too large to be a public key file",
            hint="pass the one-line FILE.pub written by `samizdat journalist keygen`",
        )
    # Check for secret material before decoding: an encrypted identity file
    # is binary after its header and would otherwise read as "not text".
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        parse_public_key_text(raw.decode("latin-1"))
        raise AdminInputError(
            f"{path} is not a text file",
            hint="pass the one-line FILE.pub written by `samizdat journalist keygen`",
        ) from None
    return parse_public_key_text(text)


def read_identity_file(path: Path) -> Identity:
    """A plain `AGE-SECRET-KEY-1…` identity (age-keygen format) for restore.

    Passphrase-protected identities are unlocked only by the offline client
    (the server may not import that code); the admin decrypts one with
    `age -d` into a file on the restore machine, or uses a passphrase backup.
    """
    try:
        raw = path.read_bytes()[: _MAX_KEY_FILE_BYTES + 1]
    except OSError as exc:
        raise AdminInputError(
            f"cannot read identity file {path}: {exc.strerror or type(exc).__name__}",
            hint="check the path",
        ) from None
    if raw.startswith(_ENCRYPTED_MARKER.encode()):
        raise AdminInputError(
            "this identity file is passphrase-protected",
            hint="decrypt it first (`age -d -o plain.key FILE`) or restore with --passphrase-file",
        )
    text = raw.decode("utf-8", errors="replace")
    keys = [
        line.strip()
        for line in text.splitlines()
        if line.strip().upper().startswith("AGE-SECRET-KEY-1")
    ]
    if len(keys) != 1:
        raise AdminInputError(
            "an identity file must hold exactly one AGE-SECRET-KEY-1… line",
            hint="pass the backup identity written by age-keygen",
        )
    try:
        return Identity.parse(keys[0])
    except KeyFormatError as exc:
        raise AdminInputError(
            "not a valid age identity", hint=exc.hint or "pass an age-keygen identity file"
        ) from None
