"""The real `samizdat journalist keygen | decrypt | reply` commands, via subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from crypto.bundle import BundleSealer
from crypto.codename import derive_source_keys
from crypto.keychain import KeyChain
from crypto.keys import Recipient
from crypto.reply import open_reply
from crypto.signing import SigningKey

SAMIZDAT = str(Path(sys.executable).parent / "samizdat")
LOOKUP, REPLY = b"L" * 32, b"R" * 32
CODENAME = "abacus abdomen abdominal abide abiding ability ablaze able"


def run(
    *args: str, cwd: Path, stdin: int | None = subprocess.DEVNULL
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SAMIZDAT_DEBUG"}
    return subprocess.run(
        [SAMIZDAT, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=stdin,
        env=env,
        timeout=120,
        check=False,
    )


@dataclass
class Journalist:
    dir: Path
    key: Path
    pub: Path
    pf: Path


@pytest.fixture(scope="module")
def journalist(tmp_path_factory: pytest.TempPathFactory) -> Journalist:
    d = tmp_path_factory.mktemp("journalist")
    pf = d / "pf"
    pf.write_text("correct horse battery staple\nignored second line\n")
    res = run("journalist", "keygen", "--out", "j.key", "--passphrase-file", "pf", cwd=d)
    assert res.returncode == 0, res.stderr
    pub = d / "j.key.pub"
    assert "Fingerprint:" in res.stdout
    assert Recipient.parse(pub.read_text()).fingerprint() in res.stdout
    return Journalist(d, d / "j.key", pub, pf)


def _seal(
    folder: Path,
    recipient: Recipient,
    sk: SigningKey,
    *,
    source_id: str = "src_1",
    size: int = 5000,
) -> Path:
    sid = str(uuid.uuid4())
    bundle = folder / f"{sid}.age"
    reply_to = derive_source_keys(CODENAME, LOOKUP, REPLY).reply_recipient
    with bundle.open("wb") as sink:
        s = BundleSealer(
            [recipient],
            sk,
            sink,
            submission_id=sid,
            source_id=source_id,
            day="2026-11-25",
            reply_recipient=reply_to,
        )
        s.begin_file("photo.jpg", "jpeg")
        s.write(b"\xff\xd8" + os.urandom(size))
        s.end_file({"outcome": "cleaned", "removed": {"EXIF": ["GPSLatitude"]}})
        s.begin_file("notes.bin", "unknown")
        s.write(b"raw")
        s.end_file({"outcome": "not_cleaned", "reason": "unsupported format"})
        s.set_message("Meet me.")
        (folder / f"{sid}.age.minisig").write_text(s.finish())
    return bundle


def test_keygen_files(journalist: Journalist) -> None:
    assert journalist.key.read_bytes().startswith(b"age-encryption.org/v1\n-> scrypt ")
    lines = journalist.pub.read_text().splitlines()
    assert len(lines) == 1 and lines[0].startswith("age1")
    again = run(
        "journalist", "keygen", "--out", "j.key", "--passphrase-file", "pf", cwd=journalist.dir
    )
    assert again.returncode != 0 and "already exists" in again.stderr


def test_decrypt_follows_key_chain_and_writes_folder(
    journalist: Journalist, tmp_path: Path
) -> None:
    old, new = SigningKey.generate(), SigningKey.generate()
    (tmp_path / "server.pub").write_text(old.public_key().minisign_text())
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "server-keys.json").write_text(KeyChain.create(old).rotate(old, new).to_json())
    bundle = _seal(inbox, Recipient.parse(journalist.pub.read_text()), new, size=10 << 20)
    res = run(
        "journalist",
        "decrypt",
        str(bundle),
        "--identity",
        str(journalist.key),
        "--passphrase-file",
        str(journalist.pf),
        "--server-key",
        str(tmp_path / "server.pub"),
        "--out",
        str(tmp_path / "out"),
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    folder = tmp_path / "out" / bundle.name.removesuffix(".age")
    assert sorted(p.name for p in (folder / "files").iterdir()) == ["notes.bin", "photo.jpg"]
    assert (folder / "message.txt").read_text() == "Meet me."
    report = (folder / "scrub-report.txt").read_text()
    assert "GPSLatitude" in report and "NOT CLEANED" in report and "did not open" in report
    assert "did not open" in res.stdout and "src_1" in res.stdout


def test_decrypt_bad_bundle_writes_nothing(journalist: Journalist, tmp_path: Path) -> None:
    sk = SigningKey.generate()
    (tmp_path / "server.pub").write_text(sk.public_key().minisign_text())
    recipient = Recipient.parse(journalist.pub.read_text())
    good = _seal(tmp_path, recipient, sk)
    bad = _seal(tmp_path, recipient, sk)
    data = bytearray(bad.read_bytes())
    data[-100] ^= 1
    bad.write_bytes(bytes(data))
    unsigned = _seal(tmp_path, recipient, sk)
    unsigned.with_name(unsigned.name + ".minisig").unlink()
    res = run(
        "journalist",
        "decrypt",
        str(good),
        str(bad),
        str(unsigned),
        "--identity",
        str(journalist.key),
        "--passphrase-file",
        str(journalist.pf),
        "--server-key",
        "server.pub",
        "--out",
        "out",
        cwd=tmp_path,
    )
    assert res.returncode == 1
    assert "error:" in res.stderr and "hint:" in res.stderr and "Traceback" not in res.stderr
    assert [p.name for p in (tmp_path / "out").iterdir()] == [good.name.removesuffix(".age")]


def test_decrypt_without_tty_or_passphrase_file_fails_with_hint(
    journalist: Journalist, tmp_path: Path
) -> None:
    sk = SigningKey.generate()
    (tmp_path / "server.pub").write_text(sk.public_key().minisign_text())
    bundle = _seal(tmp_path, Recipient.parse(journalist.pub.read_text()), sk)
    res = run(
        "journalist",
        "decrypt",
        str(bundle),
        "--identity",
        str(journalist.key),
        "--server-key",
        "server.pub",
        "--out",
        "out",
        cwd=tmp_path,
    )
    assert res.returncode != 0
    assert "--passphrase-file" in res.stderr and "hint:" in res.stderr
    wrong = tmp_path / "wrong"
    wrong.write_text("not it\n")
    res = run(
        "journalist",
        "decrypt",
        str(bundle),
        "--identity",
        str(journalist.key),
        "--passphrase-file",
        str(wrong),
        "--server-key",
        "server.pub",
        "--out",
        "out",
        cwd=tmp_path,
    )
    assert res.returncode != 0 and "unlock" in res.stderr and "hint:" in res.stderr
    assert not (tmp_path / "out").exists()


def test_reply_seals_to_source_and_journalist(journalist: Journalist, tmp_path: Path) -> None:
    sk = SigningKey.generate()
    (tmp_path / "server.pub").write_text(sk.public_key().minisign_text())
    bundle = _seal(tmp_path, Recipient.parse(journalist.pub.read_text()), sk, source_id="src_77")
    (tmp_path / "msg.txt").write_text("Thanks, we got it.")
    res = run(
        "journalist",
        "reply",
        str(bundle),
        "--identity",
        str(journalist.key),
        "--passphrase-file",
        str(journalist.pf),
        "--message-file",
        "msg.txt",
        "--out",
        "reply.age",
        "--server-key",
        "server.pub",
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    assert "--source src_77" in res.stdout
    sealed = (tmp_path / "reply.age").read_bytes()
    source = derive_source_keys(CODENAME, LOOKUP, REPLY)
    assert open_reply(sealed, source.reply_identity) == b"Thanks, we got it."
    other = SigningKey.generate()
    (tmp_path / "other.pub").write_text(other.public_key().minisign_text())
    res = run(
        "journalist",
        "reply",
        str(bundle),
        "--identity",
        str(journalist.key),
        "--passphrase-file",
        str(journalist.pf),
        "--message-file",
        "msg.txt",
        "--out",
        "reply2.age",
        "--server-key",
        "other.pub",
        cwd=tmp_path,
    )
    assert res.returncode == 1 and not (tmp_path / "reply2.age").exists()
