"""Reading and atomically replacing the server's key files
(`keys/signing.key`, `keys/server-keys.json`).

Must never leave a half-written key or chain: each write goes to a temp
file in the same directory, is fsynced and renamed over the old one.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from crypto.keychain import KeyChain
from server.instance import InstancePaths


def atomic_write(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read_chain(paths: InstancePaths) -> KeyChain:
    return KeyChain.from_json(paths.server_keys_json.read_text(encoding="utf-8"))


def read_root_section(paths: InstancePaths) -> dict[str, Any] | None:
    """The `"root"` member (root certificates and revocations), if any."""
    try:
        doc = json.loads(paths.server_keys_json.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    section = doc.get("root") if isinstance(doc, dict) else None
    return section if isinstance(section, dict) else None


def write_chain(
    paths: InstancePaths, chain: KeyChain, *, root: dict[str, Any] | None = None
) -> None:
    """Write the chain, keeping the existing root section unless `root` is given.

    KeyChain ignores members it does not know, so the root section rides in
    the same file journalists already fetch (`crypto.rootcert`, SPEC §9).
    """
    section = root if root is not None else read_root_section(paths)
    doc = json.loads(chain.to_json())
    if section is not None:
        doc["root"] = section
    # The chain is public (served to journalists), but 0644 buys nothing on a
    # 0700 data dir; keep every key file owner-only.
    atomic_write(paths.server_keys_json, json.dumps(doc, indent=2, sort_keys=True).encode("utf-8"))
