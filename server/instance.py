"""The layout of one instance's data dir, and creating it.

Everything an instance keeps lives under one directory (0700): config, the
SQLite DB, the ciphertext store, the server signing key, the two instance
secrets for codename derivation, tor's onion service dirs, and the audit log.
This module must never hold plaintext: it only names places and creates them.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from server.errors import InstanceError

# Size of each codename-derivation secret. 32 bytes from the OS CSPRNG: an
# attacker who seizes the DB but not these files cannot test codename guesses.
INSTANCE_SECRET_BYTES = 32

MARKER = "samizdat-instance-v1"

DEFAULT_CONFIG = """\
# Samizdat instance settings. Environment variables SAMIZDAT_<NAME> override.
# Written by `samizdat admin init`.
source_port = 8080
journalist_port = 8081
# Whole-submission and per-file limits, enforced while the upload streams.
max_submission_bytes = 2147483648
max_file_bytes = 2147483648
max_files = 20
max_message_chars = 100000
# Files of whole-file formats above this are sealed as they are ("not cleaned").
scrub_in_memory_cap = 268435456
# Delete submissions older than this many days (0 = keep until deleted).
retention_days = 0
"""


@dataclass(frozen=True)
class InstancePaths:
    root: Path

    @property
    def marker(self) -> Path:
        return self.root / "INSTANCE"

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    @property
    def db(self) -> Path:
        return self.root / "samizdat.db"

    @property
    def store(self) -> Path:
        return self.root / "store"

    @property
    def bundles(self) -> Path:
        return self.store / "bundles"

    @property
    def replies(self) -> Path:
        return self.store / "replies"

    @property
    def store_tmp(self) -> Path:
        # Temp ciphertext lives inside the store (same filesystem) so the final
        # rename is atomic. Only ciphertext is ever written here.
        return self.store / "tmp"

    @property
    def keys(self) -> Path:
        return self.root / "keys"

    @property
    def signing_key(self) -> Path:
        return self.keys / "signing.key"

    @property
    def server_keys_json(self) -> Path:
        return self.keys / "server-keys.json"

    @property
    def lookup_secret(self) -> Path:
        return self.keys / "codename-lookup.secret"

    @property
    def reply_secret(self) -> Path:
        return self.keys / "codename-reply.secret"

    @property
    def tor(self) -> Path:
        return self.root / "tor"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def audit_log(self) -> Path:
        return self.logs / "audit.log"

    def is_initialised(self) -> bool:
        return self.marker.is_file()


def _write_private(path: Path, data: bytes) -> None:
    """Create a new 0600 file; refuse to replace an existing one."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_secret(path: Path) -> bytes:
    data = path.read_bytes()
    if len(data) != INSTANCE_SECRET_BYTES:
        raise InstanceError(
            f"instance secret {path.name} is damaged",
            hint="restore the data dir from a backup (`samizdat admin restore`)",
        )
    return data


def create_layout(root: Path) -> InstancePaths:
    """Create an empty instance layout with fresh secrets.

    The signing key, DB schema and config are created by the caller (admin
    init) so that this module stays free of crypto and DB imports.
    """
    paths = InstancePaths(root)
    if paths.is_initialised() or (root.exists() and any(root.iterdir())):
        raise InstanceError(
            f"{root} already holds an instance or other files",
            hint="choose an empty or new directory; an instance is never overwritten",
        )
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(root, 0o700)
    for d in (paths.store, paths.bundles, paths.replies, paths.store_tmp, paths.keys, paths.logs):
        d.mkdir(mode=0o700, exist_ok=True)
    paths.tor.mkdir(mode=0o700, exist_ok=True)
    _write_private(paths.lookup_secret, secrets.token_bytes(INSTANCE_SECRET_BYTES))
    _write_private(paths.reply_secret, secrets.token_bytes(INSTANCE_SECRET_BYTES))
    _write_private(paths.config, DEFAULT_CONFIG.encode())
    return paths


def mark_initialised(paths: InstancePaths) -> None:
    """Written last by `admin init`, so a half-made instance is never used."""
    _write_private(paths.marker, (MARKER + "\n").encode())


def open_instance(root: Path) -> InstancePaths:
    paths = InstancePaths(root)
    if not root.is_dir():
        raise InstanceError(
            f"data dir {root} does not exist",
            hint=f"create an instance first: samizdat admin init --data-dir {root}",
        )
    if not paths.is_initialised():
        raise InstanceError(
            f"{root} is not an initialised Samizdat instance",
            hint=f"run: samizdat admin init --data-dir {root}",
        )
    return paths
