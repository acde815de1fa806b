"""SQL for the source pages. Returns plain values, never table models.

Must never: store or look up anything by a codename (only by its derived
lookup id), or record more than a day for anything a source did.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from server.db.tables import Reply, Source


@dataclass(frozen=True)
class SourceRow:
    id: str
    reply_recipient: str


@dataclass(frozen=True)
class ReplyRow:
    id: str
    day: str


def create_source(
    session: Session, *, lookup_id: str, reply_recipient: str, designation: str, day: str
) -> str:
    row = Source(
        lookup_id=lookup_id,
        reply_recipient=reply_recipient,
        designation=designation,
        created_day=day,
        last_active_day=day,
    )
    session.add(row)
    session.flush()
    return row.id


def source_by_lookup(session: Session, lookup_id: str) -> SourceRow | None:
    row = session.exec(select(Source).where(Source.lookup_id == lookup_id)).first()
    return None if row is None else SourceRow(row.id, row.reply_recipient)


def source_by_id(session: Session, source_id: str) -> SourceRow | None:
    row = session.get(Source, source_id)
    return None if row is None else SourceRow(row.id, row.reply_recipient)


def touch_source(session: Session, source_id: str, day: str) -> None:
    row = session.get(Source, source_id)
    if row is not None and row.last_active_day != day:
        row.last_active_day = day
        session.add(row)


def replies_for(session: Session, source_id: str) -> list[ReplyRow]:
    rows = session.exec(select(Reply).where(Reply.source_id == source_id)).all()
    # Ids are random: sorting by (day, id) reveals nothing beyond the day.
    return sorted((ReplyRow(r.id, r.day) for r in rows), key=lambda r: (r.day, r.id))


def delete_reply(session: Session, source_id: str, reply_id: str) -> bool:
    row = session.get(Reply, reply_id)
    if row is None or row.source_id != source_id:
        return False
    session.delete(row)
    return True
