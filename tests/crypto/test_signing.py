"""minisign format: stock `minisign -V` accepts ours, we accept minisign's; key chain."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from crypto.errors import CryptoError, KeyFormatError
from crypto.keychain import KeyChain
from crypto.signing import PublicKey, SigningKey, verify_bytes, verify_file


def test_minisign_accepts_our_signature(tmp_path: Path) -> None:
    sk = SigningKey.generate()
    f = tmp_path / "f"
    f.write_bytes(os.urandom(300_000))
    (tmp_path / "f.minisig").write_text(sk.sign_bytes(f.read_bytes(), "hello world"))
    (tmp_path / "k.pub").write_text(sk.public_key().minisign_text())
    res = subprocess.run(
        ["minisign", "-V", "-p", str(tmp_path / "k.pub"), "-m", str(f)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Trusted comment: hello world" in res.stdout


def test_we_accept_minisign_signature(tmp_path: Path) -> None:
    subprocess.run(
        ["minisign", "-G", "-W", "-p", str(tmp_path / "m.pub"), "-s", str(tmp_path / "m.key")],
        check=True,
        capture_output=True,
    )
    f = tmp_path / "f"
    f.write_bytes(b"data" * 1000)
    subprocess.run(
        [
            "minisign",
            "-S",
            "-W",
            "-s",
            str(tmp_path / "m.key"),
            "-m",
            str(f),
            "-t",
            "their comment",
        ],
        check=True,
        capture_output=True,
    )
    pk = PublicKey.parse((tmp_path / "m.pub").read_text())
    comment = verify_file(pk, f, (tmp_path / "f.minisig").read_text())
    assert comment.text == "their comment"
    f.write_bytes(b"data" * 999)
    with pytest.raises(CryptoError):
        verify_file(pk, f, (tmp_path / "f.minisig").read_text())


def test_legacy_non_prehashed_signature_refused(tmp_path: Path) -> None:
    sk = SigningKey.generate()
    sig = sk.sign_bytes(b"x", "c").split("\n")
    import base64

    blob = base64.b64decode(sig[1])
    sig[1] = base64.b64encode(b"Ed" + blob[2:]).decode()
    with pytest.raises(CryptoError):
        verify_bytes(sk.public_key(), b"x", "\n".join(sig))


@pytest.mark.parametrize(
    "mangle", ["empty", "three_lines", "garbage_b64", "padding_gone", "no_trusted_prefix", "huge"]
)
def test_malformed_signature_text_refused(mangle: str) -> None:
    sk = SigningKey.generate()
    sig = sk.sign_bytes(b"x", "c")
    lines = sig.split("\n")
    bad = {
        "empty": "",
        "three_lines": "\n".join(lines[:3]),
        "garbage_b64": sig.replace(lines[1], "!!" + lines[1][2:]),
        "padding_gone": sig.replace(lines[3], lines[3].rstrip("=")),
        "no_trusted_prefix": sig.replace("trusted comment: ", "comment: "),
        "huge": sig + "x" * 5000,
    }[mangle]
    with pytest.raises(CryptoError):
        verify_bytes(sk.public_key(), b"x", bad)


def test_key_files(tmp_path: Path) -> None:
    sk = SigningKey.generate()
    sk.save(tmp_path / "sk")
    assert stat.S_IMODE((tmp_path / "sk").stat().st_mode) == 0o600
    assert SigningKey.load(tmp_path / "sk").public_key() == sk.public_key()
    assert PublicKey.parse(sk.public_key().minisign_text()) == sk.public_key()
    with pytest.raises(KeyFormatError):
        PublicKey.parse("untrusted comment: x\nnot base64\n")
    (tmp_path / "bad").write_text("hello")
    with pytest.raises(KeyFormatError):
        SigningKey.load(tmp_path / "bad")


def test_key_chain_rotation_and_resolve() -> None:
    a, b, c = SigningKey.generate(), SigningKey.generate(), SigningKey.generate()
    chain = KeyChain.create(a).rotate(a, b).rotate(b, c)
    parsed = KeyChain.from_json(chain.to_json())
    assert parsed.resolve(a.public_key()) == [a.public_key(), b.public_key(), c.public_key()]
    assert parsed.resolve(b.public_key()) == [b.public_key(), c.public_key()]
    stranger = SigningKey.generate().public_key()
    assert parsed.resolve(stranger) == [stranger]
    with pytest.raises(ValueError, match="current"):
        chain.rotate(a, SigningKey.generate())


def test_key_chain_forged_link_fails_closed() -> None:
    a, b = SigningKey.generate(), SigningKey.generate()
    evil = SigningKey.generate()
    doc = json.loads(KeyChain.create(a).rotate(a, b).to_json())
    # Substitute the successor with a key the attacker controls, self-signed.
    forged = KeyChain.create(evil).rotate(evil, SigningKey.generate())
    doc["keys"][1] = json.loads(forged.to_json())["keys"][1]
    with pytest.raises(CryptoError):
        KeyChain.from_json(json.dumps(doc)).resolve(a.public_key())
    doc["keys"][1]["signature"] = None
    with pytest.raises(CryptoError):
        KeyChain.from_json(json.dumps(doc)).resolve(a.public_key())


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[]",
        '{"format": "x", "keys": []}',
        "{" * 10,
        '{"format": "samizdat-server-keys-v1", "keys": [{}]}',
    ],
)
def test_key_chain_malformed_json(text: str) -> None:
    with pytest.raises(CryptoError):
        KeyChain.from_json(text)
