"""Column defaults shared by the models."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone


def new_uuid() -> str:
    """HSDS identifiers are UUID strings; ours are stable once made."""
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)
