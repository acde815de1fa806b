"""The optional organisation recovery recipient, sealed into every new bundle.

Must never accept secret key material, and never delete the key row on
removal: bundles sealed while it was set still name it, and `status` must
say the recovery identity is needed for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from crypto.keys import Recipient
from server import audit
from server.admin import repository as repo
from server.admin.context import AdminContext
from server.db.engine import session_scope
from server.db.tables import OrgKey
from server.errors import Conflict, NotFound


@dataclass(frozen=True)
class RecoveryChange:
    fingerprint: str
    replaced: str | None


def set_recovery_key(ctx: AdminContext, recipient: Recipient) -> RecoveryChange:
    """Seal every new bundle to `recipient` too; replaces a previous one."""
    fingerprint = recipient.fingerprint()
    today = ctx.today()
    with session_scope(ctx.engine) as session:
        if repo.key_by_fingerprint(session, fingerprint) is not None:
            raise Conflict(
                "this key is already enrolled as a journalist key",
                hint="the recovery key must be a separate key kept offline by the organisation",
            )
        current = repo.active_org_keys(session, repo.RECOVERY_KIND)
        if any(k.fingerprint == fingerprint for k in current):
            raise Conflict("this recovery key is already set", hint="nothing to do")
        for k in current:
            k.status = "retired"
            k.retired_day = today
            session.add(k)
        session.add(
            OrgKey(
                kind=repo.RECOVERY_KIND,
                recipient=recipient.encode(),
                fingerprint=fingerprint,
                status="active",
                added_day=today,
            )
        )
        replaced = current[0].fingerprint if current else None
        audit.record(
            session,
            at=ctx.timestamp(),
            actor=ctx.actor,
            action="recovery-key.set",
            detail=f"key={fingerprint} replaced={replaced or '-'}",
        )
    return RecoveryChange(fingerprint, replaced)


def remove_recovery_key(ctx: AdminContext) -> str:
    """Stop sealing to the recovery key; returns its fingerprint."""
    today = ctx.today()
    with session_scope(ctx.engine) as session:
        current = repo.active_org_keys(session, repo.RECOVERY_KIND)
        if not current:
            raise NotFound("no recovery key is set", hint="nothing to remove")
        for k in current:
            k.status = "retired"
            k.retired_day = today
            session.add(k)
        audit.record(
            session,
            at=ctx.timestamp(),
            actor=ctx.actor,
            action="recovery-key.remove",
            detail=f"key={current[0].fingerprint}",
        )
        return current[0].fingerprint
