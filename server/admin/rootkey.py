"""The offline organisation root key (SPEC §9, `crypto.rootcert`).

On the offline machine: `init_root` makes the key pair, `sign_request`
certifies a server signing key, `make_revocation_list` revokes keys. On the
server: `pin_root` installs the root's public key (and emits a request for
the current signing key), `request_if_pinned` emits a request after each
rotation, `install_certificate` / `install_revocations` put the root's
answers into `server-keys.json`, where journalists fetch them.

Must never: put the root's secret key on the server, or install a
certificate or revocation list that does not verify under the pinned root.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crypto.errors import CryptoError, KeyFormatError
from crypto.keychain import KeyChain
from crypto.rootcert import (
    REQUEST_FORMAT,
    certify,
    make_revocations,
    parse_revocations,
    verify_certificate,
)
from crypto.signing import PublicKey, SigningKey
from server import audit
from server.admin.context import AdminContext
from server.admin.errors import AdminInputError
from server.admin.signing_files import atomic_write, read_chain, read_root_section, write_chain
from server.db.engine import session_scope
from server.errors import Conflict, NotFound

CERT_FILE_FORMAT = "samizdat-root-certificate-v1"
ROOT_KEY_NAME = "root.key"
ROOT_PUB_NAME = "root.pub"
_MAX_FILE = 4 << 20


@dataclass(frozen=True)
class RootInit:
    key_path: Path
    pub_path: Path
    key_id: str


def _root_pub_path(ctx: AdminContext) -> Path:
    return ctx.paths.keys / ROOT_PUB_NAME


def _read_text(path: Path, what: str) -> str:
    try:
        data = path.read_bytes()[: _MAX_FILE + 1]
        if len(data) > _MAX_FILE:
            raise AdminInputError(f"{what} {path} is too large", hint="check the file")
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        raise AdminInputError(f"cannot read {what} {path}", hint="check the path") from None


# -- offline machine -----------------------------------------------------------
def init_root(out_dir: Path) -> RootInit:
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    key_path, pub_path = out_dir / ROOT_KEY_NAME, out_dir / ROOT_PUB_NAME
    if key_path.exists() or pub_path.exists():
        raise Conflict(
            f"{out_dir} already holds a root key",
            hint="a root key is never overwritten; choose another directory",
        )
    root = SigningKey.generate()
    root.save(key_path)
    public = root.public_key()
    atomic_write(pub_path, public.minisign_text().encode("ascii"), mode=0o644)
    return RootInit(key_path, pub_path, public.key_id_hex)


def _load_root(root_dir: Path) -> SigningKey:
    try:
        return SigningKey.load(root_dir / ROOT_KEY_NAME)
    except KeyFormatError:
        raise AdminInputError(
            f"no root key in {root_dir}",
            hint="pass the directory written by `samizdat admin root-key init`",
        ) from None


@dataclass(frozen=True)
class SignedRequest:
    key_id: str
    chain_checked: bool


def sign_request(request: Path, root_dir: Path, out: Path) -> SignedRequest:
    """Certify the signing key named in a request (offline).

    The request carries the server's chain; when it links back to a key the
    root certified before, the link is checked too (so a request made by a
    thief with a fresh chain stands out)."""
    root = _load_root(root_dir)
    try:
        doc = json.loads(_read_text(request, "request"))
        if doc.get("format") != REQUEST_FORMAT:
            raise ValueError
        key = PublicKey.parse(doc["public_key"])
        chain = KeyChain.from_json(json.dumps(doc["chain"]))
    except (ValueError, KeyError, TypeError, AttributeError, CryptoError):
        raise AdminInputError(
            "not a root certification request",
            hint="pass the file written by `samizdat admin signing-key rotate`",
        ) from None
    if key not in chain.keys:
        raise AdminInputError(
            "the request's key is not in its own chain", hint="make a new request"
        )
    # Walk the chain from its first key: every link must verify up to `key`.
    try:
        resolved = chain.resolve(chain.keys[0])
    except CryptoError:
        raise AdminInputError(
            "the request's key chain does not verify: refusing to certify",
            hint="the server's key files may have been tampered with",
        ) from None
    if key not in resolved:
        raise AdminInputError("the request's key chain does not reach its key", hint="check it")
    cert = certify(root, key)
    body = {"format": CERT_FILE_FORMAT, "key_id": key.key_id_hex, "certificate": cert}
    atomic_write(out, json.dumps(body, indent=2, sort_keys=True).encode(), mode=0o644)
    return SignedRequest(key.key_id_hex, True)


def make_revocation_list(root_dir: Path, key_ids: list[str], serial: int, out: Path) -> None:
    root = _load_root(root_dir)
    try:
        text = make_revocations(root, serial, key_ids)
    except (ValueError, CryptoError):
        raise AdminInputError(
            "cannot make the revocation list",
            hint="key ids are 16 hex digits (as `admin status` shows); serial ≥ 1 and "
            "larger than the last list's",
        ) from None
    atomic_write(out, text.encode(), mode=0o644)


# -- server --------------------------------------------------------------------
def pinned_root(ctx: AdminContext) -> PublicKey | None:
    path = _root_pub_path(ctx)
    if not path.exists():
        return None
    return PublicKey.parse(path.read_text("ascii"))


def _write_request(ctx: AdminContext, key: PublicKey) -> Path:
    chain = json.loads(read_chain(ctx.paths).to_json())
    body = {"format": REQUEST_FORMAT, "public_key": key.minisign_text(), "chain": chain}
    path = ctx.paths.keys / f"root-request-{key.key_id_hex}.json"
    atomic_write(path, json.dumps(body, indent=2, sort_keys=True).encode(), mode=0o600)
    return path


def request_if_pinned(ctx: AdminContext) -> Path | None:
    """After a rotation: the request for the current key, if a root is pinned."""
    if pinned_root(ctx) is None:
        return None
    return _write_request(ctx, read_chain(ctx.paths).current)


def pin_root(ctx: AdminContext, pub_file: Path) -> Path:
    """Install the root's public key; returns the request for the current key."""
    try:
        root = PublicKey.parse(_read_text(pub_file, "root public key"))
    except KeyFormatError as exc:
        raise AdminInputError(str(exc), hint=exc.hint or "pass root.pub") from None
    if pinned_root(ctx) is not None:
        raise Conflict("a root key is already pinned", hint="a pinned root is never replaced")
    atomic_write(_root_pub_path(ctx), root.minisign_text().encode("ascii"), mode=0o600)
    section = read_root_section(ctx.paths) or {"certificates": {}, "revocations": None}
    write_chain(ctx.paths, read_chain(ctx.paths), root=section)
    with session_scope(ctx.engine) as session:
        audit.record(
            session,
            at=ctx.timestamp(),
            actor=ctx.actor,
            action="root-key.pin",
            detail=f"root={root.key_id_hex}",
        )
    return _write_request(ctx, read_chain(ctx.paths).current)


def _require_root(ctx: AdminContext) -> PublicKey:
    root = pinned_root(ctx)
    if root is None:
        raise NotFound(
            "no root key is pinned on this instance",
            hint="pin one first: samizdat admin root-key pin ROOT.pub",
        )
    return root


def install_certificate(ctx: AdminContext, cert_file: Path) -> str:
    root = _require_root(ctx)
    try:
        doc: Any = json.loads(_read_text(cert_file, "certificate"))
        if doc.get("format") != CERT_FILE_FORMAT:
            raise ValueError
        key_id, cert = doc["key_id"], doc["certificate"]
        if not isinstance(key_id, str) or not isinstance(cert, str):
            raise ValueError
    except (ValueError, KeyError, TypeError, AttributeError):
        raise AdminInputError(
            "not a root certificate file", hint="pass the file from `admin root-key sign`"
        ) from None
    chain = read_chain(ctx.paths)
    key = next((k for k in chain.keys if k.key_id_hex == key_id), None)
    if key is None:
        raise AdminInputError(
            "the certificate is for a key this instance does not have", hint="check the file"
        )
    try:
        verify_certificate(root, key, cert)
    except CryptoError:
        raise AdminInputError(
            "the certificate does not verify under the pinned root key",
            hint="it was not made by this root, or it was altered",
        ) from None
    section = read_root_section(ctx.paths) or {"certificates": {}, "revocations": None}
    section.setdefault("certificates", {})[key_id] = cert
    write_chain(ctx.paths, chain, root=section)
    with session_scope(ctx.engine) as session:
        audit.record(
            session,
            at=ctx.timestamp(),
            actor=ctx.actor,
            action="signing-key.install-cert",
            detail=f"key={key_id}",
        )
    return key_id


def install_revocations(ctx: AdminContext, file: Path) -> int:
    root = _require_root(ctx)
    text = _read_text(file, "revocation list")
    try:
        rl = parse_revocations(root, text)
    except CryptoError:
        raise AdminInputError(
            "the revocation list does not verify under the pinned root key",
            hint="it was not made by this root, or it was altered",
        ) from None
    section = read_root_section(ctx.paths) or {"certificates": {}, "revocations": None}
    old = section.get("revocations")
    if isinstance(old, dict) and isinstance(old.get("serial"), int) and old["serial"] >= rl.serial:
        raise Conflict(
            f"the installed revocation list is as new or newer (serial {old['serial']})",
            hint="make a list with a higher --serial on the root machine",
        )
    section["revocations"] = json.loads(text)
    write_chain(ctx.paths, read_chain(ctx.paths), root=section)
    with session_scope(ctx.engine) as session:
        audit.record(
            session,
            at=ctx.timestamp(),
            actor=ctx.actor,
            action="root-key.install-revocations",
            detail=f"serial={rl.serial} revoked={','.join(sorted(rl.revoked)) or '-'}",
        )
    return rl.serial
