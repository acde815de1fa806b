"""Journalist key rotation end to end: the real admin CLI, the sealing
recipients ingest uses, crypto's BundleSealer and the offline opener.

Before the rotation a bundle opens only with the old identity; during the
grace period with either; after it only with the new one; and `status`
names the retired key as still needed by stored bundles.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from crypto.errors import CryptoError
from crypto.keychain import KeyChain
from crypto.keys import generate_identity
from crypto.signing import PublicKey
from server.admin.context import open_admin
from server.admin.status import collect_status
from tests.server.admin_helpers import ok, open_sealed, run_admin, seal_submission, write_pub


def _trusted(data_dir: Path, pinned: PublicKey) -> list[PublicKey]:
    chain = KeyChain.from_json((data_dir / "keys" / "server-keys.json").read_text())
    return chain.resolve(pinned)


def _opens(sealed, identity, trusted, out: Path) -> bool:  # type: ignore[no-untyped-def]
    try:
        return open_sealed(sealed.bundle, sealed.signature, identity, trusted, out) is not None
    except CryptoError:
        return False


@pytest.mark.slow
def test_rotation_with_grace_then_retired(tmp_path: Path) -> None:
    d = tmp_path / "data"
    ok("init", "--data-dir", d)
    ok("signing-key", "export", "--out", tmp_path / "server.pub", "--data-dir", d)
    pinned = PublicKey.parse((tmp_path / "server.pub").read_text())
    old, new = generate_identity(), generate_identity()
    write_pub(tmp_path / "old.pub", old)
    write_pub(tmp_path / "new.pub", new)
    ok("journalist", "add", "alice", "--public-key", tmp_path / "old.pub", "--data-dir", d)

    today = dt.datetime.now(dt.UTC).date()
    day = today.isoformat()
    before = seal_submission(d, day, b"sealed before rotation")

    # Without --yes and without a terminal, nothing happens.
    r = run_admin(
        "journalist",
        "rotate-key",
        "alice",
        "--public-key",
        tmp_path / "new.pub",
        "--grace",
        "2",
        "--data-dir",
        d,
    )
    assert r.code != 0 and "--yes" in r.err
    rot = ok(
        "journalist",
        "rotate-key",
        "alice",
        "--public-key",
        tmp_path / "new.pub",
        "--grace",
        "2",
        "--yes",
        "--json",
        "--data-dir",
        d,
    ).json()
    assert rot["new_fingerprint"] == new.recipient().fingerprint()
    assert rot["old_fingerprints"] == [old.recipient().fingerprint()]
    grace_until = (today + dt.timedelta(days=2)).isoformat()
    assert rot["grace_until_day"] == grace_until

    during = seal_submission(d, day, b"sealed during grace")
    # The last grace day still seals to both; the day after only to the new key.
    last_grace = seal_submission(d, grace_until, b"last grace day")
    after = seal_submission(d, (today + dt.timedelta(days=3)).isoformat(), b"sealed after grace")
    trusted = _trusted(d, pinned)
    n = iter(range(100))

    def out() -> Path:
        return tmp_path / f"out{next(n)}"

    assert open_sealed(before.bundle, before.signature, old, trusted, out()) == (
        b"sealed before rotation"
    )
    assert not _opens(before, new, trusted, out())
    assert _opens(during, old, trusted, out()) and _opens(during, new, trusted, out())
    assert _opens(last_grace, old, trusted, out()) and _opens(last_grace, new, trusted, out())
    assert not _opens(after, old, trusted, out())
    assert open_sealed(after.bundle, after.signature, new, trusted, out()) == (
        b"sealed after grace"
    )
    assert before.recipients == [old.recipient().fingerprint()]
    assert after.recipients == [new.recipient().fingerprint()]

    # Today the old key is in grace; once the grace is over, status names it
    # as retired and still needed by the bundles sealed to it (3 of them).
    now_status = ok("status", "--json", "--data-dir", d).json()
    old_row = next(k for k in now_status["keys"] if k["fingerprint"] == rot["old_fingerprints"][0])
    assert old_row["status"] == "grace" and old_row["stored_bundles"] == 3
    later = dt.datetime.combine(today + dt.timedelta(days=3), dt.time(12), dt.UTC)
    status = collect_status(open_admin(d, clock=lambda: later))
    needed = {k.fingerprint: k for k in status.retired_keys_needed}
    assert set(needed) == {old.recipient().fingerprint()}
    assert needed[old.recipient().fingerprint()].stored_bundles == 3
    assert needed[old.recipient().fingerprint()].owner == "alice"


@pytest.mark.slow
def test_rotation_without_grace_and_removal(tmp_path: Path) -> None:
    d = tmp_path / "data"
    ok("init", "--data-dir", d)
    old, new, other = generate_identity(), generate_identity(), generate_identity()
    write_pub(tmp_path / "old.pub", old)
    write_pub(tmp_path / "new.pub", new)
    write_pub(tmp_path / "bob.pub", other)
    ok("journalist", "add", "alice", "--public-key", tmp_path / "old.pub", "--data-dir", d)
    ok("journalist", "add", "bob", "--public-key", tmp_path / "bob.pub", "--data-dir", d)
    day = dt.datetime.now(dt.UTC).date().isoformat()
    first = seal_submission(d, day, b"one")
    assert sorted(first.recipients) == sorted(
        [old.recipient().fingerprint(), other.recipient().fingerprint()]
    )

    # The same key cannot be enrolled twice (it would hide which key opens what).
    r = run_admin(
        "journalist",
        "rotate-key",
        "alice",
        "--public-key",
        tmp_path / "bob.pub",
        "--yes",
        "--data-dir",
        d,
    )
    assert r.code != 0 and "already enrolled" in r.err

    ok(
        "journalist",
        "rotate-key",
        "alice",
        "--public-key",
        tmp_path / "new.pub",
        "--yes",
        "--data-dir",
        d,
    )
    ok("journalist", "remove", "bob", "--yes", "--data-dir", d)
    assert not (d / "tor" / "journalist" / "authorized_clients" / "bob.auth").exists()
    second = seal_submission(d, day, b"two")
    assert second.recipients == [new.recipient().fingerprint()]

    status = ok("status", "--json", "--data-dir", d).json()
    needed = {k["fingerprint"]: k for k in status["retired_keys_needed"]}
    assert set(needed) == {old.recipient().fingerprint(), other.recipient().fingerprint()}
    text = ok("status", "--data-dir", d).out
    assert "retired keys still needed" in text and old.recipient().fingerprint() in text

    listed = {p["name"]: p for p in ok("journalist", "list", "--json", "--data-dir", d).json()}
    assert listed["bob"]["active"] is False
    statuses = {k["fingerprint"]: k["status"] for k in listed["alice"]["keys"]}
    assert statuses == {
        old.recipient().fingerprint(): "retired",
        new.recipient().fingerprint(): "active",
    }
    events = ok("audit", "--json", "--data-dir", d).json()
    actions = [e["action"] for e in events]
    assert actions == [
        "instance.init",
        "journalist.add",
        "journalist.add",
        "journalist.rotate-key",
        "journalist.remove",
    ]
    # The audit log names accounts and keys, never source data.
    log = json.dumps(events)
    assert first.store_id not in log and "one" not in log.split()


@pytest.mark.slow
def test_bad_grace_changes_nothing(tmp_path: Path) -> None:
    d = tmp_path / "data"
    ok("init", "--data-dir", d)
    write_pub(tmp_path / "a.pub")
    write_pub(tmp_path / "b.pub")
    ok("journalist", "add", "alice", "--public-key", tmp_path / "a.pub", "--data-dir", d)
    for grace in ("0", "400"):
        r = run_admin(
            "journalist",
            "rotate-key",
            "alice",
            "--public-key",
            tmp_path / "b.pub",
            "--grace",
            grace,
            "--yes",
            "--data-dir",
            d,
        )
        assert r.code != 0 and "--grace" in r.err
    keys = ok("journalist", "list", "--json", "--data-dir", d).json()[0]["keys"]
    assert [k["status"] for k in keys] == ["active"]
