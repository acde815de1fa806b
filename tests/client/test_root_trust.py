"""A journalist who pinned the organisation root key (SPEC §9): the real
`samizdat journalist trust | fetch | decrypt` (subprocesses) against an
instance made and rotated with the real admin commands (`admin init`,
`root-key init|pin|sign|revoke`, `signing-key rotate|install-cert`,
`root-key install-revocations`); the journalist app serves it in-process.

Proves: a root-certified rotated key is accepted; a chain extended with the
seized live key but no root certificate is refused (while the chain alone
would accept it); a revoked key is refused, also for bundles fetched before
the revocation; an older revocation list is refused (rollback), online and
offline."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from crypto.signing import SigningKey
from crypto.totp import STEP_SECONDS, totp_code
from server.instance import InstancePaths
from server.settings import load_settings
from tests.client.online_fixtures import Run, live_server, samizdat
from tests.server.admin_helpers import Sealed, ok, seal_submission
from tests.server.journalist_fixtures import FakeClock, Instance
from tests.support.server_process import FreshInstance, make_instance

pytestmark = pytest.mark.slow


@dataclass
class Newsroom:
    inst: FreshInstance
    paths: InstancePaths
    root_dir: Path  # the offline root machine's folder
    url: str
    clock: FakeClock
    client: Path  # the journalist's client folder (pins, remembered serial)
    tmp: Path

    @property
    def data(self) -> Path:
        return self.inst.data_dir

    def key_id(self) -> str:
        return SigningKey.load(self.paths.signing_key).public_key().key_id_hex

    def rotate(self, *, certify: bool) -> str:
        """`admin signing-key rotate`; with `certify`, the root signs the request
        offline and the admin installs the certificate. Returns the new key id."""
        r = ok("signing-key", "rotate", "--json", "--yes", "--data-dir", self.data).json()
        if certify:
            self.certify(Path(r["root_request"]))
        return str(r["new_key_id"])

    def certify(self, request: Path) -> None:
        cert = self.tmp / f"cert-{request.stem}.json"
        ok("root-key", "sign", request, "--root", self.root_dir, "--out", cert, "--yes")
        ok("signing-key", "install-cert", cert, "--yes", "--data-dir", self.data)

    def revoke(self, serial: int, *key_ids: str) -> None:
        lst = self.tmp / f"revocations-{serial}.json"
        ok("root-key", "revoke", *key_ids, "--root", self.root_dir, "--serial", str(serial),
           "--out", lst, "--yes")  # fmt: skip
        ok("root-key", "install-revocations", lst, "--yes", "--data-dir", self.data)

    def seal(self, payload: bytes) -> Sealed:
        """A bundle sealed and signed with the server's current key, as ingest does."""
        return seal_submission(self.data, self.clock.now.date().isoformat(), payload)

    def journalist(self, *args: str | Path, client: Path | None = None) -> Run:
        return samizdat("journalist", *args, client_dir=client or self.client)

    def fetch(self, out: Path, *extra: str | Path, client: Path | None = None) -> Run:
        self.clock.advance(STEP_SECONDS)  # a TOTP code works once
        pw = self.tmp / "password.txt"
        pw.write_text(self.inst.journalist["password"] + "\n")
        code = totp_code(self.inst.journalist["totp_secret"], self.clock.ts())
        return self.journalist(
            "fetch", "--server", self.url, "--user", self.inst.journalist["name"],
            "--password-file", pw, "--otp", code, "--out", out, *extra, client=client,
        )  # fmt: skip

    def decrypt(self, bundles: list[Path], out: Path, *extra: str | Path, **kw: Path) -> Run:
        return self.journalist(
            "decrypt", *bundles, "--identity", self.inst.identity_file,
            "--passphrase-file", self.inst.passphrase_file, "--out", out, *extra, **kw,
        )  # fmt: skip


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, FreshInstance]:
    """Built once per worker with the real CLIs, copied for each test: an
    instance whose first signing key the root certified, and a journalist
    who pinned the root."""
    base = tmp_path_factory.mktemp("newsroom")
    inst = make_instance(base)  # admin init, keygen, journalist add, signing-key export
    root_dir = base / "root-machine"
    ok("root-key", "init", "--out", root_dir, "--yes")
    pinned = ok("root-key", "pin", root_dir / "root.pub", "--yes", "--data-dir", inst.data_dir)
    request = Path(pinned.out.rsplit(": ", 1)[1].strip())
    cert = base / "cert-first.json"
    ok("root-key", "sign", request, "--root", root_dir, "--out", cert, "--yes")
    ok("signing-key", "install-cert", cert, "--yes", "--data-dir", inst.data_dir)
    trusted = samizdat("journalist", "trust", "--root-key", root_dir / "root.pub",
                       client_dir=base / "client")  # fmt: skip
    assert trusted.code == 0, trusted.err
    assert "pinned organisation root key" in trusted.out
    return base, inst


@pytest.fixture
def newsroom(template: tuple[Path, FreshInstance], tmp_path: Path) -> Iterator[Newsroom]:
    src, made = template
    base = tmp_path / "room"
    shutil.copytree(src, base)

    def moved(p: Path) -> Path:
        return base / p.relative_to(src)

    inst = FreshInstance(
        moved(made.data_dir),
        moved(made.identity_file),
        moved(made.passphrase_file),
        moved(made.server_pub),
        made.journalist,
    )
    clock = FakeClock()
    with live_server(Instance(load_settings(inst.data_dir), clock)) as url:
        yield Newsroom(
            inst,
            InstancePaths(inst.data_dir),
            base / "root-machine",
            url,
            clock,
            base / "client",
            tmp_path,
        )


def _payloads(opened: Path) -> set[bytes]:
    return {p.read_bytes() for p in opened.glob("*/files/evidence.txt")}


def test_root_certified_rotated_key_is_accepted(newsroom: Newsroom) -> None:
    room = newsroom
    before = room.seal(b"sealed under the first key").store_id
    new_key = room.rotate(certify=True)
    after = room.seal(b"sealed under the rotated key").store_id
    inbox = room.tmp / "inbox"
    r = room.fetch(inbox)
    assert r.code == 0, r.err
    assert "2 fetched, 0 skipped, 0 failed" in r.out
    assert "no revocation list" in r.out and "refused" not in r.out
    assert new_key in r.out
    for sid in (before, after):
        assert (inbox / f"{sid}.age").is_file()
    bundles = sorted(inbox.glob("*.age"))

    # Offline with the pinned root only (no --server-key at all).
    d = room.decrypt(bundles, room.tmp / "opened")
    assert d.code == 0, d.err
    assert _payloads(room.tmp / "opened") == {
        b"sealed under the first key",
        b"sealed under the rotated key",
    }
    # The air-gapped machine without any pin: --root-key explicitly.
    d2 = room.decrypt(
        bundles,
        room.tmp / "opened-2",
        "--root-key",
        room.root_dir / "root.pub",
        client=room.tmp / "air-gapped",
    )
    assert d2.code == 0, d2.err
    assert len(_payloads(room.tmp / "opened-2")) == 2


def test_chain_extended_with_seized_key_without_root_cert_is_refused(newsroom: Newsroom) -> None:
    room = newsroom
    genuine = room.seal(b"genuine").store_id
    first_pub = room.tmp / "server-first.pub"
    ok("signing-key", "export", "--out", first_pub, "--data-dir", room.data)
    # The thief holds the live key: a rotation link it signs verifies, but the
    # offline root never certifies the new key.
    thief_key = room.rotate(certify=False)
    forged = room.seal(b"planted by whoever seized the server").store_id

    # Without a root the chain alone vouches for the thief's key: the threat.
    chain_only = room.tmp / "chain-only"
    assert room.journalist("trust", "--server-key", first_pub, client=chain_only).code == 0
    legacy_inbox = room.tmp / "legacy-inbox"
    legacy = room.fetch(legacy_inbox, client=chain_only)
    assert legacy.code == 0 and "2 fetched" in legacy.out, legacy.err

    inbox = room.tmp / "inbox"
    r = room.fetch(inbox)
    assert r.code == 1
    assert "1 fetched, 0 skipped, 1 failed" in r.out
    assert f"server key {thief_key} refused: no valid certificate" in r.out
    assert "error:" in r.err and "hint:" in r.err
    assert (inbox / f"{genuine}.age").is_file()
    assert not (inbox / f"{forged}.age").exists()
    assert (inbox / "quarantine" / f"{forged}.age.unverified").is_file()

    # Offline: the bundles the chain-only client accepted, checked under the root.
    d = room.decrypt(
        sorted(legacy_inbox.glob("*.age")),
        room.tmp / "opened",
        "--root-key",
        room.root_dir / "root.pub",
        client=room.tmp / "air-gapped",
    )
    assert d.code == 1
    assert f"{thief_key}" in d.err and "no valid certificate" in d.err
    assert f"{forged}.age: could not verify" in d.err
    assert _payloads(room.tmp / "opened") == {b"genuine"}

    # Under a pinned root, naming the thief's key explicitly does not help.
    thief_pub = room.tmp / "thief.pub"
    ok("signing-key", "export", "--out", thief_pub, "--data-dir", room.data)
    named = room.decrypt(
        [legacy_inbox / f"{forged}.age"], room.tmp / "opened-3", "--server-key", thief_pub
    )
    assert named.code == 1
    assert "not trusted by your organisation root" in named.err


def test_revoked_key_is_refused(newsroom: Newsroom) -> None:
    room = newsroom
    seized = room.key_id()
    early = room.seal(b"fetched before the revocation").store_id
    inbox = room.tmp / "inbox"
    assert room.fetch(inbox).code == 0
    late = room.seal(b"signed by the seized key, not yet fetched").store_id
    # The newsroom learns the server was seized: rotate, certify, revoke.
    room.rotate(certify=True)
    room.revoke(1, seized)
    fresh = room.seal(b"after the revocation").store_id

    r = room.fetch(inbox)
    assert r.code == 1
    assert "1 fetched, 1 skipped, 1 failed" in r.out
    assert "revocation list serial 1" in r.out
    assert f"server key {seized} refused: revoked by the organisation root" in r.out
    assert (inbox / f"{fresh}.age").is_file()
    assert not (inbox / f"{late}.age").exists()
    assert (inbox / "quarantine" / f"{late}.age.unverified").is_file()
    assert list(json.loads((room.client / "root-revocations.json").read_text()).values()) == [1]

    # The bundle fetched before the revocation no longer opens: the
    # server-keys.json now beside it carries the list.
    d = room.decrypt([inbox / f"{early}.age", inbox / f"{fresh}.age"], room.tmp / "opened")
    assert d.code == 1
    assert f"{seized} refused: revoked" in d.err
    assert f"{early}.age: could not verify" in d.err
    assert _payloads(room.tmp / "opened") == {b"after the revocation"}


def test_rollback_to_an_older_revocation_list_is_refused(newsroom: Newsroom) -> None:
    room = newsroom
    retired = SigningKey.generate().public_key().key_id_hex  # an old key, long revoked
    room.revoke(1, retired)
    inbox = room.tmp / "inbox"
    assert room.fetch(inbox).code == 0
    # What a thief of today's server holds: the key and key file as they are now.
    seized = room.key_id()
    old_key = room.paths.signing_key.read_bytes()
    old_keys_json = room.paths.server_keys_json.read_bytes()
    # The newsroom reacts: new certified key, the seized one revoked (serial 2).
    room.rotate(certify=True)
    room.revoke(2, retired, seized)
    fresh = room.seal(b"after the revocation").store_id
    r = room.fetch(inbox)
    assert r.code == 0, r.err
    assert "revocation list serial 2" in r.out
    roots = json.loads((room.client / "root-revocations.json").read_text())
    assert list(roots.values()) == [2]

    # The thief puts the old, genuinely root-signed files back (serial 1,
    # which does not revoke the seized key) and signs with the seized key.
    room.paths.signing_key.write_bytes(old_key)
    room.paths.server_keys_json.write_bytes(old_keys_json)
    planted = room.seal(b"planted with the seized key")
    r = room.fetch(inbox)
    assert r.code == 1
    assert "rollback refused" in r.err and "serial 2" in r.err and "hint:" in r.err
    assert not (inbox / f"{planted.store_id}.age").exists()
    kept = json.loads((inbox / "server-keys.json").read_text())
    assert kept["root"]["revocations"]["serial"] == 2

    # Offline, the same stale key file beside the bundle is refused too.
    stick = room.tmp / "stick"
    stick.mkdir()
    bundle = stick / f"{planted.store_id}.age"
    shutil.copy(planted.bundle, bundle)
    shutil.copy(planted.signature, stick / f"{bundle.name}.minisig")
    (stick / "server-keys.json").write_bytes(old_keys_json)
    d = room.decrypt([bundle], room.tmp / "opened")
    assert d.code == 1
    assert "rollback refused" in d.err
    assert not (room.tmp / "opened").exists() or not any((room.tmp / "opened").iterdir())
    assert (inbox / f"{fresh}.age").is_file()
