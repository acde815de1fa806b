"""Identity files (stock age compatible), codenames, passwords and replies."""

from __future__ import annotations

import os
import pty
import select
import stat
import subprocess
import time
from pathlib import Path

import pytest

from crypto.codename import (
    CODENAME_WORDS,
    derive_source_keys,
    generate_codename,
    normalise,
    wordlist,
)
from crypto.errors import CryptoError, KeyFormatError
from crypto.identity import load_identity_file, read_passphrase_file, write_identity_file
from crypto.keys import Identity, Recipient, generate_identity
from crypto.passwords import generate_password, hash_password, verify_password
from crypto.reply import check_age_header, open_reply, seal_reply


def test_identity_file_round_trip_and_mode(tmp_path: Path) -> None:
    ident = generate_identity()
    path = tmp_path / "id"
    write_identity_file(path, ident, "a long passphrase", log_n=10)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"age-encryption.org/v1\n-> scrypt ")
    assert load_identity_file(path, "a long passphrase").recipient() == ident.recipient()
    with pytest.raises(KeyFormatError) as info:
        load_identity_file(path, "wrong")
    assert info.value.hint
    with pytest.raises(FileExistsError):
        write_identity_file(path, ident, "again", log_n=10)


def _run_with_tty_passphrase(argv: list[str], passphrase: str) -> bytes:
    """Run stock age with a pseudo-terminal to type the passphrase into (as a human would)."""
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.execvp(argv[0], argv)  # noqa: S606 - fixed argv from the test
    out = b""
    sent = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if not ready:
            continue
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
        if not sent and b"passphrase" in out.lower():
            os.write(fd, passphrase.encode() + b"\n")
            sent = True
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, out
    return out


def test_stock_age_uses_our_identity_file(tmp_path: Path) -> None:
    ident = generate_identity()
    idfile = tmp_path / "id"
    write_identity_file(idfile, ident, "correct horse", log_n=12)
    msg = tmp_path / "m.age"
    subprocess.run(
        ["age", "-e", "-r", ident.recipient().encode(), "-o", str(msg)],
        input=b"hello from age",
        check=True,
    )
    out = tmp_path / "m.txt"
    _run_with_tty_passphrase(
        ["age", "-d", "-i", str(idfile), "-o", str(out), str(msg)], "correct horse"
    )
    assert out.read_bytes() == b"hello from age"


def test_passphrase_file_is_first_line_without_ending(tmp_path: Path) -> None:
    p = tmp_path / "pf"
    p.write_bytes(b"  spaced pass \r\nsecond line\n")
    assert read_passphrase_file(p) == "  spaced pass "
    p.write_bytes(b"only")
    assert read_passphrase_file(p) == "only"


def test_recipient_parse_refuses_secret_key() -> None:
    ident = generate_identity()
    with pytest.raises(KeyFormatError) as info:
        Recipient.parse(ident.encode())
    assert "secret" in str(info.value)
    with pytest.raises(KeyFormatError):
        Recipient.parse(ident.recipient().encode()[:-1] + "q")  # bad checksum
    with pytest.raises(KeyFormatError):
        Recipient.parse(ident.recipient().encode().upper())
    assert "AGE-SECRET" not in repr(ident)
    assert Recipient.parse(" " + ident.recipient().encode() + "\n") == ident.recipient()
    assert len(ident.recipient().fingerprint().split()) == 8


def test_codename_shape_and_entropy() -> None:
    assert len(wordlist()) == 7776
    name = generate_codename()
    assert len(name.split(" ")) == CODENAME_WORDS >= 7
    assert all(w in wordlist() for w in name.split(" "))
    assert normalise("  Abacus\tABDOMEN\u00a0abdominal ") == "abacus abdomen abdominal"
    with pytest.raises(ValueError, match="7"):
        generate_codename(6)


def test_derive_source_keys_separates_secrets() -> None:
    code = "abacus abdomen abdominal abide abiding ability ablaze"
    s1, s2 = b"\x01" * 32, b"\x02" * 32
    a = derive_source_keys(code, s1, s2)
    assert (
        derive_source_keys(
            "  ABACUS abdomen abdominal abide abiding ability ablaze", s1, s2
        ).lookup_id
        == a.lookup_id
    )
    assert derive_source_keys(code, b"\x03" * 32, s2).lookup_id != a.lookup_id
    b = derive_source_keys(code, s1, b"\x04" * 32)
    assert b.lookup_id == a.lookup_id and b.reply_recipient != a.reply_recipient
    assert a.reply_identity.recipient() == a.reply_recipient
    assert "secret" in repr(a)
    with pytest.raises(ValueError, match="differ"):
        derive_source_keys(code, s1, s1)


def test_passwords() -> None:
    pw = generate_password()
    assert len(pw.split("-")) == 7
    h = hash_password(pw)
    assert h.startswith("$argon2id$")
    assert verify_password(h, pw)
    assert not verify_password(h, pw + "x")
    assert not verify_password("not a hash", pw)


def test_reply_round_trip_and_refusals() -> None:
    source = generate_identity()
    journalist = generate_identity()
    sealed = seal_reply(
        "Thank you — we will call.".encode(), [source.recipient(), journalist.recipient()]
    )
    check_age_header(sealed)
    assert open_reply(sealed, source) == "Thank you — we will call.".encode()
    assert open_reply(sealed, journalist).startswith(b"Thank you")
    with pytest.raises(CryptoError):
        open_reply(sealed, generate_identity())
    with pytest.raises(CryptoError):
        open_reply(sealed[:-1], source)
    for bad in (b"", b"hello", sealed[:40]):
        with pytest.raises(CryptoError):
            check_age_header(bad)
    from crypto.age import encrypt_bytes

    plain_age = encrypt_bytes(b"no magic", [source.recipient()])
    with pytest.raises(CryptoError):
        open_reply(plain_age, source)
    assert isinstance(Identity.parse(source.encode()), Identity)


def test_check_age_header_ignores_grease_and_refuses_passphrase_files() -> None:
    pyrage = pytest.importorskip("pyrage")
    source = generate_identity()
    # rage/pyrage add "grease" stanzas of random unknown types; the age spec
    # says readers ignore them, so an upload sealed with such a tool is fine.
    for _ in range(8):
        sealed = pyrage.encrypt(
            b"reply", [pyrage.x25519.Recipient.from_str(source.recipient().encode())]
        )
        check_age_header(sealed)
    with pytest.raises(CryptoError):
        check_age_header(pyrage.passphrase.encrypt(b"reply", "correct horse"))
    with pytest.raises(CryptoError):
        check_age_header(b"\0" * (2 * 1024 * 1024 + 1))
