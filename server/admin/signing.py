"""The server's signing key: rotate it (the new public key signed by the
old, appended to `server-keys.json`) and export the current public key.

Threat: whoever seizes a running server holds its signing key and could
sign forged bundles. Rotation limits how long one key is in use; the
offline root key (`server.admin.rootkey`) bounds what a seized key can
certify. The old secret key is destroyed after rotation: keeping it would
only give a thief more to steal. Must never leave the key file and chain
in a state where the key the server signs with is not in the chain.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from crypto.signing import PublicKey, SigningKey
from server import audit
from server.admin.context import AdminContext
from server.admin.signing_files import atomic_write, read_chain, write_chain
from server.db.engine import session_scope
from server.errors import ConfigError
from server.keys import load_signing_key


@dataclass(frozen=True)
class SigningRotation:
    old_key_id: str
    new_key_id: str
    chain_length: int


def current_public_key(ctx: AdminContext) -> PublicKey:
    return load_signing_key(ctx.paths).public_key()


def export_public_key(ctx: AdminContext, out: Path) -> PublicKey:
    """Write the current public key as a minisign `.pub` file."""
    public = current_public_key(ctx)
    atomic_write(out, public.minisign_text().encode("ascii"), mode=0o644)
    return public


def _replace_key_file(path: Path, key: SigningKey) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        key.save(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def rotate_signing_key(ctx: AdminContext) -> SigningRotation:
    paths = ctx.paths
    old = load_signing_key(paths)
    chain = read_chain(paths)
    if chain.current != old.public_key():
        raise ConfigError(
            "the signing key does not match the newest key in server-keys.json",
            hint="restore keys/ from a backup; never edit the key files by hand",
        )
    new = SigningKey.generate()
    chain.rotate(old, new)
    # Chain first: if we stop between the two writes, the server still signs
    # with the old key, which the chain still vouches for.
    write_chain(paths, chain)
    _replace_key_file(paths.signing_key, new)
    old_id = old.public_key().key_id_hex
    new_id = new.public_key().key_id_hex
    with session_scope(ctx.engine) as session:
        audit.record(
            session,
            at=ctx.timestamp(),
            actor=ctx.actor,
            action="signing-key.rotate",
            detail=f"old={old_id} new={new_id} chain={len(chain.keys)}",
        )
    return SigningRotation(old_id, new_id, len(chain.keys))
