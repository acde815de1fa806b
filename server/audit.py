"""The audit log of admin (and journalist-account) actions: who, what, when.

Rows live in the AuditEvent table, written in the same transaction as the
change they describe, so a change without its record cannot exist.

Must never record source data: no codename, lookup id, source id,
submission content, message, file name, IP address or user agent. Details
name accounts, key fingerprints and counts only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from server.db.tables import AuditEvent

__all__ = ["AuditEntry", "list_events", "record"]

# Keeps a detail to one readable line; the table is not a place for blobs.
_MAX_DETAIL = 500


@dataclass(frozen=True)
class AuditEntry:
    at: str
    actor: str
    action: str
    detail: str


def record(session: Session, *, at: str, actor: str, action: str, detail: str = "") -> None:
    """Add one event to the caller's transaction."""
    clean = " ".join(detail.split())[:_MAX_DETAIL]
    session.add(AuditEvent(at=at, actor=actor, action=action, detail=clean))


def list_events(session: Session, *, limit: int | None = None) -> list[AuditEntry]:
    """Events oldest first; with `limit`, only the newest `limit` of them."""
    query = select(AuditEvent).order_by(col(AuditEvent.id).desc())
    if limit is not None:
        query = query.limit(limit)
    rows = list(session.exec(query))
    rows.reverse()
    return [AuditEntry(r.at, r.actor, r.action, r.detail) for r in rows]
