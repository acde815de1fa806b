"""SQL for the ingest pipeline: one row per committed submission.

Must never: store a file name, a message, a precise time or anything about
the requester; only the day, sizes of ciphertext and counts.
"""

from __future__ import annotations

import json

from sqlmodel import Session, select

from server.db.tables import Source, Submission


def insert_submission(
    session: Session,
    *,
    submission_id: str,
    source_id: str,
    size: int,
    day: str,
    cleaned: bool,
    file_count: int,
    recipient_fingerprints: list[str],
    signing_key_id: str,
) -> None:
    session.add(
        Submission(
            id=submission_id,
            source_id=source_id,
            size=size,
            day=day,
            cleaned=cleaned,
            file_count=file_count,
            recipients=json.dumps(sorted(recipient_fingerprints)),
            signing_key_id=signing_key_id,
        )
    )
    source = session.exec(select(Source).where(Source.id == source_id)).one()
    source.last_active_day = day
    session.add(source)
