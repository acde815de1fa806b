"""Backup and restore end to end through the real admin CLI.

A backup restored into an empty directory on another path is a working
instance: the server starts, old bundles still open with the journalist's
identity and the enrolment-pinned signing key, and a new submission works.
A corrupted or tampered backup, a wrong key, or a non-empty target is a
clear error and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import tarfile
from pathlib import Path

import pytest

from crypto.age import AgeReader, AgeWriter
from crypto.keychain import KeyChain
from crypto.keys import generate_identity
from crypto.signing import PublicKey
from server.admin.errors import BackupError
from server.backup import Unlock, verify_backup
from tests.server.admin_helpers import (
    ok,
    open_sealed,
    run_admin,
    seal_submission,
    tree_snapshot,
    write_pub,
)

DAY = dt.datetime.now(dt.UTC).date().isoformat()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:  # type: ignore[type-arg]
    base = tmp_path_factory.mktemp("backup")
    d = base / "live" / "data"
    ok("init", "--data-dir", d)
    ok("signing-key", "export", "--out", base / "server.pub", "--data-dir", d)
    alice = generate_identity()
    write_pub(base / "alice.pub", alice)
    ok("journalist", "add", "alice", "--public-key", base / "alice.pub", "--data-dir", d)
    sealed = [seal_submission(d, DAY, f"document {i}".encode()) for i in range(2)]
    ok("signing-key", "rotate", "--yes", "--data-dir", d)
    sealed.append(seal_submission(d, DAY, b"after a signing-key rotation"))
    backup_id = generate_identity()
    (base / "backup.key").write_text(f"# backup identity\n{backup_id.encode()}\n")
    write_pub(base / "backup.pub", backup_id)
    ok("backup", "--out", base / "b.age", "--recipient", base / "backup.pub", "--data-dir", d)
    return {"base": base, "data": d, "alice": alice, "sealed": sealed, "backup_id": backup_id}


@pytest.mark.slow
def test_restore_on_another_path_opens_old_bundles(world: dict) -> None:  # type: ignore[type-arg]
    base = world["base"]
    blob = (base / "b.age").read_bytes()
    assert blob.startswith(b"age-encryption.org/v1\n")
    seed = (world["data"] / "keys" / "signing.key").read_text().splitlines()[1]
    assert seed.encode() not in blob and b"samizdat-server-keys" not in blob

    target = base / "elsewhere" / "restored"
    r = ok("restore", base / "b.age", "--identity", base / "backup.key", "--data-dir", target)
    assert "3 submissions" in r.out
    status = ok("status", "--json", "--data-dir", target).json()
    assert status["submissions"] == 3 and status["journalists_active"] == 1

    pinned = PublicKey.parse((base / "server.pub").read_text())
    chain = KeyChain.from_json((target / "keys" / "server-keys.json").read_text())
    trusted = chain.resolve(pinned)
    for i, s in enumerate(world["sealed"]):
        bundle = target / "store" / "bundles" / s.bundle.name
        sig = target / "store" / "bundles" / s.signature.name
        data = open_sealed(bundle, sig, world["alice"], trusted, base / f"open{i}")
        assert data == (f"document {i}".encode() if i < 2 else b"after a signing-key rotation")

    # The restored instance is a working one: the apps build on it, the
    # codename secrets came along, and a new submission seals and opens.
    from server.journalist.app import create_journalist_app
    from server.settings import load_settings
    from server.source.app import create_source_app

    settings = load_settings(target)
    assert create_source_app(settings) is not None
    assert create_journalist_app(settings) is not None
    assert (target / "keys" / "codename-lookup.secret").read_bytes() == (
        world["data"] / "keys" / "codename-lookup.secret"
    ).read_bytes()
    fresh = seal_submission(target, DAY, b"new after restore")
    assert open_sealed(fresh.bundle, fresh.signature, world["alice"], trusted, base / "o-new") == (
        b"new after restore"
    )
    # The restore is in the restored instance's audit log (the backup event
    # is recorded on the live instance, after its snapshot).
    actions = [e["action"] for e in ok("audit", "--json", "--data-dir", target).json()]
    assert actions == ["instance.init", "journalist.add", "signing-key.rotate", "restore"]


@pytest.mark.slow
def test_passphrase_backup_round_trip(world: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    (tmp_path / "pp").write_text("a long backup passphrase\n")
    out = tmp_path / "p.age"
    ok("backup", "--out", out, "--passphrase-file", tmp_path / "pp", "--data-dir", world["data"])
    (tmp_path / "wrong").write_text("not it\n")
    target = tmp_path / "r"
    r = run_admin("restore", out, "--passphrase-file", tmp_path / "wrong", "--data-dir", target)
    assert r.code != 0 and "cannot be opened" in r.err and not target.exists()
    ok("restore", out, "--passphrase-file", tmp_path / "pp", "--data-dir", target)
    assert (target / "INSTANCE").is_file()


def _expect_refused(backup: Path, world: dict, target: Path, needle: str) -> None:  # type: ignore[type-arg]
    r = run_admin(
        "restore", backup, "--identity", world["base"] / "backup.key", "--data-dir", target
    )
    assert r.code != 0, r.out
    assert re.search(needle, r.err), r.err
    assert "hint:" in r.err
    assert not target.exists()


@pytest.mark.slow
def test_corrupted_backup_changes_nothing(world: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    blob = bytearray((world["base"] / "b.age").read_bytes())
    blob[len(blob) // 2] ^= 0x01
    (tmp_path / "flipped.age").write_bytes(bytes(blob))
    _expect_refused(tmp_path / "flipped.age", world, tmp_path / "t1", "damaged or was tampered")
    (tmp_path / "short.age").write_bytes(bytes(blob[: len(blob) // 3]))
    unlock = Unlock(identity=world["backup_id"])
    with pytest.raises(BackupError):
        verify_backup(tmp_path / "short.age", unlock)
    with pytest.raises(BackupError, match="cannot be opened"):
        verify_backup(world["base"] / "b.age", Unlock(identity=generate_identity()))


def _reseal(world: dict, src: Path, dst: Path, edit) -> None:  # type: ignore[no-untyped-def, type-arg]
    """What an attacker holding only the backup *public* key can do: unpack
    (here with the identity, standing in for an earlier leak of the plaintext),
    change members, and seal a new file to the same recipient."""
    with src.open("rb") as f:
        plain = AgeReader(f, [world["backup_id"]]).read_all()
    members = []
    with tarfile.open(fileobj=io.BytesIO(plain), mode="r") as tar:
        for m in tar.getmembers():
            fo = tar.extractfile(m)
            members.append((m, fo.read() if fo else b""))
    out_tar = io.BytesIO()
    with tarfile.open(fileobj=out_tar, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for m, data in edit(members):
            m.size = len(data)
            tar.addfile(m, io.BytesIO(data))
    with dst.open("wb") as sink:
        w = AgeWriter([world["backup_id"].recipient()], sink)
        w.write(out_tar.getvalue())
        w.close()


@pytest.mark.slow
def test_tampered_backup_changes_nothing(world: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    src = world["base"] / "b.age"

    def swap_config(members):  # type: ignore[no-untyped-def]
        return [(m, b"source_port = 1\n" if m.name == "config.toml" else d) for m, d in members]

    def drop_bundle(members):  # type: ignore[no-untyped-def]
        return [(m, d) for m, d in members if not m.name.endswith(".age")][:]

    def escape(members):  # type: ignore[no-untyped-def]
        first, data = members[0]
        first.name = "../outside"
        return [(first, data), *members[1:]]

    for i, (edit, needle) in enumerate(
        [
            (swap_config, "do not match its manifest"),
            (drop_bundle, "do not match its manifest"),
            (escape, "outside an instance"),
        ]
    ):
        bad = tmp_path / f"bad{i}.age"
        _reseal(world, src, bad, edit)
        _expect_refused(bad, world, tmp_path / f"t{i}", needle)
    assert not (tmp_path / "outside").exists()


@pytest.mark.slow
def test_restore_never_overwrites(world: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    before = tree_snapshot(world["data"])
    r = run_admin(
        "restore", world["base"] / "b.age", "--identity", world["base"] / "backup.key",
        "--data-dir", world["data"],
    )  # fmt: skip
    assert r.code != 0 and "not empty" in r.err
    assert tree_snapshot(world["data"]) == before
    # A backup is never written inside the data dir it backs up.
    r = run_admin(
        "backup", "--out", world["data"] / "x.age", "--recipient", world["base"] / "backup.pub",
        "--data-dir", world["data"],
    )  # fmt: skip
    assert r.code != 0 and not (world["data"] / "x.age").exists()
