"""Retention: really delete submissions (bundle, signature, row), replies
and idle sources older than a cutoff.

`admin purge --older-than 90d` and the server's daily job (`apply_retention`
with the `retention_days` setting) share one implementation. Deletion is
real (SecureDrop's regret is a "delete" that only sets a flag): the files
are unlinked from the store and the rows deleted, with SQLite's
secure_delete zeroing the freed pages. Files are unlinked only after the
rows' deletion committed, so a crash leaves at worst an orphan file that the
start-up sweep removes, never a row pointing to nothing.

Must never delete anything on a dry run, and never touch data newer than
the cutoff.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from server import audit
from server.admin import repository as repo
from server.clock import Clock, day_of, utc_now
from server.db.engine import session_scope
from server.errors import ConfigError
from server.instance import InstancePaths
from server.storage import Store

__all__ = [
    "PurgeReport",
    "apply_retention",
    "cutoff_day",
    "parse_age",
    "purge_older_than",
    "run_daily",
]

_AGE_RE = re.compile(r"^([1-9][0-9]{0,4})d$")


@dataclass(frozen=True)
class PurgeReport:
    cutoff_day: str
    submissions: int
    replies: int
    sources: int
    bytes_freed: int
    dry_run: bool


def parse_age(text: str) -> int:
    """`90d` -> 90. Only whole days: submissions are dated by day."""
    m = _AGE_RE.fullmatch(text.strip())
    if not m:
        raise ConfigError(
            f"cannot read the age {text!r}",
            hint="give a number of days such as 90d",
        )
    return int(m.group(1))


def cutoff_day(today: str, days: int) -> str:
    """Data dated strictly before the returned day is older than `days`."""
    return (dt.date.fromisoformat(today) - dt.timedelta(days=days)).isoformat()


def purge_older_than(
    paths: InstancePaths,
    engine: Engine,
    *,
    days: int,
    today: str,
    dry_run: bool = False,
    actor: str = "server:retention",
    at: str | None = None,
) -> PurgeReport:
    cutoff = cutoff_day(today, days)
    store = Store(paths)
    with session_scope(engine) as session:
        subs = repo.submissions_before(session, cutoff)
        replies = repo.replies_before(session, cutoff)
        sub_ids = [s.id for s in subs]
        reply_ids = [r.id for r in replies]
        freed = 0
        for sid in sub_ids:
            for p in (store.bundle_path(sid), store.signature_path(sid)):
                if p.exists():
                    freed += p.stat().st_size
        for rid in reply_ids:
            p = store.reply_path(rid)
            if p.exists():
                freed += p.stat().st_size
        if dry_run:
            # Sources that would become empty are counted as well.
            sources = repo.count_sources_emptied_by(session, cutoff)
            session.rollback()
            return PurgeReport(cutoff, len(sub_ids), len(reply_ids), sources, freed, True)
        for s in subs:
            session.delete(s)
        for r in replies:
            session.delete(r)
        session.flush()
        idle = repo.idle_sources_without_content(session, cutoff)
        for src in idle:
            session.delete(src)
        audit.record(
            session,
            at=at or utc_now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            actor=actor,
            action="purge",
            detail=(
                f"before={cutoff} submissions={len(sub_ids)} replies={len(reply_ids)} "
                f"sources={len(idle)}"
            ),
        )
        n_sources = len(idle)
    # Rows are gone (committed); now the ciphertext files.
    for sid in sub_ids:
        store.delete_submission(sid)
    for rid in reply_ids:
        store.delete_reply(rid)
    return PurgeReport(cutoff, len(sub_ids), len(reply_ids), n_sources, freed, False)


def apply_retention(
    paths: InstancePaths, engine: Engine, retention_days: int, *, clock: Clock = utc_now
) -> PurgeReport | None:
    """The server's daily job: purge per the `retention_days` setting
    (0 = off, returns None). Safe to call more than once a day."""
    if retention_days <= 0:
        return None
    now = clock()
    return purge_older_than(
        paths,
        engine,
        days=retention_days,
        today=day_of(now),
        at=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def run_daily(
    paths: InstancePaths,
    engine: Engine,
    retention_days: int,
    stop: threading.Event,
    *,
    clock: Clock = utc_now,
    interval_seconds: float = 24 * 3600,
    on_error: Callable[[BaseException], object] | None = None,
    on_report: Callable[[PurgeReport], object] | None = None,
) -> None:
    """Apply retention now and then every `interval_seconds` until `stop` is set.

    Meant for a daemon thread started by `serve`. Each run's report goes to
    `on_report`; an error in one run is passed to `on_error` (neither may
    log source data) and the loop goes on: a full disk one day must not
    stop retention for good.
    """
    if retention_days <= 0:
        return
    while not stop.is_set():
        try:
            report = apply_retention(paths, engine, retention_days, clock=clock)
        except Exception as exc:  # reported; the next run retries
            if on_error is not None:
                on_error(exc)
        else:
            if report is not None and on_report is not None:
                on_report(report)
        stop.wait(interval_seconds)
