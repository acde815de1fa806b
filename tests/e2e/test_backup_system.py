"""Backup and restore with the real server: a source submits to a running
`samizdat serve`, the admin backs the live instance up, restores it into an
empty directory on another path, the restored server starts, the source's
old codename still signs in (the codename secrets came along), a new
submission lands, and the journalist CLI opens every bundle, old and new,
with the signing key pinned at enrolment.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from crypto.keys import generate_identity
from tests.server.admin_helpers import ok, write_pub
from tests.support.server_process import (
    HttpSource,
    make_instance,
    running_server,
    samizdat,
)


@pytest.mark.slow
def test_backup_of_live_server_restores_to_a_working_instance(tmp_path: Path) -> None:
    inst = make_instance(tmp_path / "live")
    backup_id = generate_identity()
    write_pub(tmp_path / "backup.pub", backup_id)
    (tmp_path / "backup.key").write_text(backup_id.encode() + "\n")

    with running_server(inst.data_dir, tmp_path / "live.log") as server:
        with HttpSource(server.source_url) as source:
            assert source.new().status_code == 200
            codename = source.codename
            sent = source.submit([("before.txt", b"sent before the backup")], message="one")
            assert sent.sent, sent.page
        # The snapshot is taken while the server runs (SQLite online backup).
        ok("backup", "--out", tmp_path / "b.age", "--recipient", tmp_path / "backup.pub",
           "--data-dir", inst.data_dir)  # fmt: skip

    restored = tmp_path / "another" / "machine" / "data"
    ok("restore", tmp_path / "b.age", "--identity", tmp_path / "backup.key",
       "--data-dir", restored)  # fmt: skip
    with (
        running_server(restored, tmp_path / "restored.log") as server,
        HttpSource(server.source_url) as source,
    ):
        signed_in = source.login(codename)
        assert signed_in.status_code in (302, 303), signed_in.status_code
        assert signed_in.headers["location"].endswith("/replies")
        sent = source.submit([("after.txt", b"sent after the restore")])
        assert sent.sent, sent.page

    bundles = sorted((restored / "store" / "bundles").glob("*.age"))
    assert len(bundles) == 2
    fetched = tmp_path / "fetched"
    fetched.mkdir()
    for b in bundles:
        shutil.copy(b, fetched)
        shutil.copy(b.with_name(b.name + ".minisig"), fetched)
    shutil.copy(restored / "keys" / "server-keys.json", fetched)
    samizdat(
        "journalist", "decrypt", *sorted(fetched.glob("*.age")),
        "--identity", inst.identity_file, "--passphrase-file", inst.passphrase_file,
        "--server-key", inst.server_pub, "--out", tmp_path / "opened",
    )  # fmt: skip
    texts = sorted(
        p.read_bytes() for p in (tmp_path / "opened").rglob("*.txt") if p.parent.name == "files"
    )
    assert texts == [b"sent after the restore", b"sent before the backup"]
