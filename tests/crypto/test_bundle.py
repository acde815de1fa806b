"""BundleSealer + open_bundle: round trips, what lands on disk, and the tamper suite.

Every tampering must fail closed with CryptoError and leave nothing in out_dir.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from crypto._stream import ENC_CHUNK
from crypto.errors import CryptoError
from crypto.keychain import KeyChain
from crypto.keys import Identity, generate_identity
from crypto.opener import open_bundle, read_manifest
from crypto.signing import SigningKey

from .conftest import Sealed, seal


def _payload_start(data: bytes) -> int:
    """Offset of the first STREAM chunk (after the header and 16-byte nonce)."""
    mac_line = data.index(b"\n--- ") + 1
    return data.index(b"\n", mac_line) + 1 + 16


@pytest.fixture
def sealed(
    tmp_path: Path, journalist: Identity, server_key: SigningKey, source_reply: Identity
) -> Sealed:
    files = [("report.pdf", os.urandom(200_000)), ("../../evil name.txt", b"x" * 10)]
    return seal(tmp_path, [journalist], server_key, source_reply, files)


def test_round_trip_writes_files_message_manifest(
    sealed: Sealed,
    tmp_path: Path,
    journalist: Identity,
    server_key: SigningKey,
    source_reply: Identity,
) -> None:
    out = tmp_path / "out"
    opened = open_bundle(sealed.bundle, sealed.sig, journalist, [server_key.public_key()], out)
    assert opened.folder == out / sealed.submission_id
    assert [f.name for f in opened.files] == ["report.pdf", "evil name.txt"]
    for f in opened.files:
        assert f.path.parent == out / sealed.submission_id / "files"
        assert hashlib.sha256(f.path.read_bytes()).hexdigest() == f.sha256
    assert opened.message == "a message"
    assert (opened.folder / "message.txt").read_text() == "a message"
    assert opened.reply_recipient == source_reply.recipient()
    assert opened.source_id == "source-1"
    assert opened.submitted_at == "2026-11-25T12:34:56.789012Z"
    assert opened.manifest["files"][0]["scrub"] == {
        "outcome": "cleaned",
        "removed": {"EXIF": ["Make"]},
    }
    assert sorted(p.name for p in out.iterdir()) == [sealed.submission_id]


def test_multiple_recipients_each_open(
    tmp_path: Path, server_key: SigningKey, source_reply: Identity
) -> None:
    ids = [generate_identity() for _ in range(3)]
    s = seal(tmp_path, ids, server_key, source_reply, [("a", b"abc")])
    for n, ident in enumerate(ids):
        opened = open_bundle(s.bundle, s.sig, ident, [server_key.public_key()], tmp_path / f"o{n}")
        assert opened.files[0].path.read_bytes() == b"abc"


def test_stock_age_opens_bundle_and_minisign_verifies(
    sealed: Sealed, tmp_path: Path, journalist: Identity, server_key: SigningKey
) -> None:
    key = tmp_path / "id.txt"
    key.write_text(journalist.encode() + "\n")
    out = subprocess.run(
        ["age", "-d", "-i", str(key), str(sealed.bundle)], capture_output=True, check=True
    ).stdout
    assert out.startswith(b"samizdat/bundle\x00")
    import pyrage

    theirs = pyrage.decrypt(
        sealed.bundle.read_bytes(), [pyrage.x25519.Identity.from_str(journalist.encode())]
    )
    assert theirs == out
    pub = tmp_path / "server.pub"
    pub.write_text(server_key.public_key().minisign_text())
    res = subprocess.run(
        ["minisign", "-V", "-p", str(pub), "-m", str(sealed.bundle)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"id={sealed.submission_id} source=source-1" in res.stdout


def _expect_refused(s: Sealed, out: Path, journalist: Identity, keys: list) -> None:  # type: ignore[type-arg]
    with pytest.raises(CryptoError):
        open_bundle(s.bundle, s.sig, journalist, keys, out)
    assert not out.exists() or list(out.iterdir()) == []


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "where", ["version", "stanza", "mac", "nonce", "payload0", "payload_mid", "last_tag"]
)
def test_flipped_byte_fails_closed(
    where: str, sealed: Sealed, tmp_path: Path, journalist: Identity, server_key: SigningKey
) -> None:
    data = sealed.bundle.read_bytes()
    start = _payload_start(data)
    offsets = {
        "version": 3,
        "stanza": data.index(b"-> X25519 ") + 12,
        "mac": data.index(b"\n--- ") + 8,
        "nonce": start - 5,
        "payload0": start,
        "payload_mid": start + ENC_CHUNK + 100,
        "last_tag": len(data) - 1,
    }
    _flip(sealed.bundle, offsets[where])
    _expect_refused(sealed, tmp_path / "out", journalist, [server_key.public_key()])


def test_flipped_byte_with_resigned_bundle_fails_closed(
    sealed: Sealed, tmp_path: Path, journalist: Identity, server_key: SigningKey
) -> None:
    # Even a (compromised) signer re-signing a damaged file cannot get it opened.
    data = bytearray(sealed.bundle.read_bytes())
    data[_payload_start(bytes(data)) + 10] ^= 1
    sealed.bundle.write_bytes(bytes(data))
    comment = sealed.sig.read_text().splitlines()[2].removeprefix("trusted comment: ")
    sealed.sig.write_text(server_key.sign_bytes(bytes(data), comment))
    _expect_refused(sealed, tmp_path / "out", journalist, [server_key.public_key()])


@pytest.mark.parametrize("line", [1, 3])
def test_flipped_signature_fails_closed(
    line: int, sealed: Sealed, tmp_path: Path, journalist: Identity, server_key: SigningKey
) -> None:
    lines = sealed.sig.read_text().split("\n")
    raw = bytearray(lines[line].encode())
    raw[20] = ord("A") if raw[20] != ord("A") else ord("B")
    lines[line] = raw.decode()
    sealed.sig.write_text("\n".join(lines))
    _expect_refused(sealed, tmp_path / "out", journalist, [server_key.public_key()])


def test_edited_trusted_comment_fails_closed(
    sealed: Sealed, tmp_path: Path, journalist: Identity, server_key: SigningKey
) -> None:
    sealed.sig.write_text(sealed.sig.read_text().replace("source=source-1", "source=source-2"))
    _expect_refused(sealed, tmp_path / "out", journalist, [server_key.public_key()])


def _resign(s: Sealed, key: SigningKey, comment: str) -> None:
    s.sig.write_text(key.sign_bytes(s.bundle.read_bytes(), comment))


def test_bundle_moved_to_another_source_fails_closed(
    sealed: Sealed, tmp_path: Path, journalist: Identity, server_key: SigningKey
) -> None:
    comment = sealed.sig.read_text().splitlines()[2].removeprefix("trusted comment: ")
    _resign(sealed, server_key, comment.replace("source=source-1", "source=source-2"))
    _expect_refused(sealed, tmp_path / "out", journalist, [server_key.public_key()])


def test_bundle_replayed_under_other_day_or_recipients_fails_closed(
    sealed: Sealed, tmp_path: Path, journalist: Identity, server_key: SigningKey
) -> None:
    comment = sealed.sig.read_text().splitlines()[2].removeprefix("trusted comment: ")
    for bad in (
        comment.replace("day=2026-11-25", "day=2026-11-26"),
        comment.split(" recipients=")[0] + " recipients=sha256:" + "0" * 64,
    ):
        _resign(sealed, server_key, bad)
        _expect_refused(sealed, tmp_path / "out", journalist, [server_key.public_key()])


def test_bundle_renamed_to_another_id_fails_closed(
    sealed: Sealed, tmp_path: Path, journalist: Identity, server_key: SigningKey
) -> None:
    other = sealed.bundle.with_name("00000000-0000-4000-8000-000000000000.age")
    sealed.bundle.rename(other)
    sig = other.with_name(other.name + ".minisig")
    sealed.sig.rename(sig)
    with pytest.raises(CryptoError):
        open_bundle(other, sig, journalist, [server_key.public_key()], tmp_path / "out")


def test_wrong_signer_fails_closed(
    sealed: Sealed, tmp_path: Path, journalist: Identity, server_key: SigningKey
) -> None:
    _expect_refused(sealed, tmp_path / "out", journalist, [SigningKey.generate().public_key()])
    comment = sealed.sig.read_text().splitlines()[2].removeprefix("trusted comment: ")
    _resign(sealed, SigningKey.generate(), comment)
    _expect_refused(sealed, tmp_path / "out", journalist, [server_key.public_key()])


def test_key_chain_successor_is_trusted(
    sealed: Sealed, tmp_path: Path, journalist: Identity, server_key: SigningKey
) -> None:
    new = SigningKey.generate()
    chain = KeyChain.create(server_key).rotate(server_key, new)
    comment = sealed.sig.read_text().splitlines()[2].removeprefix("trusted comment: ")
    _resign(sealed, new, comment)
    trusted = KeyChain.from_json(chain.to_json()).resolve(server_key.public_key())
    opened = open_bundle(sealed.bundle, sealed.sig, journalist, trusted, tmp_path / "out")
    assert opened.signer == new.public_key()


def test_wrong_identity_fails_closed(
    sealed: Sealed, tmp_path: Path, server_key: SigningKey
) -> None:
    _expect_refused(sealed, tmp_path / "out", generate_identity(), [server_key.public_key()])


def _resign_same(s: Sealed, key: SigningKey) -> None:
    comment = s.sig.read_text().splitlines()[2].removeprefix("trusted comment: ")
    _resign(s, key, comment)


@pytest.mark.parametrize("cut", ["header", "nonce", "at_boundary", "between", "last_byte"])
def test_truncation_fails_closed(
    cut: str, sealed: Sealed, tmp_path: Path, journalist: Identity, server_key: SigningKey
) -> None:
    # Re-signed after truncating, so only the age layer can catch it.
    data = sealed.bundle.read_bytes()
    start = _payload_start(data)
    at = {
        "header": 40,
        "nonce": start - 3,
        "at_boundary": start + 2 * ENC_CHUNK,
        "between": start + ENC_CHUNK + 777,
        "last_byte": len(data) - 1,
    }[cut]
    sealed.bundle.write_bytes(data[:at])
    _resign_same(sealed, server_key)
    _expect_refused(sealed, tmp_path / "out", journalist, [server_key.public_key()])


def test_swapped_chunks_fail_closed(
    sealed: Sealed, tmp_path: Path, journalist: Identity, server_key: SigningKey
) -> None:
    data = sealed.bundle.read_bytes()
    s = _payload_start(data)
    a, b = data[s : s + ENC_CHUNK], data[s + ENC_CHUNK : s + 2 * ENC_CHUNK]
    sealed.bundle.write_bytes(data[:s] + b + a + data[s + 2 * ENC_CHUNK :])
    _resign_same(sealed, server_key)
    _expect_refused(sealed, tmp_path / "out", journalist, [server_key.public_key()])


@pytest.mark.parametrize("extra", [1, 17, ENC_CHUNK])
def test_appended_bytes_fail_closed(
    extra: int, sealed: Sealed, tmp_path: Path, journalist: Identity, server_key: SigningKey
) -> None:
    sealed.bundle.write_bytes(sealed.bundle.read_bytes() + os.urandom(extra))
    _expect_refused(sealed, tmp_path / "out", journalist, [server_key.public_key()])
    _resign_same(sealed, server_key)
    _expect_refused(sealed, tmp_path / "out", journalist, [server_key.public_key()])


def test_dropped_stanza_fails_closed(
    tmp_path: Path, server_key: SigningKey, source_reply: Identity
) -> None:
    ids = [generate_identity(), generate_identity()]
    s = seal(tmp_path, ids, server_key, source_reply, [("a", b"abc")])
    data = s.bundle.read_bytes()
    first = data.index(b"-> X25519 ")
    second = data.index(b"-> X25519 ", first + 1)
    s.bundle.write_bytes(data[:first] + data[second:])
    _resign_same(s, server_key)
    for ident in ids:
        _expect_refused(s, tmp_path / "out", ident, [server_key.public_key()])


def test_read_manifest_binds_to_signature(
    sealed: Sealed, journalist: Identity, server_key: SigningKey, source_reply: Identity
) -> None:
    m = read_manifest(
        sealed.bundle, journalist, sig_path=sealed.sig, trusted=[server_key.public_key()]
    )
    assert m["reply_recipient"] == source_reply.recipient().encode()
    with pytest.raises(CryptoError):
        read_manifest(
            sealed.bundle,
            journalist,
            sig_path=sealed.sig,
            trusted=[SigningKey.generate().public_key()],
        )


def test_sealer_streams_in_constant_memory_shape(
    tmp_path: Path, journalist: Identity, server_key: SigningKey, source_reply: Identity
) -> None:
    # Size of the bundle tracks the Padmé length of the container, not a buffer.
    s = seal(
        tmp_path,
        [journalist],
        server_key,
        source_reply,
        [("big.bin", os.urandom(3 * 1024 * 1024 + 5))],
        chunk=7777,
    )
    opened = open_bundle(s.bundle, s.sig, journalist, [server_key.public_key()], tmp_path / "o")
    assert opened.files[0].size == 3 * 1024 * 1024 + 5


@pytest.mark.parametrize(
    "evil", ["../escape.txt", "/etc/passwd", "a/../../b", ".", "..", "x\x00y", "CON"]
)
def test_unsanitised_name_in_signed_bundle_is_refused(  # noqa: PLR0917 - fixtures are injected by name
    evil: str,
    tmp_path: Path,
    journalist: Identity,
    server_key: SigningKey,
    source_reply: Identity,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A buggy or hostile sealer (here: sanitising switched off) writes a raw name;
    # the opener must refuse it rather than repair it or write outside out_dir.
    import crypto.container

    monkeypatch.setattr(crypto.container, "sanitise_name", lambda n: n)
    monkeypatch.setattr(crypto.container, "dedupe", lambda n, taken: n)
    s = seal(tmp_path, [journalist], server_key, source_reply, [(evil, b"payload")])
    out = tmp_path / "deep" / "out"
    _expect_refused(s, out, journalist, [server_key.public_key()])
    leaked = [p for p in tmp_path.rglob("*") if p.is_file() and p.read_bytes() == b"payload"]
    assert leaked == []
