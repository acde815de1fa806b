"""All SQL the journalist app runs. Services call these; routes never do.

Must never return a table row to a route (services turn rows into views), and
never mark anything "deleted": deleting removes the row.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col, delete, func, select

from server.db.tables import Journalist, Reply, Source, Submission


# -- journalists ---------------------------------------------------------------
def journalist_by_name(session: Session, name: str) -> Journalist | None:
    return session.exec(select(Journalist).where(Journalist.name == name)).first()


def journalist_by_id(session: Session, journalist_id: str) -> Journalist | None:
    return session.get(Journalist, journalist_id)


def claim_totp_step(session: Session, journalist_id: str, step: int) -> bool:
    """Record `step` as used, only if it is newer than the last one.

    One conditional UPDATE, so two sign-ins racing with the same code cannot
    both win: the replay check and the write are a single atomic statement.
    """
    result = session.execute(
        update(Journalist)
        .where(col(Journalist.id) == journalist_id, col(Journalist.totp_last_step) < step)
        .values(totp_last_step=step)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# -- sources -------------------------------------------------------------------
def source_by_id(session: Session, source_id: str) -> Source | None:
    return session.get(Source, source_id)


def sources_with_counts(session: Session) -> list[tuple[Source, int, int]]:
    """Every source with its number of submissions and replies."""
    sub_counts = dict(
        session.exec(
            select(Submission.source_id, func.count()).group_by(col(Submission.source_id))
        ).all()
    )
    reply_counts = dict(
        session.exec(select(Reply.source_id, func.count()).group_by(col(Reply.source_id))).all()
    )
    sources = session.exec(
        select(Source).order_by(
            col(Source.starred).desc(), col(Source.last_active_day).desc(), col(Source.designation)
        )
    ).all()
    return [(s, sub_counts.get(s.id, 0), reply_counts.get(s.id, 0)) for s in sources]


def set_starred(session: Session, source_id: str, starred: bool) -> None:
    session.execute(update(Source).where(col(Source.id) == source_id).values(starred=starred))


def delete_source_rows(session: Session, source_id: str) -> tuple[list[str], list[str]]:
    """Delete a source with its submissions and replies; return the file ids."""
    submission_ids = list(
        session.exec(select(Submission.id).where(Submission.source_id == source_id)).all()
    )
    reply_ids = list(session.exec(select(Reply.id).where(Reply.source_id == source_id)).all())
    session.exec(delete(Submission).where(col(Submission.source_id) == source_id))
    session.exec(delete(Reply).where(col(Reply.source_id) == source_id))
    session.exec(delete(Source).where(col(Source.id) == source_id))
    return submission_ids, reply_ids


# -- submissions ---------------------------------------------------------------
def submission_by_id(session: Session, submission_id: str) -> Submission | None:
    return session.get(Submission, submission_id)


def all_submissions(session: Session) -> list[tuple[Submission, Source]]:
    rows = session.exec(
        select(Submission, Source)
        .join(Source, col(Source.id) == col(Submission.source_id))
        .order_by(col(Submission.day), col(Submission.id))
    ).all()
    return [(sub, src) for sub, src in rows]


def submissions_of(session: Session, source_id: str) -> list[Submission]:
    return list(
        session.exec(
            select(Submission)
            .where(Submission.source_id == source_id)
            .order_by(col(Submission.day), col(Submission.id))
        ).all()
    )


def mark_downloaded(session: Session, submission_id: str) -> None:
    session.execute(
        update(Submission).where(col(Submission.id) == submission_id).values(downloaded=True)
    )


def delete_submission_row(session: Session, submission_id: str) -> bool:
    result = session.execute(delete(Submission).where(col(Submission.id) == submission_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


# -- replies -------------------------------------------------------------------
def add_reply(session: Session, reply: Reply) -> None:
    session.add(reply)


def replies_of(session: Session, source_id: str) -> list[Reply]:
    return list(
        session.exec(
            select(Reply).where(Reply.source_id == source_id).order_by(col(Reply.day))
        ).all()
    )
