"""Admin operations: purge and retention, recovery key, tor config and
onion addresses, 2FA reset, removal. Real CLI where the CLI is the point,
service functions where they are cheaper."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from crypto.keys import generate_identity
from server.admin.context import open_admin
from server.db.engine import make_engine, session_scope
from server.db.tables import Reply
from server.errors import ConfigError
from server.instance import open_instance
from server.keys import sealing_recipients
from server.retention import apply_retention, parse_age
from server.storage import Store
from tests.server.admin_helpers import ok, run_admin, seal_submission, tree_snapshot, write_pub

TODAY = dt.datetime.now(dt.UTC).date()


def _day(days_ago: int) -> str:
    return (TODAY - dt.timedelta(days=days_ago)).isoformat()


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    ok("init", "--data-dir", d)
    write_pub(tmp_path / "alice.pub")
    ok("journalist", "add", "alice", "--public-key", tmp_path / "alice.pub", "--data-dir", d)
    return d


def _rows(d: Path, table: str) -> int:
    con = sqlite3.connect(d / "samizdat.db")
    try:
        return int(con.execute(f"select count(*) from {table}").fetchone()[0])  # noqa: S608 - fixed names
    finally:
        con.close()


@pytest.mark.slow
def test_purge_dry_run_then_real_deletion(instance: Path) -> None:
    d = instance
    old = seal_submission(d, _day(120), b"old")
    new = seal_submission(d, _day(5), b"new")
    paths = open_instance(d)
    engine = make_engine(paths.db)
    with session_scope(engine) as session:
        reply = Reply(
            source_id=_source_of(d, old.store_id), journalist_id=_jid(d), size=3, day=_day(100)
        )
        session.add(reply)
    Store(paths).write_small(Store(paths).reply_path(reply.id), b"ciphertext")
    engine.dispose()

    before = tree_snapshot(d)
    dry = ok("purge", "--older-than", "90d", "--dry-run", "--json", "--data-dir", d).json()
    assert (dry["submissions"], dry["replies"], dry["sources"], dry["dry_run"]) == (1, 1, 1, True)
    assert dry["cutoff_day"] == _day(90)
    assert tree_snapshot(d) == before
    r = run_admin("purge", "--older-than", "90d", "--data-dir", d)
    assert r.code != 0 and "--yes" in r.err
    assert tree_snapshot(d) == before

    done = ok("purge", "--older-than", "90d", "--yes", "--json", "--data-dir", d).json()
    assert (done["submissions"], done["replies"], done["sources"]) == (1, 1, 1)
    assert not old.bundle.exists() and not old.signature.exists()
    assert not Store(paths).reply_path(reply.id).exists()
    assert new.bundle.exists() and new.signature.exists()
    assert (_rows(d, "submission"), _rows(d, "reply"), _rows(d, "source")) == (1, 0, 1)
    r = run_admin("purge", "--older-than", "ninety", "--yes", "--data-dir", d)
    assert r.code != 0 and "90d" in r.err


def _source_of(d: Path, store_id: str) -> str:
    con = sqlite3.connect(d / "samizdat.db")
    try:
        return str(
            con.execute("select source_id from submission where id=?", (store_id,)).fetchone()[0]
        )
    finally:
        con.close()


def _jid(d: Path) -> str:
    con = sqlite3.connect(d / "samizdat.db")
    try:
        return str(con.execute("select id from journalist").fetchone()[0])
    finally:
        con.close()


def test_retention_daily_job(instance: Path) -> None:
    seal_submission(instance, _day(40), b"a")
    keep = seal_submission(instance, _day(10), b"b")
    paths = open_instance(instance)
    engine = make_engine(paths.db)
    try:
        assert apply_retention(paths, engine, 0) is None  # 0 = off
        assert _rows(instance, "submission") == 2
        report = apply_retention(paths, engine, 30)
        assert report is not None and report.submissions == 1
        again = apply_retention(paths, engine, 30)  # idempotent within a day
        assert again is not None and again.submissions == 0
    finally:
        engine.dispose()
    assert _rows(instance, "submission") == 1 and keep.bundle.exists()
    with pytest.raises(ConfigError):
        parse_age("-3d")


@pytest.mark.slow
def test_recovery_key_set_and_remove(instance: Path, tmp_path: Path) -> None:
    d = instance
    rec = generate_identity()
    write_pub(tmp_path / "rec.pub", rec)
    (tmp_path / "secret.txt").write_text(rec.encode() + "\n")
    r = run_admin("recovery-key", "set", tmp_path / "secret.txt", "--yes", "--data-dir", d)
    assert r.code != 0 and "secret key" in r.err
    ok("recovery-key", "set", tmp_path / "rec.pub", "--yes", "--data-dir", d)
    sealed = seal_submission(d, _day(0), b"x")
    assert rec.recipient().fingerprint() in sealed.recipients and len(sealed.recipients) == 2
    ok("recovery-key", "remove", "--yes", "--data-dir", d)
    assert seal_submission(d, _day(0), b"y").recipients != sealed.recipients
    status = ok("status", "--json", "--data-dir", d).json()
    needed = [k["owner"] for k in status["retired_keys_needed"]]
    assert needed == ["organisation recovery"]
    r = run_admin("recovery-key", "remove", "--yes", "--data-dir", d)
    assert r.code != 0 and "no recovery key" in r.err


@pytest.mark.slow
def test_tor_config_onion_and_client_auth_files(instance: Path, tmp_path: Path) -> None:
    d = instance
    torrc = ok("tor-config", "--data-dir", d).out
    assert f"HiddenServiceDir {d.resolve()}/tor/source" in torrc or (
        f"HiddenServiceDir {d.absolute()}/tor/source" in torrc
    )
    assert "/tor/journalist" in torrc  # alice is enrolled: client auth on
    ok("tor-config", "--out", tmp_path / "torrc", "--data-dir", d)
    assert (tmp_path / "torrc").read_text() == torrc

    r = run_admin("onion", "--data-dir", d)
    assert r.code != 0 and "tor-config" in r.err
    host = "a" * 56 + ".onion"
    (d / "tor" / "source").mkdir(mode=0o700, exist_ok=True)
    (d / "tor" / "source" / "hostname").write_text(host + "\n")
    assert ok("onion", "--json", "--data-dir", d).json() == {"source": host, "journalist": None}

    # Once the journalist onion exists, `add` prints the full Tor Browser line.
    jhost = "b" * 56 + ".onion"
    (d / "tor" / "journalist" / "hostname").write_text(jhost + "\n")
    write_pub(tmp_path / "bob.pub")
    data = ok(
        "journalist", "add", "bob", "--public-key", tmp_path / "bob.pub", "--json", "--data-dir", d
    ).json()
    assert data["client_auth"].startswith("b" * 56 + ":descriptor:x25519:")
    ok("journalist", "remove", "bob", "--yes", "--data-dir", d)
    assert not (d / "tor" / "journalist" / "authorized_clients" / "bob.auth").exists()
    r = run_admin("journalist", "remove", "bob", "--yes", "--data-dir", d)
    assert r.code != 0 and "removed" in r.err


def test_reset_2fa_and_password_end_sessions(instance: Path) -> None:
    ctx = open_admin(instance)
    from server.admin.journalists import reset_2fa, reset_password

    def state() -> tuple[str, str, int]:
        con = sqlite3.connect(instance / "samizdat.db")
        try:
            row = con.execute(
                "select totp_secret, password_hash, session_epoch from journalist"
            ).fetchone()
            return str(row[0]), str(row[1]), int(row[2])
        finally:
            con.close()

    secret0, hash0, epoch0 = state()
    t = reset_2fa(ctx, "alice", actor="journalist:alice")
    pw = reset_password(ctx, "alice")
    secret1, hash1, epoch1 = state()
    assert t.totp_secret == secret1 != secret0 and t.totp_uri.startswith("otpauth://totp/")
    assert hash1 != hash0 and pw not in hash1 and epoch1 == epoch0 + 2
    events = [
        (e["actor"], e["action"]) for e in ok("audit", "--json", "--data-dir", instance).json()
    ]
    assert ("journalist:alice", "journalist.reset-2fa") in events
    with session_scope(ctx.engine) as session:
        assert [r.encode() for r in sealing_recipients(session, _day(0))]


def test_run_daily_loop_applies_retention_and_stops(instance: Path) -> None:
    import threading

    from server.retention import run_daily

    seal_submission(instance, _day(40), b"old")
    paths = open_instance(instance)
    engine = make_engine(paths.db)
    stop = threading.Event()
    errors: list[BaseException] = []
    worker = threading.Thread(
        target=run_daily,
        args=(paths, engine, 30, stop),
        kwargs={"interval_seconds": 0.05, "on_error": errors.append},
        daemon=True,
    )
    worker.start()
    try:
        for _ in range(200):
            if _rows(instance, "submission") == 0:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        worker.join(timeout=10)
        engine.dispose()
    assert _rows(instance, "submission") == 0 and not errors and not worker.is_alive()
