"""Each public crypto module declares a sorted `__all__` whose names all exist."""

from __future__ import annotations

import importlib

import pytest

PUBLIC = [
    "age",
    "bundle",
    "codename",
    "container",
    "errors",
    "identity",
    "keychain",
    "keys",
    "names",
    "opener",
    "passwords",
    "reply",
    "signing",
]


@pytest.mark.parametrize("name", PUBLIC)
def test_all_is_sorted_and_complete(name: str) -> None:
    module = importlib.import_module(f"crypto.{name}")
    exported = module.__all__
    assert exported == sorted(exported)
    for member in exported:
        assert hasattr(module, member), member


def test_brief_interface_names_exist() -> None:
    from crypto import codename, keychain, keys, passwords, reply, signing

    for mod, names in [
        (keys, ["Recipient", "Identity", "generate_identity"]),
        (signing, ["SigningKey", "PublicKey", "verify_file"]),
        (keychain, ["KeyChain"]),
        (codename, ["generate_codename", "normalise", "derive_source_keys", "SourceKeys"]),
        (passwords, ["generate_password", "hash_password", "verify_password"]),
        (reply, ["seal_reply", "open_reply", "check_age_header"]),
    ]:
        for n in names:
            assert hasattr(mod, n), n
