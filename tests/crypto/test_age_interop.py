"""Cross-implementation: our age writer/reader against Debian's age and pyrage."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
from pathlib import Path

import pyrage
import pytest

from crypto.age import AgeReader, AgeWriter, decrypt_bytes, encrypt_bytes
from crypto.errors import CryptoError
from crypto.keys import Identity, generate_identity

K = 64 * 1024
SIZES = [0, 1, K - 1, K, K + 1, 3 * K, 5 * K + 123, 16 * K, 17 * K]


@pytest.mark.parametrize("size", SIZES)
def test_ours_to_stock_age_and_pyrage(size: int, tmp_path: Path) -> None:
    me = generate_identity()
    other = generate_identity()
    data = os.urandom(size)
    sealed = encrypt_bytes(data, [other.recipient(), me.recipient()])
    key = tmp_path / "key.txt"
    key.write_text(me.encode() + "\n")
    enc = tmp_path / "f.age"
    enc.write_bytes(sealed)
    out = subprocess.run(
        ["age", "-d", "-i", str(key), str(enc)], capture_output=True, check=True
    ).stdout
    assert out == data
    assert pyrage.decrypt(sealed, [pyrage.x25519.Identity.from_str(me.encode())]) == data


@pytest.mark.parametrize("size", SIZES)
def test_stock_age_and_pyrage_to_ours(size: int, tmp_path: Path) -> None:
    me = generate_identity()
    data = os.urandom(size)
    plain = tmp_path / "p"
    plain.write_bytes(data)
    enc = tmp_path / "p.age"
    subprocess.run(
        ["age", "-e", "-r", me.recipient().encode(), "-o", str(enc), str(plain)], check=True
    )
    assert decrypt_bytes(enc.read_bytes(), [me]) == data
    from_pyrage = pyrage.encrypt(data, [pyrage.x25519.Recipient.from_str(me.recipient().encode())])
    assert decrypt_bytes(from_pyrage, [me]) == data


def test_pyrage_passphrase_both_ways() -> None:
    data = b"secret key line\n"
    assert decrypt_bytes(pyrage.passphrase.encrypt(data, "hunter2"), passphrase=b"hunter2") == data
    sink = io.BytesIO()
    w = AgeWriter.with_passphrase(b"hunter2", sink, log_n=10)
    w.write(data)
    w.close()
    assert pyrage.passphrase.decrypt(sink.getvalue(), "hunter2") == data
    with pytest.raises(CryptoError):
        decrypt_bytes(sink.getvalue(), passphrase=b"wrong")


def test_writer_push_style_arbitrary_splits(tmp_path: Path) -> None:
    me = generate_identity()
    data = os.urandom(9 * K + 17)
    sink = io.BytesIO()
    w = AgeWriter([me.recipient()], sink)
    for piece in (1, K - 1, 2, K, 3 * K + 5, 0, 7, len(data)):
        w.write(data[:piece])
        data = data[piece:]
    w.close()
    key = tmp_path / "k"
    key.write_text(me.encode())
    enc = tmp_path / "e"
    enc.write_bytes(sink.getvalue())
    subprocess.run(["age", "-d", "-i", str(key), "-o", str(tmp_path / "o"), str(enc)], check=True)


def test_identity_string_round_trips_with_age_keygen(tmp_path: Path) -> None:
    keyfile = tmp_path / "k"
    subprocess.run(["age-keygen", "-o", str(keyfile)], check=True, capture_output=True)
    lines = keyfile.read_text().splitlines()
    ident = Identity.parse(lines[-1])
    assert lines[1] == f"# public key: {ident.recipient().encode()}"
    assert ident.encode() == lines[-1]


@pytest.mark.slow
def test_100_mib_both_directions(tmp_path: Path) -> None:
    me = generate_identity()
    key = tmp_path / "k"
    key.write_text(me.encode())
    plain = tmp_path / "p"
    block = os.urandom(1 << 20)
    want = hashlib.sha256()
    with plain.open("wb") as f:
        for i in range(100):
            chunk = block[i:] + block[:i]
            f.write(chunk)
            want.update(chunk)
    enc = tmp_path / "ours.age"
    with plain.open("rb") as src, enc.open("wb") as sink:
        w = AgeWriter([me.recipient()], sink)
        while b := src.read(3 << 20):
            w.write(b)
        w.close()
    dec = tmp_path / "dec"
    subprocess.run(["age", "-d", "-i", str(key), "-o", str(dec), str(enc)], check=True)
    got = hashlib.sha256()
    with dec.open("rb") as f:
        while b := f.read(1 << 20):
            got.update(b)
    dec.unlink()
    assert got.hexdigest() == want.hexdigest()
    theirs = tmp_path / "theirs.age"
    subprocess.run(
        ["age", "-e", "-r", me.recipient().encode(), "-o", str(theirs), str(plain)], check=True
    )
    h = hashlib.sha256()
    with theirs.open("rb") as src:
        for piece in AgeReader(src, [me]).chunks():
            h.update(piece)
    assert h.hexdigest() == want.hexdigest()
