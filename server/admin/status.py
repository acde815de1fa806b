"""`admin status`: what an admin needs at a glance, and what a key rotation
still depends on.

Reads metadata only (counts, days, fingerprints, sizes); must never read or
report source data (ids, messages, file names).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from server.admin import repository as repo
from server.admin.context import AdminContext
from server.admin.rootkey import pinned_root
from server.admin.signing_files import read_chain, read_root_section
from server.db.engine import session_scope
from server.db.tables import Reply, Source, Submission
from server.keys import load_signing_key


@dataclass(frozen=True)
class KeyStatus:
    owner: str
    fingerprint: str
    status: str
    added_day: str
    age_days: int
    retired_day: str | None
    grace_until_day: str | None
    # Stored bundles sealed to this key: while > 0 for a retired key, its
    # identity must be kept (offline) or those bundles cannot be opened.
    stored_bundles: int


@dataclass(frozen=True)
class Status:
    data_dir: str
    journalists_active: int
    journalists_total: int
    sources: int
    submissions: int
    replies: int
    last_submission_day: str | None
    store_bytes: int
    db_bytes: int
    free_bytes: int
    signing_key_id: str
    signing_key_since: str
    signing_chain_length: int
    # With an offline root pinned: its id, and whether the current signing
    # key carries its certificate (journalists who pin the root reject
    # bundles signed by an uncertified key).
    root_key_id: str | None = None
    signing_key_certified: bool | None = None
    keys: list[KeyStatus] = field(default_factory=list)
    retired_keys_needed: list[KeyStatus] = field(default_factory=list)
    unknown_recipients: list[str] = field(default_factory=list)


def _days_between(start: str, end: str) -> int:
    return (dt.date.fromisoformat(end) - dt.date.fromisoformat(start)).days


def _tree_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def effective_status(status: str, grace_until_day: str | None, today: str) -> str:
    """A grace key past its last day seals nothing: report it as retired."""
    if status == "grace" and (grace_until_day is None or grace_until_day < today):
        return "retired"
    return status


def collect_status(ctx: AdminContext) -> Status:
    today = ctx.today()
    paths = ctx.paths
    chain = read_chain(paths)
    root = pinned_root(ctx)
    current = load_signing_key(paths).public_key()
    since = dt.datetime.fromtimestamp(paths.signing_key.stat().st_mtime, dt.UTC).strftime(
        "%Y-%m-%d"
    )
    with session_scope(ctx.engine) as session:
        used = repo.recipient_fingerprint_counts(session)
        names = {j.id: j.name for j in repo.all_journalists(session)}
        rows: list[KeyStatus] = []
        known: set[str] = set()
        for k in repo.all_journalist_keys(session):
            known |= {k.fingerprint, k.recipient}
            rows.append(
                KeyStatus(
                    owner=names.get(k.journalist_id, "?"),
                    fingerprint=k.fingerprint,
                    status=effective_status(k.status, k.grace_until_day, today),
                    added_day=k.added_day,
                    age_days=_days_between(k.added_day, today),
                    retired_day=k.retired_day,
                    grace_until_day=k.grace_until_day,
                    stored_bundles=used.get(k.fingerprint, 0) + used.get(k.recipient, 0),
                )
            )
        for o in repo.all_org_keys(session):
            known |= {o.fingerprint, o.recipient}
            rows.append(
                KeyStatus(
                    owner=f"organisation {o.kind}",
                    fingerprint=o.fingerprint,
                    status=o.status,
                    added_day=o.added_day,
                    age_days=_days_between(o.added_day, today),
                    retired_day=o.retired_day,
                    grace_until_day=None,
                    stored_bundles=used.get(o.fingerprint, 0) + used.get(o.recipient, 0),
                )
            )
        rows.sort(key=lambda r: (r.owner, r.added_day))
        status = Status(
            data_dir=str(paths.root),
            journalists_active=repo.active_journalist_count(session),
            journalists_total=len(names),
            sources=repo.count(session, Source),
            submissions=repo.count(session, Submission),
            replies=repo.count(session, Reply),
            last_submission_day=repo.last_submission_day(session),
            store_bytes=_tree_bytes(paths.store),
            db_bytes=sum(
                p.stat().st_size for p in paths.root.glob(paths.db.name + "*") if p.is_file()
            ),
            free_bytes=_free_bytes(paths.root),
            signing_key_id=current.key_id_hex,
            signing_key_since=since,
            signing_chain_length=len(chain.keys),
            root_key_id=root.key_id_hex if root else None,
            signing_key_certified=(
                current.key_id_hex in (read_root_section(paths) or {}).get("certificates", {})
                if root
                else None
            ),
            keys=rows,
            retired_keys_needed=[r for r in rows if r.status == "retired" and r.stored_bundles > 0],
            unknown_recipients=sorted(fp for fp in used if fp not in known),
        )
    return status


def _free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize
