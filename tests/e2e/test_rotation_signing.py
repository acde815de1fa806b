"""Server signing-key rotation and the offline root key, end to end.

After any number of `admin signing-key rotate`, the journalist CLI with the
key pinned at enrolment still verifies new bundles through the chain, and
rejects a chain link not signed by its predecessor. With a pinned root, only
root-certified keys are trusted: a thief who seizes the live signing key and
extends the chain gains nothing, and a revoked key is dropped.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from crypto.bundle import BundleSealer
from crypto.errors import CryptoError
from crypto.keychain import KeyChain
from crypto.keys import generate_identity
from crypto.opener import open_bundle
from crypto.rootcert import trusted_by_root
from crypto.signing import PublicKey, SigningKey
from server.admin.context import open_admin
from server.admin.status import collect_status
from tests.server.admin_helpers import ok, run_admin, seal_submission

DAY = dt.datetime.now(dt.UTC).date().isoformat()


def _journalist_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAMIZDAT_")}
    return subprocess.run(
        [sys.executable, "-m", "samizdat", "journalist", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def _chain_doc(d: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((d / "keys" / "server-keys.json").read_text())


@pytest.mark.slow
def test_signing_key_rotation_followed_by_journalist_cli(tmp_path: Path) -> None:
    d = tmp_path / "data"
    ok("init", "--data-dir", d)
    ok("signing-key", "export", "--out", tmp_path / "server.pub", "--data-dir", d)
    pinned = PublicKey.parse((tmp_path / "server.pub").read_text())

    (tmp_path / "pp").write_text("correct horse battery staple\n")
    r = _journalist_cli(
        "keygen", "--out", tmp_path / "id.age", "--passphrase-file", tmp_path / "pp"
    )
    assert r.returncode == 0, r.stderr
    ok("journalist", "add", "alice", "--public-key", tmp_path / "id.age.pub", "--data-dir", d)

    first = seal_submission(d, DAY, b"signed by the first key")
    for _ in range(2):
        ok("signing-key", "rotate", "--yes", "--data-dir", d)
    assert stat.S_IMODE((d / "keys" / "signing.key").stat().st_mode) == 0o600
    doc = _chain_doc(d)
    assert len(doc["keys"]) == 3
    chain = KeyChain.from_json(json.dumps(doc))
    assert chain.keys[0] == pinned
    current = SigningKey.load(d / "keys" / "signing.key").public_key()
    assert chain.resolve(pinned) == chain.keys and chain.current == current
    latest = seal_submission(d, DAY, b"signed after two rotations")

    # What `journalist fetch` leaves: bundles + signatures + server-keys.json.
    fetched = tmp_path / "fetched"
    fetched.mkdir()
    for s in (first, latest):
        shutil.copy(s.bundle, fetched)
        shutil.copy(s.signature, fetched)
    shutil.copy(d / "keys" / "server-keys.json", fetched)
    r = _journalist_cli(
        "decrypt", fetched / first.bundle.name, fetched / latest.bundle.name,
        "--identity", tmp_path / "id.age", "--passphrase-file", tmp_path / "pp",
        "--server-key", tmp_path / "server.pub", "--out", tmp_path / "opened",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    contents = sorted(p.read_bytes() for p in (tmp_path / "opened").rglob("evidence.txt"))
    assert contents == [b"signed after two rotations", b"signed by the first key"]

    # A thief grafts a key onto the chain, signing the link with their own key.
    thief, thief_next = SigningKey.generate(), SigningKey.generate()
    graft = json.loads(KeyChain.create(thief).rotate(thief, thief_next).to_json())["keys"][1]
    forged = dict(doc, keys=[*doc["keys"], graft])
    with pytest.raises(CryptoError):
        KeyChain.from_json(json.dumps(forged)).resolve(pinned)
    bad = tmp_path / "forged"
    bad.mkdir()
    (bad / "server-keys.json").write_text(json.dumps(forged))
    sid = uuid.uuid4()
    with (bad / f"{sid}.age").open("wb") as sink:
        sealer = BundleSealer(
            [generate_identity().recipient()], thief_next, sink, submission_id=str(sid),
            source_id="thief", day=DAY, reply_recipient=generate_identity().recipient(),
        )  # fmt: skip
        sealer.set_message("forged")
        (bad / f"{sid}.age.minisig").write_text(sealer.finish())
    r = _journalist_cli(
        "decrypt", bad / f"{sid}.age", "--identity", tmp_path / "id.age",
        "--passphrase-file", tmp_path / "pp", "--server-key", tmp_path / "server.pub",
        "--out", tmp_path / "opened-forged",
    )  # fmt: skip
    assert r.returncode != 0
    assert not list((tmp_path / "opened-forged").rglob("*.txt"))

    # export writes the current key; the audit log has both rotations.
    ok("signing-key", "export", "--out", tmp_path / "now.pub", "--data-dir", d)
    assert PublicKey.parse((tmp_path / "now.pub").read_text()) == current
    actions = [e["action"] for e in ok("audit", "--json", "--data-dir", d).json()]
    assert actions.count("signing-key.rotate") == 2


@pytest.mark.slow
def test_offline_root_certifies_and_revokes(tmp_path: Path) -> None:
    d, root_dir = tmp_path / "data", tmp_path / "root"
    ok("init", "--data-dir", d)
    ok("root-key", "init", "--out", root_dir)
    assert stat.S_IMODE((root_dir / "root.key").stat().st_mode) == 0o600
    root = PublicKey.parse((root_dir / "root.pub").read_text())

    # Pinning needs --yes without a terminal; then it emits the first request.
    assert run_admin("root-key", "pin", root_dir / "root.pub", "--data-dir", d).code != 0
    ok("root-key", "pin", root_dir / "root.pub", "--yes", "--data-dir", d)
    requests = sorted((d / "keys").glob("root-request-*.json"))
    assert len(requests) == 1
    ok("root-key", "sign", requests[0], "--root", root_dir, "--out", tmp_path / "c0")
    ok("signing-key", "install-cert", tmp_path / "c0", "--data-dir", d)

    ok("signing-key", "rotate", "--yes", "--data-dir", d)
    k1 = SigningKey.load(d / "keys" / "signing.key").public_key()
    req1 = d / "keys" / f"root-request-{k1.key_id_hex}.json"
    ok("root-key", "sign", req1, "--root", root_dir, "--out", tmp_path / "c1")
    ok("signing-key", "install-cert", tmp_path / "c1", "--data-dir", d)
    doc_text = (d / "keys" / "server-keys.json").read_text()
    chain_keys = KeyChain.from_json(doc_text).keys
    assert trusted_by_root(root, doc_text) == chain_keys
    status = collect_status(open_admin(d))
    assert status.root_key_id == root.key_id_hex and status.signing_key_certified is True

    # A certificate altered in transit, or from another root, is refused.
    other_root = tmp_path / "other"
    ok("root-key", "init", "--out", other_root)
    ok("root-key", "sign", req1, "--root", other_root, "--out", tmp_path / "c-other")
    before = (d / "keys" / "server-keys.json").read_bytes()
    r = run_admin("signing-key", "install-cert", tmp_path / "c-other", "--data-dir", d)
    assert r.code != 0 and "does not verify" in r.err
    assert (d / "keys" / "server-keys.json").read_bytes() == before

    # A thief holding the live key extends the chain: a valid link, no certificate.
    seized = SigningKey.load(d / "keys" / "signing.key")
    thief = SigningKey.generate()
    stolen = KeyChain.from_json(doc_text).rotate(seized, thief)
    stolen_doc = dict(json.loads(stolen.to_json()), root=json.loads(doc_text)["root"])
    assert thief.public_key() in KeyChain.from_json(json.dumps(stolen_doc)).resolve(chain_keys[0])
    assert thief.public_key() not in trusted_by_root(root, json.dumps(stolen_doc))

    thief_bundle = tmp_path / "t"
    thief_bundle.mkdir()
    sid = uuid.uuid4()
    ident = generate_identity()
    with (thief_bundle / f"{sid}.age").open("wb") as sink:
        sealer = BundleSealer(
            [ident.recipient()], thief, sink, submission_id=str(sid), source_id="s",
            day=DAY, reply_recipient=generate_identity().recipient(),
        )  # fmt: skip
        sealer.set_message("forged")
        (thief_bundle / "sig").write_text(sealer.finish())
    with pytest.raises(CryptoError):
        open_bundle(
            thief_bundle / f"{sid}.age", thief_bundle / "sig", ident,
            trusted_by_root(root, json.dumps(stolen_doc)), tmp_path / "o",
        )  # fmt: skip

    # The root revokes the (seized) current key; journalists drop it.
    ok("root-key", "revoke", k1.key_id_hex, "--root", root_dir, "--serial", "1",
       "--out", tmp_path / "rl1")  # fmt: skip
    ok("root-key", "install-revocations", tmp_path / "rl1", "--data-dir", d)
    revoked_doc = (d / "keys" / "server-keys.json").read_text()
    assert trusted_by_root(root, revoked_doc) == [chain_keys[0]]
    with pytest.raises(CryptoError):  # an older list replayed is refused
        trusted_by_root(root, revoked_doc, min_serial=2)
    r = run_admin("root-key", "install-revocations", tmp_path / "rl1", "--data-dir", d)
    assert r.code != 0 and "serial" in r.err
    # The root section survives a later rotation.
    ok("signing-key", "rotate", "--yes", "--data-dir", d)
    assert _chain_doc(d)["root"]["revocations"]["serial"] == 1
    # ...and status says the new key still awaits the root's certificate.
    assert ok("status", "--json", "--data-dir", d).json()["signing_key_certified"] is False
