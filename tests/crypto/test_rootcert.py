"""crypto.rootcert: root certificates and revocation lists (SPEC §9)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.errors import CryptoError
from crypto.keychain import KeyChain
from crypto.rootcert import (
    certify,
    make_revocations,
    parse_revocations,
    trusted_by_root,
    verify_certificate,
)
from crypto.signing import SigningKey

ROOT = SigningKey.generate()
K0, K1 = SigningKey.generate(), SigningKey.generate()


def _doc(certs: dict[str, str], revocations: str | None = None) -> str:
    chain = KeyChain.create(K0).rotate(K0, K1)
    doc = json.loads(chain.to_json())
    doc["root"] = {
        "certificates": certs,
        "revocations": json.loads(revocations) if revocations else None,
    }
    return json.dumps(doc)


def test_certificate_round_trip_and_binding() -> None:
    cert = certify(ROOT, K0.public_key())
    verify_certificate(ROOT.public_key(), K0.public_key(), cert)
    with pytest.raises(CryptoError):  # bound to the key
        verify_certificate(ROOT.public_key(), K1.public_key(), cert)
    with pytest.raises(CryptoError):  # and to the root
        verify_certificate(SigningKey.generate().public_key(), K0.public_key(), cert)
    forged = certify(SigningKey.generate(), K0.public_key())
    with pytest.raises(CryptoError):
        verify_certificate(ROOT.public_key(), K0.public_key(), forged)


def test_trusted_by_root_needs_certificates_and_honours_revocation() -> None:
    root = ROOT.public_key()
    c0, c1 = certify(ROOT, K0.public_key()), certify(ROOT, K1.public_key())
    both = _doc({K0.public_key().key_id_hex: c0, K1.public_key().key_id_hex: c1})
    assert trusted_by_root(root, both) == [K0.public_key(), K1.public_key()]
    only_first = _doc({K0.public_key().key_id_hex: c0})
    assert trusted_by_root(root, only_first) == [K0.public_key()]
    # A certificate filed under another key's id does not transfer.
    swapped = _doc({K1.public_key().key_id_hex: c0})
    with pytest.raises(CryptoError):
        trusted_by_root(root, swapped)
    rl = make_revocations(ROOT, 3, [K1.public_key().key_id_hex])
    revoked = _doc({K0.public_key().key_id_hex: c0, K1.public_key().key_id_hex: c1}, rl)
    assert trusted_by_root(root, revoked) == [K0.public_key()]
    assert trusted_by_root(root, revoked, min_serial=3) == [K0.public_key()]
    with pytest.raises(CryptoError):  # rollback to an older list
        trusted_by_root(root, revoked, min_serial=4)
    with pytest.raises(CryptoError):  # list removed after one was seen
        trusted_by_root(root, both, min_serial=1)
    with pytest.raises(CryptoError):  # no root section at all
        trusted_by_root(root, KeyChain.create(K0).to_json())


def test_revocation_list_tamper_is_refused() -> None:
    root = ROOT.public_key()
    text = make_revocations(ROOT, 1, [K0.public_key().key_id_hex])
    assert parse_revocations(root, text).revoked == {K0.public_key().key_id_hex}
    doc = json.loads(text)
    for change in (
        {"revoked": []},
        {"serial": 2},
        {"revoked": [K1.public_key().key_id_hex]},
        {"format": "other"},
    ):
        with pytest.raises(CryptoError):
            parse_revocations(root, json.dumps({**doc, **change}))
    with pytest.raises(CryptoError):
        parse_revocations(SigningKey.generate().public_key(), text)
    with pytest.raises(ValueError):
        make_revocations(ROOT, 0, [])


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_hostile_documents_fail_cleanly(untrusted: bytes) -> None:
    # Nothing unsigned can pass; every failure is the one opaque error.
    with pytest.raises(CryptoError):
        parse_revocations(ROOT.public_key(), untrusted)
    with pytest.raises(CryptoError):
        trusted_by_root(ROOT.public_key(), untrusted)
