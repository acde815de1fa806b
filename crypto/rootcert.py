"""The offline organisation root key: certificates for server signing keys
and a signed revocation list (SPEC.md §9).

Threat: whoever seizes a live server holds its current signing key and can
extend `server-keys.json` with keys of their own (every rotation link is
signed by the previous, seized, key). A root key that never touches the
server certifies each signing key; a journalist who pins the root accepts
only certified keys, and drops any key the root has revoked.

Must never: accept a key without a certificate that verifies under the
pinned root, accept a revocation list not signed by that root, or treat a
revoked key as trusted. Verification raises CryptoError, never returns a
bool.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from .errors import CryptoError
from .keychain import KeyChain
from .signing import PublicKey, SigningKey, new_prehash

__all__ = [
    "CERT_COMMENT_PREFIX",
    "REQUEST_FORMAT",
    "REVOCATIONS_FORMAT",
    "RevocationList",
    "certify",
    "make_revocations",
    "parse_revocations",
    "trusted_by_root",
    "verify_certificate",
]

CERT_LABEL: Final = b"samizdat-root-cert-v1\n"
CERT_COMMENT_PREFIX: Final = "samizdat-root-cert-v1"
REVOCATIONS_LABEL: Final = b"samizdat-root-revocations-v1\n"
REVOCATIONS_FORMAT: Final = "samizdat-root-revocations-v1"
REQUEST_FORMAT: Final = "samizdat-root-request-v1"
# Hostile-input bounds.
_MAX_REVOKED = 10_000
_MAX_DOC = 4 << 20


def _cert_statement(root: PublicKey, key: PublicKey) -> bytes:
    h = new_prehash()
    h.update(CERT_LABEL + root.raw + root.key_id + key.raw + key.key_id)
    return h.digest()


def _cert_comment(root: PublicKey, key: PublicKey) -> str:
    return f"{CERT_COMMENT_PREFIX} root={root.key_id_hex} key={key.key_id_hex}"


def certify(root_sk: SigningKey, key: PublicKey) -> str:
    """The root's certificate (a minisign signature text) for `key`."""
    root = root_sk.public_key()
    return root_sk.sign_digest(
        _cert_statement(root, key), _cert_comment(root, key), "samizdat root certificate"
    )


def verify_certificate(root: PublicKey, key: PublicKey, untrusted_cert: str) -> None:
    """Raise CryptoError unless `untrusted_cert` is `root`'s certificate for `key`."""
    comment = root.verify_digest(untrusted_cert, _cert_statement(root, key))
    if comment.text != _cert_comment(root, key):
        raise CryptoError


@dataclass(frozen=True)
class RevocationList:
    serial: int
    revoked: frozenset[str]  # key ids, minisign display form


def _canonical(serial: int, revoked: Iterable[str]) -> bytes:
    body = {"format": REVOCATIONS_FORMAT, "revoked": sorted(revoked), "serial": serial}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("ascii")


def _revocations_digest(root: PublicKey, serial: int, revoked: Iterable[str]) -> bytes:
    h = new_prehash()
    h.update(REVOCATIONS_LABEL + root.raw + root.key_id + _canonical(serial, revoked))
    return h.digest()


def _revocations_comment(root: PublicKey, serial: int) -> str:
    return f"{REVOCATIONS_FORMAT} root={root.key_id_hex} serial={serial}"


def _check_key_id(text: str) -> str:
    if len(text) != 16 or any(c not in "0123456789ABCDEF" for c in text):
        raise CryptoError
    return text


def make_revocations(root_sk: SigningKey, serial: int, revoked: Iterable[str]) -> str:
    """A signed revocation list (JSON text). `serial` must grow with each list
    so a client can refuse an older list replayed to it."""
    if serial < 1:
        raise ValueError("serial starts at 1")
    ids = sorted({_check_key_id(k.upper()) for k in revoked})
    root = root_sk.public_key()
    sig = root_sk.sign_digest(
        _revocations_digest(root, serial, ids),
        _revocations_comment(root, serial),
        "samizdat root revocation list",
    )
    doc = {"format": REVOCATIONS_FORMAT, "revoked": ids, "serial": serial, "signature": sig}
    return json.dumps(doc, sort_keys=True, indent=2)


def _revocations_from_obj(root: PublicKey, doc: object) -> RevocationList:
    if not isinstance(doc, dict) or doc.get("format") != REVOCATIONS_FORMAT:
        raise CryptoError
    serial, revoked, sig = doc.get("serial"), doc.get("revoked"), doc.get("signature")
    if (
        not isinstance(serial, int)
        or isinstance(serial, bool)
        or serial < 1
        or not isinstance(revoked, list)
        or len(revoked) > _MAX_REVOKED
        or not isinstance(sig, str)
    ):
        raise CryptoError
    ids = [_check_key_id(k) if isinstance(k, str) else _check_key_id("") for k in revoked]
    if ids != sorted(set(ids)):
        raise CryptoError
    comment = root.verify_digest(sig, _revocations_digest(root, serial, ids))
    if comment.text != _revocations_comment(root, serial):
        raise CryptoError
    return RevocationList(serial, frozenset(ids))


def parse_revocations(root: PublicKey, untrusted_text: str | bytes) -> RevocationList:
    """Verify a revocation list under `root`; raises CryptoError."""
    if len(untrusted_text) > _MAX_DOC:
        raise CryptoError
    try:
        doc = json.loads(untrusted_text)
    except ValueError:
        raise CryptoError from None
    return _revocations_from_obj(root, doc)


def trusted_by_root(
    root: PublicKey, untrusted_server_keys: str | bytes, *, min_serial: int = 0
) -> list[PublicKey]:
    """Signing keys in a `server-keys.json` that `root` certified and has not
    revoked, oldest first.

    The document's optional `"root"` member holds `"certificates"` (key id ->
    certificate) and `"revocations"` (a list from `make_revocations`, parsed).
    A revocation list older than `min_serial` (the highest the caller has
    seen) fails: a thief must not roll a revocation back. Keys without a
    valid certificate are left out; if none remain, CryptoError.
    """
    if len(untrusted_server_keys) > _MAX_DOC:
        raise CryptoError
    chain = KeyChain.from_json(untrusted_server_keys)
    try:
        doc = json.loads(untrusted_server_keys)
    except ValueError:
        raise CryptoError from None
    section = doc.get("root") if isinstance(doc, dict) else None
    if not isinstance(section, dict):
        raise CryptoError
    certs = section.get("certificates")
    if not isinstance(certs, dict):
        raise CryptoError
    revoked: frozenset[str] = frozenset()
    rev_doc = section.get("revocations")
    if rev_doc is not None:
        rl = _revocations_from_obj(root, rev_doc)
        if rl.serial < min_serial:
            raise CryptoError
        revoked = rl.revoked
    elif min_serial > 0:
        # A list was seen before; its absence now is a rollback.
        raise CryptoError
    trusted: list[PublicKey] = []
    for key in chain.keys:
        cert = certs.get(key.key_id_hex)
        if not isinstance(cert, str) or key.key_id_hex in revoked:
            continue
        try:
            verify_certificate(root, key, cert)
        except CryptoError:
            continue
        trusted.append(key)
    if not trusted:
        raise CryptoError
    return trusted
