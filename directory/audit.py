"""The audit trail: one row per sensitive action. Ids only — never names, emails or notes."""
from __future__ import annotations

from .extensions import db
from .models import AuditEvent, User


def record(actor: User | None, action: str, object_type: str, object_id: int | None) -> AuditEvent:
    event = AuditEvent(actor_id=actor.id if actor is not None else None, action=action,
                       object_type=object_type, object_id=object_id)
    db.session.add(event)
    return event
