"""`samizdat serve` applies `retention_days` itself: at start-up and then
daily, in a background job that logs counts only and stops with the server.

A real `serve` process on an instance made with the real CLIs, with one
submission sealed long ago and one sealed today (as ingest seals them)."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

from server.instance import InstancePaths
from server.runner import retention_job
from tests.server.admin_helpers import seal_submission
from tests.server.conftest import make_instance as make_local_instance
from tests.support.server_process import ServerProcess, db_rows, make_instance


def _submission_ids(db: Path) -> set[str]:
    return {str(row[0]) for row in db_rows(db, "submission")}


def test_serve_applies_retention_at_start_and_keeps_fresh_data(tmp_path: Path) -> None:
    inst = make_instance(tmp_path)
    paths = InstancePaths(inst.data_dir)
    config = paths.config.read_text()
    assert "retention_days = 0" in config
    paths.config.write_text(config.replace("retention_days = 0", "retention_days = 1"))
    today = dt.datetime.now(dt.UTC).date()
    old = seal_submission(
        inst.data_dir, (today - dt.timedelta(days=10)).isoformat(), b"old payload"
    )
    fresh = seal_submission(inst.data_dir, today.isoformat(), b"fresh payload")
    assert _submission_ids(paths.db) == {old.store_id, fresh.store_id}

    server = ServerProcess(inst.data_dir, tmp_path / "serve.log")
    log = server.start()
    try:
        deadline = time.monotonic() + 60
        while old.bundle.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not old.bundle.exists() and not old.signature.exists()
        # The rows go before the files: once the file is gone, so is its row.
        assert _submission_ids(paths.db) == {fresh.store_id}
        assert fresh.bundle.is_file() and fresh.signature.is_file()
        assert server.alive()
    finally:
        server.stop()
    assert server.proc is not None and server.proc.returncode == 0
    log = server.log_since(0)
    assert "data older than 1 day(s) is deleted daily" in log
    line = re.search(r"retention: deleted (\d+) submission\(s\).*", log)
    assert line, log
    assert line.group(1) == "1"
    # Counts only: no submission or source id, no day, in the server's log.
    for secret in (old.store_id, fresh.store_id, (today - dt.timedelta(days=10)).isoformat()):
        assert secret not in log
    assert "Traceback" not in log
    # The run is in the admin audit log, as a purge by the server.
    events = [" ".join(map(str, row)) for row in db_rows(paths.db, "auditevent")]
    assert any("server:retention" in e and "submissions=1" in e for e in events), events


def test_retention_job_repeats_and_stops_cleanly(tmp_path: Path) -> None:
    """The job `serve` runs, in-process with a short interval: it runs again
    after the interval, and leaving it stops and joins its thread."""
    inst = make_local_instance(tmp_path / "data")
    old_day = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=5)).isoformat()
    first = seal_submission(inst.root, old_day, b"one")
    with retention_job(inst.settings(retention_days=0)) as off:
        assert off is None
    with retention_job(inst.settings(retention_days=1), interval_seconds=0.2) as thread:
        assert thread is not None and thread.is_alive()
        deadline = time.monotonic() + 30
        while first.bundle.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not first.bundle.exists()
        second = seal_submission(inst.root, old_day, b"two")  # lands after the first run
        while second.bundle.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not second.bundle.exists()
        assert _submission_ids(inst.paths.db) == set()
    assert not thread.is_alive()
