"""All SQL the admin services run. Services call these; nothing else in
`server.admin` builds queries.

Must never return or log a password hash or TOTP secret except to the
service that is replacing it.
"""

from __future__ import annotations

import json

from sqlmodel import Session, col, func, select

from server.db.tables import (
    Journalist,
    JournalistKey,
    OrgKey,
    Reply,
    Source,
    Submission,
)

RECOVERY_KIND = "recovery"


# -- journalists ---------------------------------------------------------------
def journalist_by_name(session: Session, name: str) -> Journalist | None:
    return session.exec(select(Journalist).where(Journalist.name == name)).first()


def all_journalists(session: Session) -> list[Journalist]:
    return list(session.exec(select(Journalist).order_by(col(Journalist.name))))


def keys_of(session: Session, journalist_id: str) -> list[JournalistKey]:
    return list(
        session.exec(
            select(JournalistKey)
            .where(JournalistKey.journalist_id == journalist_id)
            .order_by(col(JournalistKey.added_day))
        )
    )


def all_journalist_keys(session: Session) -> list[JournalistKey]:
    return list(session.exec(select(JournalistKey)))


def key_by_fingerprint(session: Session, fingerprint: str) -> JournalistKey | None:
    return session.exec(
        select(JournalistKey).where(JournalistKey.fingerprint == fingerprint)
    ).first()


def live_keys(session: Session, journalist_id: str) -> list[JournalistKey]:
    """Keys of one journalist that are not retired (active or in grace)."""
    return list(
        session.exec(
            select(JournalistKey).where(
                JournalistKey.journalist_id == journalist_id,
                col(JournalistKey.status).in_(("active", "grace")),
            )
        )
    )


def sealing_key_rows(session: Session, today: str) -> list[JournalistKey]:
    """Keys that seal a bundle made on `today`: active keys of active
    journalists, and keys still inside their grace period (inclusive)."""
    query = (
        select(JournalistKey)
        .join(Journalist, col(Journalist.id) == col(JournalistKey.journalist_id))
        .where(col(Journalist.active).is_(True))
        .where(
            (col(JournalistKey.status) == "active")
            | (
                (col(JournalistKey.status) == "grace")
                & (col(JournalistKey.grace_until_day) >= today)
            )
        )
        .order_by(col(Journalist.name), col(JournalistKey.added_day))
    )
    return list(session.exec(query))


# -- organisation keys ---------------------------------------------------------
def active_org_keys(session: Session, kind: str) -> list[OrgKey]:
    return list(session.exec(select(OrgKey).where(OrgKey.kind == kind, OrgKey.status == "active")))


def all_org_keys(session: Session) -> list[OrgKey]:
    return list(session.exec(select(OrgKey).order_by(col(OrgKey.added_day))))


# -- submissions (metadata only: counts, days, recipient fingerprints) ---------
def count(session: Session, table: type[Source] | type[Submission] | type[Reply]) -> int:
    return int(session.exec(select(func.count()).select_from(table)).one())


def active_journalist_count(session: Session) -> int:
    return int(
        session.exec(
            select(func.count()).select_from(Journalist).where(col(Journalist.active).is_(True))
        ).one()
    )


def last_submission_day(session: Session) -> str | None:
    return session.exec(select(func.max(Submission.day))).one()


def recipient_fingerprint_counts(session: Session) -> dict[str, int]:
    """How many stored bundles were sealed to each recipient fingerprint."""
    counts: dict[str, int] = {}
    for recipients in session.exec(select(Submission.recipients)):
        try:
            fingerprints = json.loads(recipients)
        except (TypeError, ValueError):
            continue
        if not isinstance(fingerprints, list):
            continue
        for fp in fingerprints:
            if isinstance(fp, str):
                counts[fp] = counts.get(fp, 0) + 1
    return counts


def submissions_before(session: Session, cutoff_day: str) -> list[Submission]:
    return list(session.exec(select(Submission).where(col(Submission.day) < cutoff_day)))


def replies_before(session: Session, cutoff_day: str) -> list[Reply]:
    return list(session.exec(select(Reply).where(col(Reply.day) < cutoff_day)))


def idle_sources_without_content(session: Session, cutoff_day: str) -> list[Source]:
    """Sources last seen before the cutoff that have no submission or reply left."""
    has_sub = select(Submission.source_id)
    has_reply = select(Reply.source_id)
    return list(
        session.exec(
            select(Source).where(
                col(Source.last_active_day) < cutoff_day,
                col(Source.id).not_in(has_sub),
                col(Source.id).not_in(has_reply),
            )
        )
    )


def count_sources_emptied_by(session: Session, cutoff_day: str) -> int:
    """Idle sources a purge at `cutoff_day` would delete (for --dry-run)."""
    kept_sub = select(Submission.source_id).where(col(Submission.day) >= cutoff_day)
    kept_reply = select(Reply.source_id).where(col(Reply.day) >= cutoff_day)
    return int(
        session.exec(
            select(func.count())
            .select_from(Source)
            .where(
                col(Source.last_active_day) < cutoff_day,
                col(Source.id).not_in(kept_sub),
                col(Source.id).not_in(kept_reply),
            )
        ).one()
    )
