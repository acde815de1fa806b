"""Cheap, in-process checks of the admin building blocks: Hypothesis
properties for the parsers that see untrusted input (backup member names,
public key files) and the backup's consistency rule."""

from __future__ import annotations

import sqlite3
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.keys import generate_identity
from server.admin.errors import AdminInputError, BackupError
from server.admin.init import init_instance
from server.admin.keyfile import parse_public_key_text
from server.backup import Unlock, _safe_member_name, restore_backup, write_backup
from tests.server.admin_helpers import seal_submission

IDENT = generate_identity()

_names = st.lists(
    st.sampled_from(["store", "keys", "tor", "..", ".", "", "a", "/", "\\", "x\x00", "bundles"]),
    min_size=1,
    max_size=6,
).map("/".join)


@settings(max_examples=300, deadline=None)
@given(_names | st.text(max_size=60))
def test_backup_member_names_never_escape(untrusted_name: str) -> None:
    root = PurePosixPath("/restore/target")
    try:
        name = _safe_member_name(untrusted_name)
    except BackupError:
        return
    resolved = PurePosixPath("/restore/target", name)
    assert ".." not in resolved.parts and resolved.is_relative_to(root)
    assert name.split("/")[0] in {"config.toml", "keys", "tor", "store", "samizdat.db"} | {
        "MANIFEST.json"
    }


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40))
def test_secret_key_text_is_always_refused(before: str, after: str) -> None:
    secret = IDENT.encode()
    for text in (before + secret + after, before + secret.lower() + after):
        with pytest.raises(AdminInputError):
            parse_public_key_text(text)


def test_public_key_text_forms() -> None:
    pub = IDENT.recipient().encode()
    assert parse_public_key_text(f"# a comment\n{pub}\n\n") == IDENT.recipient()
    with pytest.raises(AdminInputError, match="exactly one"):
        parse_public_key_text(f"{pub}\n{pub}\n")
    with pytest.raises(AdminInputError, match="encrypted identity"):
        parse_public_key_text("age-encryption.org/v1\n-> scrypt abc 18\n")


def test_backup_snapshot_drops_rows_whose_files_vanished(tmp_path: Path) -> None:
    """A bundle deleted between the DB snapshot and the file copy loses its
    row in the backup too: a restored instance never names a missing file."""
    d = tmp_path / "data"
    init_instance(d)
    from server.admin.context import open_admin
    from server.admin.journalists import enrol_journalist

    enrol_journalist(open_admin(d), "alice", IDENT.recipient())
    kept = seal_submission(d, "2026-01-02", b"kept")
    gone = seal_submission(d, "2026-01-02", b"gone")
    gone.bundle.unlink()  # as if purged while the backup ran
    out = tmp_path / "b.age"
    backup_key = generate_identity()
    summary = write_backup(d, out, recipient=backup_key.recipient())
    assert summary.submissions == 1
    target = tmp_path / "restored"
    restore_backup(out, target, Unlock(identity=backup_key))
    con = sqlite3.connect(target / "samizdat.db")
    ids = [r[0] for r in con.execute("select id from submission")]
    con.close()
    assert ids == [kept.store_id]
    assert (target / "store" / "bundles" / kept.bundle.name).exists()
    assert not (target / "store" / "bundles" / gone.bundle.name).exists()
    with pytest.raises(BackupError, match="exactly one"):
        write_backup(d, tmp_path / "c.age")
